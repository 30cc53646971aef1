// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface ListSweepsRequest {
}

export interface ListSweepsRequest__Output {
}
