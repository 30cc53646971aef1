// Original file: ../../proto/lrsweep/v1/spec.proto

import type { MlpModel as _lrsweep_v1_MlpModel, MlpModel__Output as _lrsweep_v1_MlpModel__Output } from '../../lrsweep/v1/MlpModel.js';
import type { CnnModel as _lrsweep_v1_CnnModel, CnnModel__Output as _lrsweep_v1_CnnModel__Output } from '../../lrsweep/v1/CnnModel.js';
import type { PretrainedWeights as _lrsweep_v1_PretrainedWeights, PretrainedWeights__Output as _lrsweep_v1_PretrainedWeights__Output } from '../../lrsweep/v1/PretrainedWeights.js';

export interface ModelSpec {
  'mlp'?: (_lrsweep_v1_MlpModel | null);
  'cnn'?: (_lrsweep_v1_CnnModel | null);
  /**
   * A tfjs-layers model JSON (the content, not a path: workers need not share a file system).
   */
  'topologyJson'?: (string);
  /**
   * Start from trained weights (fine-tuning).
   */
  'pretrained'?: (_lrsweep_v1_PretrainedWeights | null);
  'kind'?: "mlp"|"cnn"|"topologyJson";
}

export interface ModelSpec__Output {
  'mlp'?: (_lrsweep_v1_MlpModel__Output | null);
  'cnn'?: (_lrsweep_v1_CnnModel__Output | null);
  /**
   * A tfjs-layers model JSON (the content, not a path: workers need not share a file system).
   */
  'topologyJson'?: (string);
  /**
   * Start from trained weights (fine-tuning).
   */
  'pretrained': (_lrsweep_v1_PretrainedWeights__Output | null);
  'kind'?: "mlp"|"cnn"|"topologyJson";
}
