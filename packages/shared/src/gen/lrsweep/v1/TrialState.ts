// Original file: ../../proto/lrsweep/v1/sweep.proto

export const TrialState = {
  TRIAL_STATE_UNSPECIFIED: 'TRIAL_STATE_UNSPECIFIED',
  TRIAL_STATE_PENDING: 'TRIAL_STATE_PENDING',
  TRIAL_STATE_RUNNING: 'TRIAL_STATE_RUNNING',
  /**
   * Reached a rung and waits for a promotion decision, weights and optimizer state kept.
   */
  TRIAL_STATE_PAUSED: 'TRIAL_STATE_PAUSED',
  TRIAL_STATE_COMPLETED: 'TRIAL_STATE_COMPLETED',
  TRIAL_STATE_PRUNED: 'TRIAL_STATE_PRUNED',
  TRIAL_STATE_FAILED: 'TRIAL_STATE_FAILED',
  TRIAL_STATE_CANCELLED: 'TRIAL_STATE_CANCELLED',
} as const;

export type TrialState =
  | 'TRIAL_STATE_UNSPECIFIED'
  | 0
  | 'TRIAL_STATE_PENDING'
  | 1
  | 'TRIAL_STATE_RUNNING'
  | 2
  /**
   * Reached a rung and waits for a promotion decision, weights and optimizer state kept.
   */
  | 'TRIAL_STATE_PAUSED'
  | 3
  | 'TRIAL_STATE_COMPLETED'
  | 4
  | 'TRIAL_STATE_PRUNED'
  | 5
  | 'TRIAL_STATE_FAILED'
  | 6
  | 'TRIAL_STATE_CANCELLED'
  | 7

export type TrialState__Output = typeof TrialState[keyof typeof TrialState]
