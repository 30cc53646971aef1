// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface GetSweepRequest {
  'sweepId'?: (string);
}

export interface GetSweepRequest__Output {
  'sweepId': (string);
}
