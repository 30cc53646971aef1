// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface BestTrial {
  'trialId'?: (string);
  'learningRate'?: (number | string);
  'valLoss'?: (number | string);
  'valAccuracy'?: (number | string);
}

export interface BestTrial__Output {
  'trialId': (string);
  'learningRate': (number);
  'valLoss': (number);
  'valAccuracy': (number);
}
