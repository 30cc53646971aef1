import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpecFile, type SweepSpec } from '@lrsweep/shared';
import { runLocalSweep, toResult, type SweepResult } from '@lrsweep/cli';
import { ExecutorPool, runRangeTest, type BackendChoice, type ExecutorEvent } from '@lrsweep/worker';

/** The sweep strategies, and `range-test`: `lrsweep range-test`, then the final training over its range. */
export type BenchStrategy = SweepSpec['search']['strategy'] | 'range-test';

export const SEARCH_SPECS = ['examples/mnist-mlp-sgd.yaml', 'examples/mnist-mlp-adam.yaml', 'examples/mnist-cnn.yaml'];
export const SEARCH_STRATEGIES: BenchStrategy[] = ['asha', 'sh', 'range-test', 'auto'];

export interface StrategyRun {
  strategy: BenchStrategy;
  state: string;
  backend: string;
  bestLr: number | null;
  range: { min: number; max: number } | null;
  stepsSpent: number;
  fullGridSteps: number;
  /** Search steps as a share of the full grid's. */
  stepShare: number;
  finalValAccuracy: number | null;
  finalValLoss: number | null;
  wallSeconds: number;
}

function summarize(strategy: BenchStrategy, result: SweepResult): StrategyRun {
  return {
    strategy,
    state: result.state,
    backend: result.backend,
    bestLr: result.best?.lr ?? null,
    range: result.range,
    stepsSpent: result.budget.stepsSpent,
    fullGridSteps: result.budget.fullGridSteps,
    stepShare: result.budget.fullGridSteps > 0 ? result.budget.stepsSpent / result.budget.fullGridSteps : NaN,
    finalValAccuracy: result.final?.valAccuracy ?? null,
    finalValLoss: result.final?.valLoss ?? null,
    wallSeconds: result.wallSeconds,
  };
}

/**
 * The range test alone as a search: `runRangeTest` (what `lrsweep range-test` runs, seeds spread
 * over `processes` processes), then the spec's final training over the suggested range in a real
 * executor process (the worker's own final-training code, not a copy). Best rate: the valley.
 */
async function rangeTestThenFinal(spec: SweepSpec, processes: number, backend: string, modelsDir: string): Promise<StrategyRun> {
  const started = performance.now();
  const fullGridSteps = spec.grid.points * spec.search.maxSteps;
  const report = await runRangeTest(spec, { backend: backend as BackendChoice, processes });
  const stepsSpent = report.runs.reduce((n, r) => n + r.steps, 0);
  const run: StrategyRun = {
    strategy: 'range-test',
    state: 'FAILED',
    backend: report.backend,
    bestLr: report.suggestions.valley ?? report.suggestions.minimum,
    range: report.range,
    stepsSpent,
    fullGridSteps,
    stepShare: stepsSpent / fullGridSteps,
    finalValAccuracy: null,
    finalValLoss: null,
    wallSeconds: 0,
  };
  if (report.range) {
    const { min, max } = report.range;
    let resolveDone!: (event: ExecutorEvent) => void;
    const done = new Promise<ExecutorEvent>((resolve) => (resolveDone = resolve));
    const pool = await ExecutorPool.start(1, backend as BackendChoice, (event) => {
      if (event.type === 'final-done' || event.type === 'failed' || event.type === 'stopped') resolveDone(event);
    });
    try {
      pool.run({ sweepId: 'bench-range-test', trialId: 'final', kind: 'final', spec, seed: spec.seed, learningRate: 0, untilStep: 0, lrMin: min, lrMax: max, checkpointEvery: 0, modelsDir });
      const event = await done;
      if (event.type === 'final-done') Object.assign(run, { state: 'COMPLETED', finalValAccuracy: event.valAccuracy, finalValLoss: event.valLoss });
      else process.stderr.write(`  range-test: final training ${event.type === 'failed' ? `failed: ${event.error}` : 'stopped'}\n`);
    } finally {
      await pool.close();
    }
  }
  run.wallSeconds = (performance.now() - started) / 1000;
  return run;
}

/**
 * Search efficiency: the same spec under `grid` (the full-budget baseline, run first in the same
 * process) and each other strategy, through the real coordinator, NATS and worker processes.
 * Regret = the grid's final validation accuracy minus the strategy's.
 */
export async function runSearchBench(specPath: string, strategies: BenchStrategy[], workers: number, backend: string): Promise<StrategyRun[]> {
  const base = loadSpecFile(specPath);
  const modelsDir = mkdtempSync(join(tmpdir(), 'lrsweep-bench-models-'));
  const runs: StrategyRun[] = [];
  for (const strategy of ['grid' as const, ...strategies.filter((s) => s !== 'grid')]) {
    if (strategy === 'range-test') {
      runs.push(await rangeTestThenFinal(base, workers, backend, modelsDir));
    } else {
      const spec: SweepSpec = { ...base, search: { ...base.search, strategy } };
      const done = await runLocalSweep(spec, { workers, backend, modelsDir, verbose: false });
      runs.push(summarize(strategy, toResult(done)));
    }
    process.stderr.write(`  ${specPath} ${strategy}: ${runs.at(-1)!.state} in ${runs.at(-1)!.wallSeconds.toFixed(1)} s\n`);
  }
  return runs;
}

/** The search-efficiency table of one spec (grid first: the baseline of its ratios). */
export function searchTable(specPath: string, runs: StrategyRun[], workers: number): string {
  const grid = runs.find((r) => r.strategy === 'grid')!;
  const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
  const rows = runs.map((r) => {
    const points = r.finalValAccuracy !== null && grid.finalValAccuracy !== null ? (grid.finalValAccuracy - r.finalValAccuracy) * 100 : null;
    const regret = points === null ? '—' : Math.abs(points) < 0.05 ? '0.0' : points.toFixed(1);
    return `| ${r.strategy} | ${r.state} | ${r.bestLr?.toPrecision(2) ?? '—'} | ${r.range ? `${r.range.min.toPrecision(2)} – ${r.range.max.toPrecision(2)}` : '—'} | ${r.stepsSpent} | ${pct(r.stepShare)} | ${(r.wallSeconds / grid.wallSeconds).toFixed(2)}x (${r.wallSeconds.toFixed(1)} s) | ${pct(r.finalValAccuracy)} | ${regret} |`;
  });
  return (
    `search efficiency on ${specPath} (${workers} workers, backend ${grid.backend}); baseline: grid, run in the same process. ` +
    `range-test = the range test's seeds on ${workers} processes, then the final training over its range\n\n` +
    `| strategy | state | best lr | surviving range | search steps | of grid steps | wall vs grid | final val acc | regret (points) |\n|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`
  );
}
