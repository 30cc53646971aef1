// Original file: ../../proto/lrsweep/v1/worker.proto

export const TrialKind = {
  TRIAL_KIND_UNSPECIFIED: 'TRIAL_KIND_UNSPECIFIED',
  /**
   * Constant rate on the search sample, paused at the step budget after a validation pass.
   */
  TRIAL_KIND_SEARCH: 'TRIAL_KIND_SEARCH',
  /**
   * The schedule between lr_min and lr_max over the full training split; saves the model.
   */
  TRIAL_KIND_FINAL: 'TRIAL_KIND_FINAL',
  /**
   * One seed of the LR range test.
   */
  TRIAL_KIND_RANGE_TEST: 'TRIAL_KIND_RANGE_TEST',
} as const;

export type TrialKind =
  | 'TRIAL_KIND_UNSPECIFIED'
  | 0
  /**
   * Constant rate on the search sample, paused at the step budget after a validation pass.
   */
  | 'TRIAL_KIND_SEARCH'
  | 1
  /**
   * The schedule between lr_min and lr_max over the full training split; saves the model.
   */
  | 'TRIAL_KIND_FINAL'
  | 2
  /**
   * One seed of the LR range test.
   */
  | 'TRIAL_KIND_RANGE_TEST'
  | 3

export type TrialKind__Output = typeof TrialKind[keyof typeof TrialKind]
