// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface SubmitSweepResponse {
  'sweepId'?: (string);
}

export interface SubmitSweepResponse__Output {
  'sweepId': (string);
}
