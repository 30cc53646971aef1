// Original file: ../../proto/lrsweep/v1/spec.proto


export interface MnistDataset {
}

export interface MnistDataset__Output {
}
