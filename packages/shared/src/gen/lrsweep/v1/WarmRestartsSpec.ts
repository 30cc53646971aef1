// Original file: ../../proto/lrsweep/v1/spec.proto


export interface WarmRestartsSpec {
  /**
   * Length of the first cycle: in epochs, or in steps (not both); default 1 epoch.
   */
  'cycleEpochs'?: (number | string);
  'cycleSteps'?: (number);
  /**
   * Each cycle is this many times longer than the one before (default 2).
   */
  'cycleMult'?: (number);
  '_cycleEpochs'?: "cycleEpochs";
  '_cycleSteps'?: "cycleSteps";
  '_cycleMult'?: "cycleMult";
}

export interface WarmRestartsSpec__Output {
  /**
   * Length of the first cycle: in epochs, or in steps (not both); default 1 epoch.
   */
  'cycleEpochs'?: (number);
  'cycleSteps'?: (number);
  /**
   * Each cycle is this many times longer than the one before (default 2).
   */
  'cycleMult'?: (number);
  '_cycleEpochs'?: "cycleEpochs";
  '_cycleSteps'?: "cycleSteps";
  '_cycleMult'?: "cycleMult";
}
