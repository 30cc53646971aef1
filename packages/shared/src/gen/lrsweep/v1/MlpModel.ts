// Original file: ../../proto/lrsweep/v1/spec.proto


export interface MlpModel {
  'hidden'?: (number)[];
  /**
   * relu | tanh | elu | sigmoid (default relu).
   */
  'activation'?: (string);
}

export interface MlpModel__Output {
  'hidden': (number)[];
  /**
   * relu | tanh | elu | sigmoid (default relu).
   */
  'activation': (string);
}
