// Original file: ../../proto/lrsweep/v1/worker.proto

import type { RunningTrial as _lrsweep_v1_RunningTrial, RunningTrial__Output as _lrsweep_v1_RunningTrial__Output } from '../../lrsweep/v1/RunningTrial.js';

export interface DescribeWorkerResponse {
  'workerId'?: (string);
  'address'?: (string);
  'slots'?: (number);
  'backend'?: (string);
  'trials'?: (_lrsweep_v1_RunningTrial)[];
}

export interface DescribeWorkerResponse__Output {
  'workerId': (string);
  'address': (string);
  'slots': (number);
  'backend': (string);
  'trials': (_lrsweep_v1_RunningTrial__Output)[];
}
