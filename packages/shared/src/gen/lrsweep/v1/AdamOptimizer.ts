// Original file: ../../proto/lrsweep/v1/spec.proto


export interface AdamOptimizer {
  'beta1'?: (number | string);
  'beta2'?: (number | string);
  'epsilon'?: (number | string);
  '_beta1'?: "beta1";
  '_beta2'?: "beta2";
  '_epsilon'?: "epsilon";
}

export interface AdamOptimizer__Output {
  'beta1'?: (number);
  'beta2'?: (number);
  'epsilon'?: (number);
  '_beta1'?: "beta1";
  '_beta2'?: "beta2";
  '_epsilon'?: "epsilon";
}
