import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpecFile, type SweepSpec } from '@lrsweep/shared';
import { runLocalSweep, toResult, type SweepResult } from '@lrsweep/cli';

export interface StrategyRun {
  strategy: SweepSpec['search']['strategy'];
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

function summarize(strategy: StrategyRun['strategy'], result: SweepResult): StrategyRun {
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
 * Search efficiency: the same spec under `grid` (the full-budget baseline, run first in the same
 * process) and each other strategy, through the real coordinator, NATS and worker processes.
 * Regret = the grid's final validation accuracy minus the strategy's.
 */
export async function runSearchBench(specPath: string, strategies: StrategyRun['strategy'][], workers: number, backend: string): Promise<StrategyRun[]> {
  const base = loadSpecFile(specPath);
  const modelsDir = mkdtempSync(join(tmpdir(), 'lrsweep-bench-models-'));
  const runs: StrategyRun[] = [];
  for (const strategy of ['grid' as const, ...strategies.filter((s) => s !== 'grid')]) {
    const spec: SweepSpec = { ...base, search: { ...base.search, strategy } };
    const done = await runLocalSweep(spec, { workers, backend, modelsDir, verbose: false });
    runs.push(summarize(strategy, toResult(done)));
    process.stderr.write(`  ${strategy}: done in ${runs.at(-1)!.wallSeconds.toFixed(1)} s\n`);
  }
  return runs;
}
