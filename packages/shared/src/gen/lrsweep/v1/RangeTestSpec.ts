// Original file: ../../proto/lrsweep/v1/spec.proto


export interface RangeTestSpec {
  'min'?: (number | string);
  'max'?: (number | string);
  'steps'?: (number);
  'seeds'?: (number);
  'beta'?: (number | string);
  'divergenceFactor'?: (number | string);
  '_min'?: "min";
  '_max'?: "max";
  '_steps'?: "steps";
  '_seeds'?: "seeds";
  '_beta'?: "beta";
  '_divergenceFactor'?: "divergenceFactor";
}

export interface RangeTestSpec__Output {
  'min'?: (number);
  'max'?: (number);
  'steps'?: (number);
  'seeds'?: (number);
  'beta'?: (number);
  'divergenceFactor'?: (number);
  '_min'?: "min";
  '_max'?: "max";
  '_steps'?: "steps";
  '_seeds'?: "seeds";
  '_beta'?: "beta";
  '_divergenceFactor'?: "divergenceFactor";
}
