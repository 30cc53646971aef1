// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface LossPoint {
  'trialId'?: (string);
  'step'?: (number);
  'learningRate'?: (number | string);
  'loss'?: (number | string);
}

export interface LossPoint__Output {
  'trialId': (string);
  'step': (number);
  'learningRate': (number);
  'loss': (number);
}
