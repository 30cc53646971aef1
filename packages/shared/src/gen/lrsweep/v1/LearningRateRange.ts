// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface LearningRateRange {
  'min'?: (number | string);
  'max'?: (number | string);
}

export interface LearningRateRange__Output {
  'min': (number);
  'max': (number);
}
