// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { SweepState as _lrsweep_v1_SweepState, SweepState__Output as _lrsweep_v1_SweepState__Output } from '../../lrsweep/v1/SweepState.js';
import type { SweepSpec as _lrsweep_v1_SweepSpec, SweepSpec__Output as _lrsweep_v1_SweepSpec__Output } from '../../lrsweep/v1/SweepSpec.js';
import type { BestTrial as _lrsweep_v1_BestTrial, BestTrial__Output as _lrsweep_v1_BestTrial__Output } from '../../lrsweep/v1/BestTrial.js';
import type { LearningRateRange as _lrsweep_v1_LearningRateRange, LearningRateRange__Output as _lrsweep_v1_LearningRateRange__Output } from '../../lrsweep/v1/LearningRateRange.js';
import type { Trial as _lrsweep_v1_Trial, Trial__Output as _lrsweep_v1_Trial__Output } from '../../lrsweep/v1/Trial.js';
import type { Budget as _lrsweep_v1_Budget, Budget__Output as _lrsweep_v1_Budget__Output } from '../../lrsweep/v1/Budget.js';
import type { FinalTraining as _lrsweep_v1_FinalTraining, FinalTraining__Output as _lrsweep_v1_FinalTraining__Output } from '../../lrsweep/v1/FinalTraining.js';
import type { Decision as _lrsweep_v1_Decision, Decision__Output as _lrsweep_v1_Decision__Output } from '../../lrsweep/v1/Decision.js';
import type { Long } from '@grpc/proto-loader';

export interface Sweep {
  'sweepId'?: (string);
  'name'?: (string);
  'state'?: (_lrsweep_v1_SweepState);
  'spec'?: (_lrsweep_v1_SweepSpec | null);
  /**
   * The backend the workers ran (tensorflow, wasm, cpu; "mixed: ..." when they differ).
   */
  'backend'?: (string);
  'best'?: (_lrsweep_v1_BestTrial | null);
  'range'?: (_lrsweep_v1_LearningRateRange | null);
  'trials'?: (_lrsweep_v1_Trial)[];
  'budget'?: (_lrsweep_v1_Budget | null);
  'final'?: (_lrsweep_v1_FinalTraining | null);
  'decisions'?: (_lrsweep_v1_Decision)[];
  'wallSeconds'?: (number | string);
  'error'?: (string);
  'createdUnixMs'?: (number | string | Long);
  /**
   * Every final training, one per candidate peak rate; `final` is the one with the lowest
   * validation loss once all are done (the first candidate until then).
   */
  'finalCandidates'?: (_lrsweep_v1_FinalTraining)[];
}

export interface Sweep__Output {
  'sweepId': (string);
  'name': (string);
  'state': (_lrsweep_v1_SweepState__Output);
  'spec': (_lrsweep_v1_SweepSpec__Output | null);
  /**
   * The backend the workers ran (tensorflow, wasm, cpu; "mixed: ..." when they differ).
   */
  'backend': (string);
  'best': (_lrsweep_v1_BestTrial__Output | null);
  'range': (_lrsweep_v1_LearningRateRange__Output | null);
  'trials': (_lrsweep_v1_Trial__Output)[];
  'budget': (_lrsweep_v1_Budget__Output | null);
  'final': (_lrsweep_v1_FinalTraining__Output | null);
  'decisions': (_lrsweep_v1_Decision__Output)[];
  'wallSeconds': (number);
  'error': (string);
  'createdUnixMs': (number);
  /**
   * Every final training, one per candidate peak rate; `final` is the one with the lowest
   * validation loss once all are done (the first candidate until then).
   */
  'finalCandidates': (_lrsweep_v1_FinalTraining__Output)[];
}
