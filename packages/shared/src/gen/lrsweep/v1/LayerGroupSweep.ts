// Original file: ../../proto/lrsweep/v1/spec.proto

export const LayerGroupSweep = {
  LAYER_GROUP_SWEEP_UNSPECIFIED: 'LAYER_GROUP_SWEEP_UNSPECIFIED',
  /**
   * Trials sweep the last group's rate; the others follow by spread or multipliers.
   */
  LAYER_GROUP_SWEEP_BASE: 'LAYER_GROUP_SWEEP_BASE',
  /**
   * Trials sweep the first group's rate, the last stays at base: the spread is base / it.
   */
  LAYER_GROUP_SWEEP_SPREAD: 'LAYER_GROUP_SWEEP_SPREAD',
  /**
   * Trials sweep the rate of the group named by `group`; the others stay fixed.
   */
  LAYER_GROUP_SWEEP_GROUP: 'LAYER_GROUP_SWEEP_GROUP',
} as const;

export type LayerGroupSweep =
  | 'LAYER_GROUP_SWEEP_UNSPECIFIED'
  | 0
  /**
   * Trials sweep the last group's rate; the others follow by spread or multipliers.
   */
  | 'LAYER_GROUP_SWEEP_BASE'
  | 1
  /**
   * Trials sweep the first group's rate, the last stays at base: the spread is base / it.
   */
  | 'LAYER_GROUP_SWEEP_SPREAD'
  | 2
  /**
   * Trials sweep the rate of the group named by `group`; the others stay fixed.
   */
  | 'LAYER_GROUP_SWEEP_GROUP'
  | 3

export type LayerGroupSweep__Output = typeof LayerGroupSweep[keyof typeof LayerGroupSweep]
