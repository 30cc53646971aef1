// Original file: ../../proto/lrsweep/v1/worker.proto


export interface StopTrialRequest {
  'sweepId'?: (string);
  'trialId'?: (string);
  /**
   * When set, stop only this attempt of the trial (a stale one) and keep the trial's paused state
   * and checkpoints; when 0, stop the trial and free everything it holds.
   */
  'attempt'?: (number);
}

export interface StopTrialRequest__Output {
  'sweepId': (string);
  'trialId': (string);
  /**
   * When set, stop only this attempt of the trial (a stale one) and keep the trial's paused state
   * and checkpoints; when 0, stop the trial and free everything it holds.
   */
  'attempt': (number);
}
