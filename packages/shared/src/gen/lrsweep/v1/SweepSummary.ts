// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { SweepState as _lrsweep_v1_SweepState, SweepState__Output as _lrsweep_v1_SweepState__Output } from '../../lrsweep/v1/SweepState.js';
import type { Long } from '@grpc/proto-loader';

export interface SweepSummary {
  'sweepId'?: (string);
  'name'?: (string);
  'state'?: (_lrsweep_v1_SweepState);
  'trials'?: (number);
  'bestLearningRate'?: (number | string);
  'createdUnixMs'?: (number | string | Long);
  '_bestLearningRate'?: "bestLearningRate";
}

export interface SweepSummary__Output {
  'sweepId': (string);
  'name': (string);
  'state': (_lrsweep_v1_SweepState__Output);
  'trials': (number);
  'bestLearningRate'?: (number);
  'createdUnixMs': (number);
  '_bestLearningRate'?: "bestLearningRate";
}
