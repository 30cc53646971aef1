// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface Peer {
  'trialId'?: (string);
  'learningRate'?: (number | string);
  'value'?: (number | string);
}

export interface Peer__Output {
  'trialId': (string);
  'learningRate': (number);
  'value': (number);
}
