// Original file: ../../proto/lrsweep/v1/spec.proto

export const ScheduleKind = {
  SCHEDULE_KIND_UNSPECIFIED: 'SCHEDULE_KIND_UNSPECIFIED',
  SCHEDULE_KIND_CONSTANT: 'SCHEDULE_KIND_CONSTANT',
  SCHEDULE_KIND_ONE_CYCLE: 'SCHEDULE_KIND_ONE_CYCLE',
  SCHEDULE_KIND_TRIANGULAR: 'SCHEDULE_KIND_TRIANGULAR',
  SCHEDULE_KIND_COSINE: 'SCHEDULE_KIND_COSINE',
  /**
   * SGDR: cosine annealing in cycles that restart at the max rate (see FinalSpec.warm_restarts).
   */
  SCHEDULE_KIND_COSINE_RESTARTS: 'SCHEDULE_KIND_COSINE_RESTARTS',
} as const;

export type ScheduleKind =
  | 'SCHEDULE_KIND_UNSPECIFIED'
  | 0
  | 'SCHEDULE_KIND_CONSTANT'
  | 1
  | 'SCHEDULE_KIND_ONE_CYCLE'
  | 2
  | 'SCHEDULE_KIND_TRIANGULAR'
  | 3
  | 'SCHEDULE_KIND_COSINE'
  | 4
  /**
   * SGDR: cosine annealing in cycles that restart at the max rate (see FinalSpec.warm_restarts).
   */
  | 'SCHEDULE_KIND_COSINE_RESTARTS'
  | 5

export type ScheduleKind__Output = typeof ScheduleKind[keyof typeof ScheduleKind]
