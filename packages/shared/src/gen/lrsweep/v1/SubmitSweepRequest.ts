// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { SweepSpec as _lrsweep_v1_SweepSpec, SweepSpec__Output as _lrsweep_v1_SweepSpec__Output } from '../../lrsweep/v1/SweepSpec.js';

export interface SubmitSweepRequest {
  'spec'?: (_lrsweep_v1_SweepSpec | null);
}

export interface SubmitSweepRequest__Output {
  'spec': (_lrsweep_v1_SweepSpec__Output | null);
}
