// Original file: ../../proto/lrsweep/v1/spec.proto


export interface GridSpec {
  'min'?: (number | string);
  'max'?: (number | string);
  'points'?: (number);
}

export interface GridSpec__Output {
  'min': (number);
  'max': (number);
  'points': (number);
}
