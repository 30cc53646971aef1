import type { LearningRateRange, RangeTestCurve, RangeTestSummary, Suggestions } from './analysis.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** One seed's range test as run by a worker process. */
export interface SeedResult extends RangeTestCurve {
  backend: BackendName;
  suggestions: Suggestions;
  range: LearningRateRange | null;
  warnings: string[];
  wallSeconds: number;
}

/**
 * What `lrsweep range-test --json` prints. `curve` is the median across seeds;
 * each seed's own curve is in `runs`.
 */
export interface RangeTestReport {
  name: string;
  backend: BackendName;
  suggestions: Suggestions;
  range: LearningRateRange | null;
  seeds: number;
  spread: RangeTestSummary['spread'];
  agreement: number;
  curve: { lr: number; loss: number; smoothed: number }[];
  runs: {
    seed: number;
    stopReason: RangeTestCurve['stopReason'];
    steps: number;
    suggestions: Suggestions;
    range: LearningRateRange | null;
    curve: { lr: number; loss: number; smoothed: number }[];
  }[];
  warnings: string[];
  settings: { min: number; max: number; steps: number; beta: number; divergenceFactor: number; batchSize: number; optimizer: string; model: string };
  wallSeconds: number;
}
