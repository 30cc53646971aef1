export { runLocalSweep, sweepClient, watchSweep, type LocalSweepOptions } from './commands/sweep.js';
export { toResult, summarizeSweep, type SweepResult } from './render/sweep.js';
export { renderRangeTestSvg } from './render/svg.js';
