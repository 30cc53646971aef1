// Original file: ../../proto/lrsweep/v1/worker.proto


export interface StopTrialResponse {
  'found'?: (boolean);
}

export interface StopTrialResponse__Output {
  'found': (boolean);
}
