// Original file: ../../proto/lrsweep/v1/spec.proto

import type { ModelSpec as _lrsweep_v1_ModelSpec, ModelSpec__Output as _lrsweep_v1_ModelSpec__Output } from '../../lrsweep/v1/ModelSpec.js';
import type { DatasetSpec as _lrsweep_v1_DatasetSpec, DatasetSpec__Output as _lrsweep_v1_DatasetSpec__Output } from '../../lrsweep/v1/DatasetSpec.js';
import type { OptimizerSpec as _lrsweep_v1_OptimizerSpec, OptimizerSpec__Output as _lrsweep_v1_OptimizerSpec__Output } from '../../lrsweep/v1/OptimizerSpec.js';
import type { GridSpec as _lrsweep_v1_GridSpec, GridSpec__Output as _lrsweep_v1_GridSpec__Output } from '../../lrsweep/v1/GridSpec.js';
import type { SearchSpec as _lrsweep_v1_SearchSpec, SearchSpec__Output as _lrsweep_v1_SearchSpec__Output } from '../../lrsweep/v1/SearchSpec.js';
import type { PruningSpec as _lrsweep_v1_PruningSpec, PruningSpec__Output as _lrsweep_v1_PruningSpec__Output } from '../../lrsweep/v1/PruningSpec.js';
import type { FinalSpec as _lrsweep_v1_FinalSpec, FinalSpec__Output as _lrsweep_v1_FinalSpec__Output } from '../../lrsweep/v1/FinalSpec.js';
import type { RangeTestSpec as _lrsweep_v1_RangeTestSpec, RangeTestSpec__Output as _lrsweep_v1_RangeTestSpec__Output } from '../../lrsweep/v1/RangeTestSpec.js';
import type { LayerGroupsSpec as _lrsweep_v1_LayerGroupsSpec, LayerGroupsSpec__Output as _lrsweep_v1_LayerGroupsSpec__Output } from '../../lrsweep/v1/LayerGroupsSpec.js';

/**
 * The sweep spec as a structured message, field for field the YAML spec (camelCase there,
 * snake_case here). Unset optional fields take the documented defaults; the coordinator validates
 * the whole spec and answers INVALID_ARGUMENT naming the field path (e.g. "spec.grid.min").
 */
export interface SweepSpec {
  'name'?: (string);
  'seed'?: (number);
  'model'?: (_lrsweep_v1_ModelSpec | null);
  'dataset'?: (_lrsweep_v1_DatasetSpec | null);
  'optimizer'?: (_lrsweep_v1_OptimizerSpec | null);
  'batchSize'?: (number);
  'grid'?: (_lrsweep_v1_GridSpec | null);
  'search'?: (_lrsweep_v1_SearchSpec | null);
  'pruning'?: (_lrsweep_v1_PruningSpec | null);
  'final'?: (_lrsweep_v1_FinalSpec | null);
  'rangeTest'?: (_lrsweep_v1_RangeTestSpec | null);
  /**
   * Per-layer-group (discriminative) rates; unset: one rate for the whole model.
   */
  'layerGroups'?: (_lrsweep_v1_LayerGroupsSpec | null);
  '_seed'?: "seed";
  '_batchSize'?: "batchSize";
}

/**
 * The sweep spec as a structured message, field for field the YAML spec (camelCase there,
 * snake_case here). Unset optional fields take the documented defaults; the coordinator validates
 * the whole spec and answers INVALID_ARGUMENT naming the field path (e.g. "spec.grid.min").
 */
export interface SweepSpec__Output {
  'name': (string);
  'seed'?: (number);
  'model': (_lrsweep_v1_ModelSpec__Output | null);
  'dataset': (_lrsweep_v1_DatasetSpec__Output | null);
  'optimizer': (_lrsweep_v1_OptimizerSpec__Output | null);
  'batchSize'?: (number);
  'grid': (_lrsweep_v1_GridSpec__Output | null);
  'search': (_lrsweep_v1_SearchSpec__Output | null);
  'pruning': (_lrsweep_v1_PruningSpec__Output | null);
  'final': (_lrsweep_v1_FinalSpec__Output | null);
  'rangeTest': (_lrsweep_v1_RangeTestSpec__Output | null);
  /**
   * Per-layer-group (discriminative) rates; unset: one rate for the whole model.
   */
  'layerGroups': (_lrsweep_v1_LayerGroupsSpec__Output | null);
  '_seed'?: "seed";
  '_batchSize'?: "batchSize";
}
