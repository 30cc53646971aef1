// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { Sweep as _lrsweep_v1_Sweep, Sweep__Output as _lrsweep_v1_Sweep__Output } from '../../lrsweep/v1/Sweep.js';
import type { Trial as _lrsweep_v1_Trial, Trial__Output as _lrsweep_v1_Trial__Output } from '../../lrsweep/v1/Trial.js';
import type { LossPoint as _lrsweep_v1_LossPoint, LossPoint__Output as _lrsweep_v1_LossPoint__Output } from '../../lrsweep/v1/LossPoint.js';
import type { Decision as _lrsweep_v1_Decision, Decision__Output as _lrsweep_v1_Decision__Output } from '../../lrsweep/v1/Decision.js';
import type { FinalProgress as _lrsweep_v1_FinalProgress, FinalProgress__Output as _lrsweep_v1_FinalProgress__Output } from '../../lrsweep/v1/FinalProgress.js';
import type { RateChange as _lrsweep_v1_RateChange, RateChange__Output as _lrsweep_v1_RateChange__Output } from '../../lrsweep/v1/RateChange.js';

export interface WatchSweepResponse {
  /**
   * Always first: the sweep as it stands.
   */
  'snapshot'?: (_lrsweep_v1_Sweep | null);
  'trialStarted'?: (_lrsweep_v1_Trial | null);
  'loss'?: (_lrsweep_v1_LossPoint | null);
  'decision'?: (_lrsweep_v1_Decision | null);
  'finalProgress'?: (_lrsweep_v1_FinalProgress | null);
  /**
   * Last: the finished sweep.
   */
  'done'?: (_lrsweep_v1_Sweep | null);
  /**
   * The final training changed its rate (also listed in Sweep.final.adjustments).
   */
  'rateChange'?: (_lrsweep_v1_RateChange | null);
  'event'?: "snapshot"|"trialStarted"|"loss"|"decision"|"finalProgress"|"done"|"rateChange";
}

export interface WatchSweepResponse__Output {
  /**
   * Always first: the sweep as it stands.
   */
  'snapshot'?: (_lrsweep_v1_Sweep__Output | null);
  'trialStarted'?: (_lrsweep_v1_Trial__Output | null);
  'loss'?: (_lrsweep_v1_LossPoint__Output | null);
  'decision'?: (_lrsweep_v1_Decision__Output | null);
  'finalProgress'?: (_lrsweep_v1_FinalProgress__Output | null);
  /**
   * Last: the finished sweep.
   */
  'done'?: (_lrsweep_v1_Sweep__Output | null);
  /**
   * The final training changed its rate (also listed in Sweep.final.adjustments).
   */
  'rateChange'?: (_lrsweep_v1_RateChange__Output | null);
  'event'?: "snapshot"|"trialStarted"|"loss"|"decision"|"finalProgress"|"done"|"rateChange";
}
