import type { RangeTestPoint, SeedResult, SweepSpec } from '@lrsweep/shared';
import type { BackendChoice } from '../backend/select.js';

/** Parent → range-test child. */
export type ParentMessage =
  | { type: 'run'; spec: SweepSpec; seed: number; backend: BackendChoice }
  | { type: 'cancel' }
  | { type: 'close' };

/** Range-test child → parent. */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'step'; seed: number; point: RangeTestPoint }
  | { type: 'result'; result: SeedResult }
  | { type: 'error'; seed: number; message: string };
