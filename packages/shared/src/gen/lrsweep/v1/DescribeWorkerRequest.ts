// Original file: ../../proto/lrsweep/v1/worker.proto


export interface DescribeWorkerRequest {
}

export interface DescribeWorkerRequest__Output {
}
