// Original file: ../../proto/lrsweep/v1/sweep.proto

export const RateChangeCause = {
  RATE_CHANGE_CAUSE_UNSPECIFIED: 'RATE_CHANGE_CAUSE_UNSPECIFIED',
  /**
   * Divergence guard: a window loss was NaN or infinite; rolled back, rate lowered.
   */
  RATE_CHANGE_CAUSE_NON_FINITE: 'RATE_CHANGE_CAUSE_NON_FINITE',
  /**
   * Divergence guard: the smoothed loss exceeded divergence_factor x its best; rolled back, rate lowered.
   */
  RATE_CHANGE_CAUSE_DIVERGENCE: 'RATE_CHANGE_CAUSE_DIVERGENCE',
  /**
   * Reduce-on-plateau: the validation loss stopped improving.
   */
  RATE_CHANGE_CAUSE_PLATEAU: 'RATE_CHANGE_CAUSE_PLATEAU',
  /**
   * cosine-restarts: a new cycle starts at the max rate (the multiplier is unchanged).
   */
  RATE_CHANGE_CAUSE_WARM_RESTART: 'RATE_CHANGE_CAUSE_WARM_RESTART',
} as const;

export type RateChangeCause =
  | 'RATE_CHANGE_CAUSE_UNSPECIFIED'
  | 0
  /**
   * Divergence guard: a window loss was NaN or infinite; rolled back, rate lowered.
   */
  | 'RATE_CHANGE_CAUSE_NON_FINITE'
  | 1
  /**
   * Divergence guard: the smoothed loss exceeded divergence_factor x its best; rolled back, rate lowered.
   */
  | 'RATE_CHANGE_CAUSE_DIVERGENCE'
  | 2
  /**
   * Reduce-on-plateau: the validation loss stopped improving.
   */
  | 'RATE_CHANGE_CAUSE_PLATEAU'
  | 3
  /**
   * cosine-restarts: a new cycle starts at the max rate (the multiplier is unchanged).
   */
  | 'RATE_CHANGE_CAUSE_WARM_RESTART'
  | 4

export type RateChangeCause__Output = typeof RateChangeCause[keyof typeof RateChangeCause]
