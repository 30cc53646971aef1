// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { Sweep as _lrsweep_v1_Sweep, Sweep__Output as _lrsweep_v1_Sweep__Output } from '../../lrsweep/v1/Sweep.js';

export interface GetSweepResponse {
  'sweep'?: (_lrsweep_v1_Sweep | null);
}

export interface GetSweepResponse__Output {
  'sweep': (_lrsweep_v1_Sweep__Output | null);
}
