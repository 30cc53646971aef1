// Original file: ../../proto/lrsweep/v1/spec.proto


export interface PretrainedWeights {
  /**
   * A model.json saved by lrsweep, with its weights.bin beside it; a path readable by every worker.
   */
  'path'?: (string);
  /**
   * Glob patterns over layer names: these layers keep their fresh seeded initialisation (a new head).
   */
  'reinitialize'?: (string)[];
}

export interface PretrainedWeights__Output {
  /**
   * A model.json saved by lrsweep, with its weights.bin beside it; a path readable by every worker.
   */
  'path': (string);
  /**
   * Glob patterns over layer names: these layers keep their fresh seeded initialisation (a new head).
   */
  'reinitialize': (string)[];
}
