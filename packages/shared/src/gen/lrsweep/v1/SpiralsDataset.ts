// Original file: ../../proto/lrsweep/v1/spec.proto


export interface SpiralsDataset {
  'classes'?: (number);
  'pointsPerClass'?: (number);
  'noise'?: (number | string);
  '_classes'?: "classes";
  '_pointsPerClass'?: "pointsPerClass";
  '_noise'?: "noise";
}

export interface SpiralsDataset__Output {
  'classes'?: (number);
  'pointsPerClass'?: (number);
  'noise'?: (number);
  '_classes'?: "classes";
  '_pointsPerClass'?: "pointsPerClass";
  '_noise'?: "noise";
}
