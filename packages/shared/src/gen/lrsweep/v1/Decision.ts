// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { DecisionKind as _lrsweep_v1_DecisionKind, DecisionKind__Output as _lrsweep_v1_DecisionKind__Output } from '../../lrsweep/v1/DecisionKind.js';
import type { PruneReason as _lrsweep_v1_PruneReason, PruneReason__Output as _lrsweep_v1_PruneReason__Output } from '../../lrsweep/v1/PruneReason.js';
import type { Evidence as _lrsweep_v1_Evidence, Evidence__Output as _lrsweep_v1_Evidence__Output } from '../../lrsweep/v1/Evidence.js';
import type { Long } from '@grpc/proto-loader';

export interface Decision {
  'sequence'?: (number | string | Long);
  'trialId'?: (string);
  'kind'?: (_lrsweep_v1_DecisionKind);
  'reason'?: (_lrsweep_v1_PruneReason);
  /**
   * One line a person can read: "lr 3.2 pruned: smoothed loss 9.8 > 4 x best 2.1 at step 40".
   */
  'summary'?: (string);
  'evidence'?: (_lrsweep_v1_Evidence | null);
}

export interface Decision__Output {
  'sequence': (number);
  'trialId': (string);
  'kind': (_lrsweep_v1_DecisionKind__Output);
  'reason': (_lrsweep_v1_PruneReason__Output);
  /**
   * One line a person can read: "lr 3.2 pruned: smoothed loss 9.8 > 4 x best 2.1 at step 40".
   */
  'summary': (string);
  'evidence': (_lrsweep_v1_Evidence__Output | null);
}
