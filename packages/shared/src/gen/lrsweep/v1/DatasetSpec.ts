// Original file: ../../proto/lrsweep/v1/spec.proto

import type { MnistDataset as _lrsweep_v1_MnistDataset, MnistDataset__Output as _lrsweep_v1_MnistDataset__Output } from '../../lrsweep/v1/MnistDataset.js';
import type { SpiralsDataset as _lrsweep_v1_SpiralsDataset, SpiralsDataset__Output as _lrsweep_v1_SpiralsDataset__Output } from '../../lrsweep/v1/SpiralsDataset.js';
import type { CsvDataset as _lrsweep_v1_CsvDataset, CsvDataset__Output as _lrsweep_v1_CsvDataset__Output } from '../../lrsweep/v1/CsvDataset.js';

export interface DatasetSpec {
  'mnist'?: (_lrsweep_v1_MnistDataset | null);
  'spirals'?: (_lrsweep_v1_SpiralsDataset | null);
  'csv'?: (_lrsweep_v1_CsvDataset | null);
  'validationFraction'?: (number | string);
  'sampleFraction'?: (number | string);
  'source'?: "mnist"|"spirals"|"csv";
  '_validationFraction'?: "validationFraction";
  '_sampleFraction'?: "sampleFraction";
}

export interface DatasetSpec__Output {
  'mnist'?: (_lrsweep_v1_MnistDataset__Output | null);
  'spirals'?: (_lrsweep_v1_SpiralsDataset__Output | null);
  'csv'?: (_lrsweep_v1_CsvDataset__Output | null);
  'validationFraction'?: (number);
  'sampleFraction'?: (number);
  'source'?: "mnist"|"spirals"|"csv";
  '_validationFraction'?: "validationFraction";
  '_sampleFraction'?: "sampleFraction";
}
