// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { Long } from '@grpc/proto-loader';

export interface Budget {
  'stepsSpent'?: (number | string | Long);
  'fullGridSteps'?: (number | string | Long);
}

export interface Budget__Output {
  'stepsSpent': (number);
  'fullGridSteps': (number);
}
