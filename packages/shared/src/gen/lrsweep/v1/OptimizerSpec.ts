// Original file: ../../proto/lrsweep/v1/spec.proto

import type { SgdOptimizer as _lrsweep_v1_SgdOptimizer, SgdOptimizer__Output as _lrsweep_v1_SgdOptimizer__Output } from '../../lrsweep/v1/SgdOptimizer.js';
import type { MomentumOptimizer as _lrsweep_v1_MomentumOptimizer, MomentumOptimizer__Output as _lrsweep_v1_MomentumOptimizer__Output } from '../../lrsweep/v1/MomentumOptimizer.js';
import type { AdamOptimizer as _lrsweep_v1_AdamOptimizer, AdamOptimizer__Output as _lrsweep_v1_AdamOptimizer__Output } from '../../lrsweep/v1/AdamOptimizer.js';
import type { RmsPropOptimizer as _lrsweep_v1_RmsPropOptimizer, RmsPropOptimizer__Output as _lrsweep_v1_RmsPropOptimizer__Output } from '../../lrsweep/v1/RmsPropOptimizer.js';

export interface OptimizerSpec {
  'sgd'?: (_lrsweep_v1_SgdOptimizer | null);
  'momentum'?: (_lrsweep_v1_MomentumOptimizer | null);
  'adam'?: (_lrsweep_v1_AdamOptimizer | null);
  'rmsprop'?: (_lrsweep_v1_RmsPropOptimizer | null);
  'kind'?: "sgd"|"momentum"|"adam"|"rmsprop";
}

export interface OptimizerSpec__Output {
  'sgd'?: (_lrsweep_v1_SgdOptimizer__Output | null);
  'momentum'?: (_lrsweep_v1_MomentumOptimizer__Output | null);
  'adam'?: (_lrsweep_v1_AdamOptimizer__Output | null);
  'rmsprop'?: (_lrsweep_v1_RmsPropOptimizer__Output | null);
  'kind'?: "sgd"|"momentum"|"adam"|"rmsprop";
}
