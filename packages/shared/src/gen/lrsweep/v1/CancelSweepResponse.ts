// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { SweepState as _lrsweep_v1_SweepState, SweepState__Output as _lrsweep_v1_SweepState__Output } from '../../lrsweep/v1/SweepState.js';

export interface CancelSweepResponse {
  'state'?: (_lrsweep_v1_SweepState);
}

export interface CancelSweepResponse__Output {
  'state': (_lrsweep_v1_SweepState__Output);
}
