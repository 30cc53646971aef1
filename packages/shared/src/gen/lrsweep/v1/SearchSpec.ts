// Original file: ../../proto/lrsweep/v1/spec.proto

import type { SearchStrategy as _lrsweep_v1_SearchStrategy, SearchStrategy__Output as _lrsweep_v1_SearchStrategy__Output } from '../../lrsweep/v1/SearchStrategy.js';

export interface SearchSpec {
  'strategy'?: (_lrsweep_v1_SearchStrategy);
  'minSteps'?: (number);
  'maxSteps'?: (number);
  'reductionFactor'?: (number);
  'reportEvery'?: (number);
  '_minSteps'?: "minSteps";
  '_maxSteps'?: "maxSteps";
  '_reductionFactor'?: "reductionFactor";
  '_reportEvery'?: "reportEvery";
}

export interface SearchSpec__Output {
  'strategy': (_lrsweep_v1_SearchStrategy__Output);
  'minSteps'?: (number);
  'maxSteps'?: (number);
  'reductionFactor'?: (number);
  'reportEvery'?: (number);
  '_minSteps'?: "minSteps";
  '_maxSteps'?: "maxSteps";
  '_reductionFactor'?: "reductionFactor";
  '_reportEvery'?: "reportEvery";
}
