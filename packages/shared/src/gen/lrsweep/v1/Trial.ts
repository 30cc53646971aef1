// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { TrialState as _lrsweep_v1_TrialState, TrialState__Output as _lrsweep_v1_TrialState__Output } from '../../lrsweep/v1/TrialState.js';
import type { PruneReason as _lrsweep_v1_PruneReason, PruneReason__Output as _lrsweep_v1_PruneReason__Output } from '../../lrsweep/v1/PruneReason.js';

export interface Trial {
  'trialId'?: (string);
  'index'?: (number);
  'learningRate'?: (number | string);
  'state'?: (_lrsweep_v1_TrialState);
  'reason'?: (_lrsweep_v1_PruneReason);
  'steps'?: (number);
  /**
   * Latest smoothed training loss (NaN when it diverged to NaN).
   */
  'loss'?: (number | string);
  'valLoss'?: (number | string);
  'valAccuracy'?: (number | string);
  'workerId'?: (string);
  /**
   * Highest rung reached (0-based), -1 before the first.
   */
  'rung'?: (number);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}

export interface Trial__Output {
  'trialId': (string);
  'index': (number);
  'learningRate': (number);
  'state': (_lrsweep_v1_TrialState__Output);
  'reason': (_lrsweep_v1_PruneReason__Output);
  'steps': (number);
  /**
   * Latest smoothed training loss (NaN when it diverged to NaN).
   */
  'loss': (number);
  'valLoss'?: (number);
  'valAccuracy'?: (number);
  'workerId': (string);
  /**
   * Highest rung reached (0-based), -1 before the first.
   */
  'rung': (number);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}
