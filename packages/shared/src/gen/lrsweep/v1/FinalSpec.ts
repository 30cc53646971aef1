// Original file: ../../proto/lrsweep/v1/spec.proto

import type { ScheduleKind as _lrsweep_v1_ScheduleKind, ScheduleKind__Output as _lrsweep_v1_ScheduleKind__Output } from '../../lrsweep/v1/ScheduleKind.js';
import type { WarmRestartsSpec as _lrsweep_v1_WarmRestartsSpec, WarmRestartsSpec__Output as _lrsweep_v1_WarmRestartsSpec__Output } from '../../lrsweep/v1/WarmRestartsSpec.js';
import type { DivergenceGuardSpec as _lrsweep_v1_DivergenceGuardSpec, DivergenceGuardSpec__Output as _lrsweep_v1_DivergenceGuardSpec__Output } from '../../lrsweep/v1/DivergenceGuardSpec.js';
import type { ReduceOnPlateauSpec as _lrsweep_v1_ReduceOnPlateauSpec, ReduceOnPlateauSpec__Output as _lrsweep_v1_ReduceOnPlateauSpec__Output } from '../../lrsweep/v1/ReduceOnPlateauSpec.js';

export interface FinalSpec {
  'epochs'?: (number);
  'schedule'?: (_lrsweep_v1_ScheduleKind);
  /**
   * Cycles of SCHEDULE_KIND_COSINE_RESTARTS (only with that schedule); unset: the defaults.
   */
  'warmRestarts'?: (_lrsweep_v1_WarmRestartsSpec | null);
  /**
   * Unset: on, with the defaults.
   */
  'divergenceGuard'?: (_lrsweep_v1_DivergenceGuardSpec | null);
  /**
   * Unset: off. Set (even empty): on.
   */
  'reduceOnPlateau'?: (_lrsweep_v1_ReduceOnPlateauSpec | null);
  /**
   * Final trainings at different peak rates, run at once; the lowest validation loss wins.
   * Unset or 0: auto (as many as there are worker slots, at most 3).
   */
  'candidates'?: (number);
  /**
   * Start the finals on slots the search cannot use while its last trials run (unset: on); a
   * finished search that moves the range restarts them.
   */
  'startEarly'?: (boolean);
  '_epochs'?: "epochs";
  '_candidates'?: "candidates";
  '_startEarly'?: "startEarly";
}

export interface FinalSpec__Output {
  'epochs'?: (number);
  'schedule': (_lrsweep_v1_ScheduleKind__Output);
  /**
   * Cycles of SCHEDULE_KIND_COSINE_RESTARTS (only with that schedule); unset: the defaults.
   */
  'warmRestarts': (_lrsweep_v1_WarmRestartsSpec__Output | null);
  /**
   * Unset: on, with the defaults.
   */
  'divergenceGuard': (_lrsweep_v1_DivergenceGuardSpec__Output | null);
  /**
   * Unset: off. Set (even empty): on.
   */
  'reduceOnPlateau': (_lrsweep_v1_ReduceOnPlateauSpec__Output | null);
  /**
   * Final trainings at different peak rates, run at once; the lowest validation loss wins.
   * Unset or 0: auto (as many as there are worker slots, at most 3).
   */
  'candidates'?: (number);
  /**
   * Start the finals on slots the search cannot use while its last trials run (unset: on); a
   * finished search that moves the range restarts them.
   */
  'startEarly'?: (boolean);
  '_epochs'?: "epochs";
  '_candidates'?: "candidates";
  '_startEarly'?: "startEarly";
}
