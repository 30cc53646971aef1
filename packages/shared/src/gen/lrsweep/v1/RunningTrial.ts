// Original file: ../../proto/lrsweep/v1/worker.proto


export interface RunningTrial {
  'sweepId'?: (string);
  'trialId'?: (string);
  'step'?: (number);
  'paused'?: (boolean);
}

export interface RunningTrial__Output {
  'sweepId': (string);
  'trialId': (string);
  'step': (number);
  'paused': (boolean);
}
