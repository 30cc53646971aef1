// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface CancelSweepRequest {
  'sweepId'?: (string);
}

export interface CancelSweepRequest__Output {
  'sweepId': (string);
}
