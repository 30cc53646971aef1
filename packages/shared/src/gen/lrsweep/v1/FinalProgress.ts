// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface FinalProgress {
  'step'?: (number);
  'totalSteps'?: (number);
  'learningRate'?: (number | string);
  'loss'?: (number | string);
  'valLoss'?: (number | string);
  'valAccuracy'?: (number | string);
  'epoch'?: (number);
  /**
   * Which final training (final, final-2, ...) when there are several candidates.
   */
  'trialId'?: (string);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}

export interface FinalProgress__Output {
  'step': (number);
  'totalSteps': (number);
  'learningRate': (number);
  'loss': (number);
  'valLoss'?: (number);
  'valAccuracy'?: (number);
  'epoch': (number);
  /**
   * Which final training (final, final-2, ...) when there are several candidates.
   */
  'trialId': (string);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}
