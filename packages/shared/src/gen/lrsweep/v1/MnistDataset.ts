// Original file: ../../proto/lrsweep/v1/spec.proto


export interface MnistDataset {
  /**
   * Only these digits (labels stay 0-9); empty: all ten.
   */
  'digits'?: (number)[];
  /**
   * Keep at most this many training examples (validation keeps its size).
   */
  'trainLimit'?: (number);
  '_trainLimit'?: "trainLimit";
}

export interface MnistDataset__Output {
  /**
   * Only these digits (labels stay 0-9); empty: all ten.
   */
  'digits': (number)[];
  /**
   * Keep at most this many training examples (validation keeps its size).
   */
  'trainLimit'?: (number);
  '_trainLimit'?: "trainLimit";
}
