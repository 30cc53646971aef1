import { constant, loadSpecFile, type SweepSpec } from '@lrsweep/shared';
import { loadDataSplits, runRangeTest, selectBackend, Trainer, type BackendChoice } from '@lrsweep/worker';

export interface RangeCheckRow {
  label: string;
  learningRate: number;
  valLoss: number;
  valAccuracy: number;
  outcome: string;
}

export interface RangeCheckResult {
  spec: string;
  backend: string;
  suggestion: number;
  range: { min: number; max: number } | null;
  steps: number;
  rows: RangeCheckRow[];
  rangeTestSeconds: number;
}

/**
 * Checks a range-test suggestion with real training: the valley, 100× below and 100× above it,
 * each trained for `search.maxSteps` steps at a constant rate on the search sample, then evaluated
 * on the validation split. The suggestion is good when it trains and 100× above it does not.
 */
export async function runRangeCheck(specPath: string, backend: BackendChoice): Promise<RangeCheckResult> {
  const spec: SweepSpec = loadSpecFile(specPath);
  const report = await runRangeTest(spec, { backend });
  const suggestion = report.suggestions.valley ?? report.suggestions.minimum;
  if (suggestion === null) throw new Error(`the range test gave no suggestion: ${report.warnings.join('; ')}`);
  await selectBackend(backend);
  const splits = loadDataSplits(spec);
  const rows: RangeCheckRow[] = [];
  const candidates: [string, number][] = [
    ['valley / 100', suggestion / 100],
    ['valley', suggestion],
    ['valley × 100', suggestion * 100],
  ];
  for (const [label, learningRate] of candidates) {
    const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: spec.seed, train: splits.sample, validation: splits.validation });
    const outcome = await trainer.run({ untilStep: spec.search.maxSteps, schedule: constant(learningRate), reportEvery: spec.search.reportEvery });
    const evaluation = await trainer.evaluate();
    trainer.dispose();
    rows.push({ label, learningRate, ...evaluation, outcome });
  }
  return { spec: specPath, backend: report.backend, suggestion, range: report.range, steps: spec.search.maxSteps, rows, rangeTestSeconds: report.wallSeconds };
}
