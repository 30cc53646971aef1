// Original file: ../../proto/lrsweep/v1/spec.proto


export interface DivergenceGuardSpec {
  'enabled'?: (boolean);
  /**
   * Default: pruning.divergence_factor.
   */
  'divergenceFactor'?: (number | string);
  'factor'?: (number | string);
  'maxRetries'?: (number);
  'checkpointEvery'?: (number);
  '_enabled'?: "enabled";
  '_divergenceFactor'?: "divergenceFactor";
  '_factor'?: "factor";
  '_maxRetries'?: "maxRetries";
  '_checkpointEvery'?: "checkpointEvery";
}

export interface DivergenceGuardSpec__Output {
  'enabled'?: (boolean);
  /**
   * Default: pruning.divergence_factor.
   */
  'divergenceFactor'?: (number);
  'factor'?: (number);
  'maxRetries'?: (number);
  'checkpointEvery'?: (number);
  '_enabled'?: "enabled";
  '_divergenceFactor'?: "divergenceFactor";
  '_factor'?: "factor";
  '_maxRetries'?: "maxRetries";
  '_checkpointEvery'?: "checkpointEvery";
}
