// Original file: ../../proto/lrsweep/v1/spec.proto

import type { ScheduleKind as _lrsweep_v1_ScheduleKind, ScheduleKind__Output as _lrsweep_v1_ScheduleKind__Output } from '../../lrsweep/v1/ScheduleKind.js';

export interface FinalSpec {
  'epochs'?: (number);
  'schedule'?: (_lrsweep_v1_ScheduleKind);
  '_epochs'?: "epochs";
}

export interface FinalSpec__Output {
  'epochs'?: (number);
  'schedule': (_lrsweep_v1_ScheduleKind__Output);
  '_epochs'?: "epochs";
}
