// Original file: ../../proto/lrsweep/v1/spec.proto


export interface CsvDataset {
  /**
   * A path readable by every worker.
   */
  'path'?: (string);
  'label'?: (string);
  'standardize'?: (boolean);
  '_standardize'?: "standardize";
}

export interface CsvDataset__Output {
  /**
   * A path readable by every worker.
   */
  'path': (string);
  'label': (string);
  'standardize'?: (boolean);
  '_standardize'?: "standardize";
}
