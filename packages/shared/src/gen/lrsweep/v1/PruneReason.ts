// Original file: ../../proto/lrsweep/v1/sweep.proto

export const PruneReason = {
  PRUNE_REASON_UNSPECIFIED: 'PRUNE_REASON_UNSPECIFIED',
  PRUNE_REASON_DIVERGED: 'PRUNE_REASON_DIVERGED',
  PRUNE_REASON_STAGNANT: 'PRUNE_REASON_STAGNANT',
  PRUNE_REASON_RUNG: 'PRUNE_REASON_RUNG',
} as const;

export type PruneReason =
  | 'PRUNE_REASON_UNSPECIFIED'
  | 0
  | 'PRUNE_REASON_DIVERGED'
  | 1
  | 'PRUNE_REASON_STAGNANT'
  | 2
  | 'PRUNE_REASON_RUNG'
  | 3

export type PruneReason__Output = typeof PruneReason[keyof typeof PruneReason]
