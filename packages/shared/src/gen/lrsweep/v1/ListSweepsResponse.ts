// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { SweepSummary as _lrsweep_v1_SweepSummary, SweepSummary__Output as _lrsweep_v1_SweepSummary__Output } from '../../lrsweep/v1/SweepSummary.js';

export interface ListSweepsResponse {
  'sweeps'?: (_lrsweep_v1_SweepSummary)[];
}

export interface ListSweepsResponse__Output {
  'sweeps': (_lrsweep_v1_SweepSummary__Output)[];
}
