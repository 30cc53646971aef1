// Original file: ../../proto/lrsweep/v1/worker.proto


export interface RunTrialResponse {
  /**
   * True when a paused trial was resumed rather than started from scratch.
   */
  'resumed'?: (boolean);
  'step'?: (number);
}

export interface RunTrialResponse__Output {
  /**
   * True when a paused trial was resumed rather than started from scratch.
   */
  'resumed': (boolean);
  'step': (number);
}
