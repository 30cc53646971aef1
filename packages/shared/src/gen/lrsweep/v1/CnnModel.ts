// Original file: ../../proto/lrsweep/v1/spec.proto


export interface CnnModel {
  'filters'?: (number)[];
  'kernelSize'?: (number);
  'dense'?: (number)[];
  '_kernelSize'?: "kernelSize";
}

export interface CnnModel__Output {
  'filters': (number)[];
  'kernelSize'?: (number);
  'dense': (number)[];
  '_kernelSize'?: "kernelSize";
}
