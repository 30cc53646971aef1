// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { ScheduleKind as _lrsweep_v1_ScheduleKind, ScheduleKind__Output as _lrsweep_v1_ScheduleKind__Output } from '../../lrsweep/v1/ScheduleKind.js';
import type { RateChange as _lrsweep_v1_RateChange, RateChange__Output as _lrsweep_v1_RateChange__Output } from '../../lrsweep/v1/RateChange.js';

export interface FinalTraining {
  'schedule'?: (_lrsweep_v1_ScheduleKind);
  'lrMin'?: (number | string);
  'lrMax'?: (number | string);
  'epochs'?: (number);
  'steps'?: (number);
  'totalSteps'?: (number);
  'valLoss'?: (number | string);
  'valAccuracy'?: (number | string);
  'modelPath'?: (string);
  'workerId'?: (string);
  /**
   * Every change of the rate in this attempt, in order.
   */
  'adjustments'?: (_lrsweep_v1_RateChange)[];
  /**
   * final, final-2, ...: one per candidate peak rate (FinalSpec.candidates).
   */
  'trialId'?: (string);
  /**
   * Set when this candidate failed (the sweep fails only when every candidate does).
   */
  'error'?: (string);
  /**
   * Its attempt began while the search's last trials ran (FinalSpec.start_early).
   */
  'startedEarly'?: (boolean);
  /**
   * Times it started over: an early start whose rates the finished search moved, or whose slot
   * the search needed.
   */
  'restarts'?: (number);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}

export interface FinalTraining__Output {
  'schedule': (_lrsweep_v1_ScheduleKind__Output);
  'lrMin': (number);
  'lrMax': (number);
  'epochs': (number);
  'steps': (number);
  'totalSteps': (number);
  'valLoss'?: (number);
  'valAccuracy'?: (number);
  'modelPath': (string);
  'workerId': (string);
  /**
   * Every change of the rate in this attempt, in order.
   */
  'adjustments': (_lrsweep_v1_RateChange__Output)[];
  /**
   * final, final-2, ...: one per candidate peak rate (FinalSpec.candidates).
   */
  'trialId': (string);
  /**
   * Set when this candidate failed (the sweep fails only when every candidate does).
   */
  'error': (string);
  /**
   * Its attempt began while the search's last trials ran (FinalSpec.start_early).
   */
  'startedEarly': (boolean);
  /**
   * Times it started over: an early start whose rates the finished search moved, or whose slot
   * the search needed.
   */
  'restarts': (number);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}
