// Original file: ../../proto/lrsweep/v1/spec.proto


export interface StagnationSpec {
  'windowSteps'?: (number);
  'minRelImprovement'?: (number | string);
  '_windowSteps'?: "windowSteps";
  '_minRelImprovement'?: "minRelImprovement";
}

export interface StagnationSpec__Output {
  'windowSteps'?: (number);
  'minRelImprovement'?: (number);
  '_windowSteps'?: "windowSteps";
  '_minRelImprovement'?: "minRelImprovement";
}
