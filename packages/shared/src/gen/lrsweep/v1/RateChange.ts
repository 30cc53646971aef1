// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { RateChangeCause as _lrsweep_v1_RateChangeCause, RateChangeCause__Output as _lrsweep_v1_RateChangeCause__Output } from '../../lrsweep/v1/RateChangeCause.js';

/**
 * One change of the final training's rate. The rate applied = schedule(step) x multiplier.
 */
export interface RateChange {
  /**
   * The step at which it was decided.
   */
  'step'?: (number);
  'cause'?: (_lrsweep_v1_RateChangeCause);
  'fromMultiplier'?: (number | string);
  'toMultiplier'?: (number | string);
  /**
   * Divergence guard: training went on from the snapshot of this step.
   */
  'rolledBackTo'?: (number);
  /**
   * The rate of the next step, after the change.
   */
  'learningRate'?: (number | string);
  /**
   * What triggered it (a loss, NaN when it was not finite) and the limit it crossed (NaN if none).
   */
  'value'?: (number | string);
  'threshold'?: (number | string);
  /**
   * One line a person can read: "loss not finite: window loss NaN at step 40; rolled back to step 0, ...".
   */
  'reason'?: (string);
  'epoch'?: (number);
  /**
   * The final training it belongs to (final, final-2, ...: see Sweep.final_candidates).
   */
  'trialId'?: (string);
  '_rolledBackTo'?: "rolledBackTo";
}

/**
 * One change of the final training's rate. The rate applied = schedule(step) x multiplier.
 */
export interface RateChange__Output {
  /**
   * The step at which it was decided.
   */
  'step': (number);
  'cause': (_lrsweep_v1_RateChangeCause__Output);
  'fromMultiplier': (number);
  'toMultiplier': (number);
  /**
   * Divergence guard: training went on from the snapshot of this step.
   */
  'rolledBackTo'?: (number);
  /**
   * The rate of the next step, after the change.
   */
  'learningRate': (number);
  /**
   * What triggered it (a loss, NaN when it was not finite) and the limit it crossed (NaN if none).
   */
  'value': (number);
  'threshold': (number);
  /**
   * One line a person can read: "loss not finite: window loss NaN at step 40; rolled back to step 0, ...".
   */
  'reason': (string);
  'epoch': (number);
  /**
   * The final training it belongs to (final, final-2, ...: see Sweep.final_candidates).
   */
  'trialId': (string);
  '_rolledBackTo'?: "rolledBackTo";
}
