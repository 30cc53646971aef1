// Original file: ../../proto/lrsweep/v1/spec.proto

import type { PlateauMonitor as _lrsweep_v1_PlateauMonitor, PlateauMonitor__Output as _lrsweep_v1_PlateauMonitor__Output } from '../../lrsweep/v1/PlateauMonitor.js';

export interface ReduceOnPlateauSpec {
  'monitor'?: (_lrsweep_v1_PlateauMonitor);
  'patience'?: (number);
  'factor'?: (number | string);
  'minDelta'?: (number | string);
  'cooldown'?: (number);
  'minRate'?: (number | string);
  /**
   * Judge every this many steps instead of at each epoch's end.
   */
  'everySteps'?: (number);
  '_patience'?: "patience";
  '_factor'?: "factor";
  '_minDelta'?: "minDelta";
  '_cooldown'?: "cooldown";
  '_minRate'?: "minRate";
  '_everySteps'?: "everySteps";
}

export interface ReduceOnPlateauSpec__Output {
  'monitor': (_lrsweep_v1_PlateauMonitor__Output);
  'patience'?: (number);
  'factor'?: (number);
  'minDelta'?: (number);
  'cooldown'?: (number);
  'minRate'?: (number);
  /**
   * Judge every this many steps instead of at each epoch's end.
   */
  'everySteps'?: (number);
  '_patience'?: "patience";
  '_factor'?: "factor";
  '_minDelta'?: "minDelta";
  '_cooldown'?: "cooldown";
  '_minRate'?: "minRate";
  '_everySteps'?: "everySteps";
}
