// Original file: ../../proto/lrsweep/v1/spec.proto

import type { StagnationSpec as _lrsweep_v1_StagnationSpec, StagnationSpec__Output as _lrsweep_v1_StagnationSpec__Output } from '../../lrsweep/v1/StagnationSpec.js';

export interface PruningSpec {
  'divergenceFactor'?: (number | string);
  'stagnation'?: (_lrsweep_v1_StagnationSpec | null);
  '_divergenceFactor'?: "divergenceFactor";
}

export interface PruningSpec__Output {
  'divergenceFactor'?: (number);
  'stagnation': (_lrsweep_v1_StagnationSpec__Output | null);
  '_divergenceFactor'?: "divergenceFactor";
}
