// Original file: ../../proto/lrsweep/v1/worker.proto

import type { TrialKind as _lrsweep_v1_TrialKind, TrialKind__Output as _lrsweep_v1_TrialKind__Output } from '../../lrsweep/v1/TrialKind.js';
import type { SweepSpec as _lrsweep_v1_SweepSpec, SweepSpec__Output as _lrsweep_v1_SweepSpec__Output } from '../../lrsweep/v1/SweepSpec.js';
import type { Long } from '@grpc/proto-loader';

export interface RunTrialRequest {
  'sweepId'?: (string);
  'trialId'?: (string);
  'kind'?: (_lrsweep_v1_TrialKind);
  'spec'?: (_lrsweep_v1_SweepSpec | null);
  /**
   * Seeds initial weights and data order.
   */
  'seed'?: (number);
  /**
   * SEARCH: the constant rate.
   */
  'learningRate'?: (number | string);
  /**
   * SEARCH: train until this absolute step, then evaluate and pause.
   */
  'untilStep'?: (number);
  /**
   * FINAL: the rate range of the schedule.
   */
  'lrMin'?: (number | string);
  'lrMax'?: (number | string);
  /**
   * Counts the (re)starts of this trial; echoed in every report and event, so reports of an
   * abandoned attempt (a worker thought dead) are told apart and ignored.
   */
  'attempt'?: (number);
  /**
   * SEARCH: continue from the trial's checkpoint (kept here, or in the JetStream object store)
   * instead of from scratch.
   */
  'fromCheckpoint'?: (boolean);
  /**
   * SEARCH: also checkpoint every this many steps (0: only at the step budget).
   */
  'checkpointEvery'?: (number);
  /**
   * SEARCH with from_checkpoint: the step the state must be at (a stale copy is refused).
   */
  'fromStep'?: (number);
  /**
   * The calling coordinator's lease epoch (the revision at which it took the lease; 0 without a
   * lease). A worker refuses a call whose epoch is below the highest it has seen with
   * FAILED_PRECONDITION: that coordinator was replaced, and must not act any more.
   */
  'coordinatorEpoch'?: (number | string | Long);
}

export interface RunTrialRequest__Output {
  'sweepId': (string);
  'trialId': (string);
  'kind': (_lrsweep_v1_TrialKind__Output);
  'spec': (_lrsweep_v1_SweepSpec__Output | null);
  /**
   * Seeds initial weights and data order.
   */
  'seed': (number);
  /**
   * SEARCH: the constant rate.
   */
  'learningRate': (number);
  /**
   * SEARCH: train until this absolute step, then evaluate and pause.
   */
  'untilStep': (number);
  /**
   * FINAL: the rate range of the schedule.
   */
  'lrMin': (number);
  'lrMax': (number);
  /**
   * Counts the (re)starts of this trial; echoed in every report and event, so reports of an
   * abandoned attempt (a worker thought dead) are told apart and ignored.
   */
  'attempt': (number);
  /**
   * SEARCH: continue from the trial's checkpoint (kept here, or in the JetStream object store)
   * instead of from scratch.
   */
  'fromCheckpoint': (boolean);
  /**
   * SEARCH: also checkpoint every this many steps (0: only at the step budget).
   */
  'checkpointEvery': (number);
  /**
   * SEARCH with from_checkpoint: the step the state must be at (a stale copy is refused).
   */
  'fromStep': (number);
  /**
   * The calling coordinator's lease epoch (the revision at which it took the lease; 0 without a
   * lease). A worker refuses a call whose epoch is below the highest it has seen with
   * FAILED_PRECONDITION: that coordinator was replaced, and must not act any more.
   */
  'coordinatorEpoch': (number);
}
