// Original file: ../../proto/lrsweep/v1/spec.proto

import type { LayerGroup as _lrsweep_v1_LayerGroup, LayerGroup__Output as _lrsweep_v1_LayerGroup__Output } from '../../lrsweep/v1/LayerGroup.js';
import type { LayerGroupSweep as _lrsweep_v1_LayerGroupSweep, LayerGroupSweep__Output as _lrsweep_v1_LayerGroupSweep__Output } from '../../lrsweep/v1/LayerGroupSweep.js';

export interface LayerGroupsSpec {
  /**
   * Empty: one group per layer with weights.
   */
  'groups'?: (_lrsweep_v1_LayerGroup)[];
  'spread'?: (number | string);
  /**
   * One per group; empty: unset.
   */
  'multipliers'?: (number | string)[];
  'sweep'?: (_lrsweep_v1_LayerGroupSweep);
  /**
   * With LAYER_GROUP_SWEEP_GROUP: the group swept.
   */
  'group'?: (string);
  'base'?: (number | string);
  '_spread'?: "spread";
  '_base'?: "base";
}

export interface LayerGroupsSpec__Output {
  /**
   * Empty: one group per layer with weights.
   */
  'groups': (_lrsweep_v1_LayerGroup__Output)[];
  'spread'?: (number);
  /**
   * One per group; empty: unset.
   */
  'multipliers': (number)[];
  'sweep': (_lrsweep_v1_LayerGroupSweep__Output);
  /**
   * With LAYER_GROUP_SWEEP_GROUP: the group swept.
   */
  'group': (string);
  'base'?: (number);
  '_spread'?: "spread";
  '_base'?: "base";
}
