// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface WatchSweepRequest {
  'sweepId'?: (string);
}

export interface WatchSweepRequest__Output {
  'sweepId': (string);
}
