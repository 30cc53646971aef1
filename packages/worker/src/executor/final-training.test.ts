import { beforeAll, describe, expect, it } from 'vitest';
import { parseSpec, type SweepSpec, type SweepSpecInput } from '@lrsweep/shared';
import { selectBackend } from '../backend/select.js';
import { loadDataSplits } from '../data/load.js';
import { Trainer } from '../trainer/trainer.js';
import { runFinalTraining, type FinalTrainingEvent, type FinalTrainingOutcome } from './final-training.js';

/**
 * The final training loop with real tfjs (wasm) on spirals: a ReLU MLP, 22 steps an epoch.
 * SGD at 1e6 is far too high: the first window's loss is NaN (the weights overflow), and the rates
 * below it (1e5, 1e4, ..., 10) blow the loss up by orders of magnitude in their first window.
 */
const base = {
  name: 'final-adaptive',
  seed: 3,
  model: { builtin: 'mlp', hidden: [32, 32] },
  dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 300 },
  optimizer: { name: 'sgd' },
  batchSize: 32,
  search: { reportEvery: 5 },
} satisfies SweepSpecInput;

type Report = Extract<FinalTrainingEvent, { type: 'report' }>;
type Change = Extract<FinalTrainingEvent, { type: 'rate-change' }>;

async function train(final: SweepSpecInput['final'], lr: { min: number; max: number }, signal?: AbortSignal): Promise<{ outcome: FinalTrainingOutcome; reports: Report[]; changes: Change[]; events: FinalTrainingEvent[] }> {
  const spec: SweepSpec = parseSpec({ ...base, final });
  const splits = loadDataSplits(spec);
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: 11, train: splits.train, validation: splits.validation });
  const events: FinalTrainingEvent[] = [];
  try {
    const outcome = await runFinalTraining(
      trainer,
      { final: spec.final, optimizerName: spec.optimizer.name, pruningDivergenceFactor: spec.pruning.divergenceFactor, lrMin: lr.min, lrMax: lr.max, reportEvery: spec.search.reportEvery, ...(signal ? { signal } : {}) },
      (e) => events.push(e),
    );
    return { outcome, events, reports: events.filter((e): e is Report => e.type === 'report'), changes: events.filter((e): e is Change => e.type === 'rate-change') };
  } finally {
    trainer.dispose();
  }
}

const FAR_TOO_HIGH = { min: 1e6, max: 1e6 };

describe('final training that adapts (real tfjs, wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('without the guard, a rate far too high ends non-finite', async () => {
    const { outcome, reports, changes } = await train({ epochs: 8, schedule: 'constant', divergenceGuard: { enabled: false } }, FAR_TOO_HIGH);
    expect(outcome.outcome).toBe('non-finite');
    expect(Number.isFinite(reports.at(-1)!.loss)).toBe(false);
    expect(changes).toEqual([]);
  });

  it('with the guard, the same run rolls back, lowers the rate and ends with a finite loss and a good model', async () => {
    const { outcome, reports, changes, events } = await train({ epochs: 8, schedule: 'constant', divergenceGuard: { factor: 0.1, maxRetries: 8 } }, FAR_TOO_HIGH);
    expect(outcome.outcome, JSON.stringify(changes.map((c) => c.reason))).toBe('done');
    if (outcome.outcome !== 'done') return;
    expect(outcome.steps).toBe(8 * 22);
    expect(Number.isFinite(outcome.valLoss)).toBe(true);
    expect(outcome.valAccuracy).toBeGreaterThan(0.8);
    // The first window at 1e6 is NaN: rolled back to the start, rate ×0.1.
    expect(changes[0]).toMatchObject({ index: 0, cause: 'non-finite', fromMultiplier: 1, toMultiplier: 0.1, rolledBackTo: 0, retry: 1 });
    expect(changes[0]!.learningRate).toBeCloseTo(1e5, 3);
    // Then divergences (finite but exploding losses) until the rate is low enough.
    expect(changes.some((c) => c.cause === 'divergence')).toBe(true);
    changes.forEach((c, i) => {
      expect(c.index).toBe(i);
      expect(c.toMultiplier).toBeCloseTo(c.fromMultiplier * 0.1, 15);
      expect(c.rolledBackTo).toBeDefined();
      expect(c.reason).toMatch(/rolled back to step \d+, rate ×0.1/);
    });
    expect(changes.length).toBeLessThanOrEqual(8);
    // Each change follows the report that set it off, and training resumes from the snapshot's step.
    for (const c of changes) {
      const at = events.indexOf(c);
      expect(events[at - 1]).toMatchObject({ type: 'report', step: c.step });
      const next = events[at + 1];
      if (next?.type === 'report') expect(next.step).toBeGreaterThan(c.rolledBackTo!);
    }
    // After the last change every step ran at the lowered rate.
    const multiplier = changes.at(-1)!.toMultiplier;
    const after = reports.slice(reports.indexOf(events[events.indexOf(changes.at(-1)!) + 1] as Report));
    for (const r of after) expect(r.learningRate).toBeCloseTo(1e6 * multiplier, 6);
    expect(after.every((r) => Number.isFinite(r.loss))).toBe(true);
    // Every epoch end was validated, in order, after the last rollback.
    expect(reports.filter((r) => r.valLoss !== undefined).map((r) => r.epoch).slice(-3)).toEqual([6, 7, 8]);
  });

  it('fails clearly once maxRetries are spent', async () => {
    const { outcome, changes } = await train({ epochs: 2, schedule: 'constant', divergenceGuard: { factor: 0.5, maxRetries: 2 } }, FAR_TOO_HIGH);
    expect(outcome).toMatchObject({ outcome: 'diverged', error: expect.stringMatching(/divergence guard gave up: .* after 2 rollback\(s\) with the rate lowered to ×0.25: divergenceGuard.maxRetries \(2\) spent/) as unknown });
    expect(changes.map((c) => c.toMultiplier)).toEqual([0.5, 0.25]);
  });

  it('a guard that never fires leaves training exactly as without it (snapshots change nothing)', async () => {
    const sane = { min: 0.05, max: 0.5 };
    const guarded = await train({ epochs: 3, schedule: 'one-cycle', divergenceGuard: { checkpointEvery: 10 } }, sane);
    const unguarded = await train({ epochs: 3, schedule: 'one-cycle', divergenceGuard: { enabled: false } }, sane);
    expect(guarded.changes).toEqual([]);
    expect(guarded.reports).toEqual(unguarded.reports);
    expect(guarded.outcome).toEqual(unguarded.outcome);
  });

  it('reduce on plateau: cuts the rate at epoch ends where the validation loss did not improve', async () => {
    // minDelta 100: no epoch counts as an improvement after the first, so with patience 1 every
    // later epoch end but the last cuts the rate (none after the last: nothing is left to train).
    const { outcome, reports, changes } = await train({ epochs: 4, schedule: 'constant', divergenceGuard: { enabled: false }, reduceOnPlateau: { patience: 1, factor: 0.5, minDelta: 100 } }, { min: 0.2, max: 0.2 });
    expect(outcome.outcome).toBe('done');
    expect(changes.map((c) => [c.cause, c.step, c.fromMultiplier, c.toMultiplier, c.epoch])).toEqual([
      ['plateau', 44, 1, 0.5, 2],
      ['plateau', 66, 0.5, 0.25, 3],
    ]);
    expect(changes[0]!.rolledBackTo).toBeUndefined();
    expect(changes[0]!.learningRate).toBeCloseTo(0.1, 12);
    expect(changes[0]!.reason).toMatch(/val loss plateaued: .* for 1 evaluation\(s\) at step 44; rate ×0.5/);
    const rateAt = (step: number) => reports.find((r) => r.step === step)!.learningRate;
    expect(rateAt(40)).toBeCloseTo(0.2, 12);
    expect(rateAt(50)).toBeCloseTo(0.1, 12);
    expect(rateAt(70)).toBeCloseTo(0.05, 12);
  });

  it('reduce on plateau every N steps: validation at those steps too', async () => {
    const { reports, changes } = await train({ epochs: 2, schedule: 'constant', divergenceGuard: { enabled: false }, reduceOnPlateau: { patience: 1, minDelta: 100, everySteps: 10 } }, { min: 0.2, max: 0.2 });
    expect(reports.filter((r) => r.valLoss !== undefined).map((r) => r.step)).toEqual([10, 20, 22, 30, 40, 44]);
    expect(changes.map((c) => c.step)).toEqual([20, 22, 30, 40]);
  });

  it('cosine-restarts (SGDR): cycles of 1 then 2 epochs, the restart announced, the rate back at max', async () => {
    const { outcome, reports, changes } = await train({ epochs: 3, schedule: 'cosine-restarts', warmRestarts: { cycleEpochs: 1, cycleMult: 2 } }, { min: 0.01, max: 0.5 });
    expect(outcome.outcome).toBe('done');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ cause: 'warm-restart', step: 22, fromMultiplier: 1, toMultiplier: 1, epoch: 1, learningRate: 0.5 });
    expect(changes[0]!.reason).toBe('warm restart at step 22: cycle 2 (44 steps) starts again at the max rate 0.5');
    // Reported rates (of each window's last step): falling in cycle 1, high again after the restart, falling to min at the end.
    const rate = (step: number) => reports.find((r) => r.step === step)!.learningRate;
    expect(rate(5)).toBeGreaterThan(rate(20));
    expect(rate(25)).toBeGreaterThan(0.45);
    expect(rate(66)).toBeCloseTo(0.01, 12);
  });

  it('stops when asked', async () => {
    const abort = new AbortController();
    abort.abort();
    const { outcome } = await train({ epochs: 2, schedule: 'constant' }, { min: 0.1, max: 0.1 }, abort.signal);
    expect(outcome).toEqual({ outcome: 'stopped', step: 0 });
  });
});
