// Original file: ../../proto/lrsweep/v1/spec.proto

export const PlateauMonitor = {
  PLATEAU_MONITOR_UNSPECIFIED: 'PLATEAU_MONITOR_UNSPECIFIED',
  PLATEAU_MONITOR_VAL_LOSS: 'PLATEAU_MONITOR_VAL_LOSS',
} as const;

export type PlateauMonitor =
  | 'PLATEAU_MONITOR_UNSPECIFIED'
  | 0
  | 'PLATEAU_MONITOR_VAL_LOSS'
  | 1

export type PlateauMonitor__Output = typeof PlateauMonitor[keyof typeof PlateauMonitor]
