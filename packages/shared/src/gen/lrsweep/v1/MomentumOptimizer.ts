// Original file: ../../proto/lrsweep/v1/spec.proto


export interface MomentumOptimizer {
  'momentum'?: (number | string);
  'nesterov'?: (boolean);
  '_momentum'?: "momentum";
  '_nesterov'?: "nesterov";
}

export interface MomentumOptimizer__Output {
  'momentum'?: (number);
  'nesterov'?: (boolean);
  '_momentum'?: "momentum";
  '_nesterov'?: "nesterov";
}
