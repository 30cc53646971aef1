// Original file: ../../proto/lrsweep/v1/sweep.proto

import type { Peer as _lrsweep_v1_Peer, Peer__Output as _lrsweep_v1_Peer__Output } from '../../lrsweep/v1/Peer.js';

export interface Evidence {
  /**
   * The rule that fired: non-finite, divergence, ordered-grid, stagnation, rung, ...
   */
  'rule'?: (string);
  'value'?: (number | string);
  'cutoff'?: (number | string);
  'rung'?: (number);
  'step'?: (number);
  'peers'?: (_lrsweep_v1_Peer)[];
}

export interface Evidence__Output {
  /**
   * The rule that fired: non-finite, divergence, ordered-grid, stagnation, rung, ...
   */
  'rule': (string);
  'value': (number);
  'cutoff': (number);
  'rung': (number);
  'step': (number);
  'peers': (_lrsweep_v1_Peer__Output)[];
}
