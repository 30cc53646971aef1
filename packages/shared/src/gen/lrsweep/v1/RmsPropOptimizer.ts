// Original file: ../../proto/lrsweep/v1/spec.proto


export interface RmsPropOptimizer {
  'rho'?: (number | string);
  'momentum'?: (number | string);
  'epsilon'?: (number | string);
  '_rho'?: "rho";
  '_momentum'?: "momentum";
  '_epsilon'?: "epsilon";
}

export interface RmsPropOptimizer__Output {
  'rho'?: (number);
  'momentum'?: (number);
  'epsilon'?: (number);
  '_rho'?: "rho";
  '_momentum'?: "momentum";
  '_epsilon'?: "epsilon";
}
