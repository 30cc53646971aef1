// Original file: ../../proto/lrsweep/v1/worker.proto


export interface StopTrialRequest {
  'sweepId'?: (string);
  'trialId'?: (string);
}

export interface StopTrialRequest__Output {
  'sweepId': (string);
  'trialId': (string);
}
