// Original file: ../../proto/lrsweep/v1/spec.proto


export interface SgdOptimizer {
}

export interface SgdOptimizer__Output {
}
