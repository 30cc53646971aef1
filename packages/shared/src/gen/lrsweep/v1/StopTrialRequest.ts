// Original file: ../../proto/lrsweep/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface StopTrialRequest {
  'sweepId'?: (string);
  'trialId'?: (string);
  /**
   * When set, stop only this attempt of the trial (a stale one) and keep the trial's paused state
   * and checkpoints; when 0, stop the trial and free everything it holds.
   */
  'attempt'?: (number);
  /**
   * As in RunTrialRequest.
   */
  'coordinatorEpoch'?: (number | string | Long);
}

export interface StopTrialRequest__Output {
  'sweepId': (string);
  'trialId': (string);
  /**
   * When set, stop only this attempt of the trial (a stale one) and keep the trial's paused state
   * and checkpoints; when 0, stop the trial and free everything it holds.
   */
  'attempt': (number);
  /**
   * As in RunTrialRequest.
   */
  'coordinatorEpoch': (number);
}
