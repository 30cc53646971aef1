// Original file: ../../proto/lrsweep/v1/spec.proto


export interface LayerGroup {
  'name'?: (string);
  /**
   * Glob patterns over layer names; set either these or indices.
   */
  'layers'?: (string)[];
  /**
   * [first, last] layers with weights, inclusive, 0-based (negative: from the end).
   */
  'indices'?: (number)[];
  'frozen'?: (boolean);
  '_frozen'?: "frozen";
}

export interface LayerGroup__Output {
  'name': (string);
  /**
   * Glob patterns over layer names; set either these or indices.
   */
  'layers': (string)[];
  /**
   * [first, last] layers with weights, inclusive, 0-based (negative: from the end).
   */
  'indices': (number)[];
  'frozen'?: (boolean);
  '_frozen'?: "frozen";
}
