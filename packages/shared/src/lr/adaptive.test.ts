import { describe, expect, it } from 'vitest';
import { cycleOf, RateController, restartCycles, restartSteps, warmRestartChange, type DivergenceGuardConfig, type PlateauConfig, type ReportVerdict } from './adaptive.js';
import { cosineRestarts, scheduleForRange } from './schedules.js';

const guard = (overrides: Partial<DivergenceGuardConfig> = {}): DivergenceGuardConfig => ({ divergenceFactor: 4, factor: 0.5, maxRetries: 3, checkpointEvery: 10, smoothing: 0, ...overrides });
const plateau = (overrides: Partial<PlateauConfig> = {}): PlateauConfig => ({ patience: 2, factor: 0.5, minDelta: 0, cooldown: 0, ...overrides });

/**
 * Drives a controller the way the executor does: reports every `every` steps, a snapshot whenever
 * asked (recorded), rollbacks followed. Returns the verdicts.
 */
function drive(c: RateController, losses: number[], every = 5, start = 0): { verdicts: ReportVerdict[]; snapshots: number[] } {
  const verdicts: ReportVerdict[] = [];
  const snapshots: number[] = [];
  let step = start;
  for (const loss of losses) {
    step += every;
    const v = c.onReport(step, loss);
    verdicts.push(v);
    if (v.action === 'continue' && v.checkpoint) {
      c.checkpointed(step);
      snapshots.push(step);
    }
    if (v.action === 'rollback') step = v.toStep;
    if (v.action === 'fail') break;
  }
  return { verdicts, snapshots };
}

describe('RateController without options', () => {
  it('never changes the rate and never asks for a snapshot', () => {
    const c = new RateController({});
    expect(c.onReport(5, NaN)).toEqual({ action: 'continue', checkpoint: false });
    expect(c.onReport(10, 1e9)).toEqual({ action: 'continue', checkpoint: false });
    expect(c.onValidation(10, 5, 0.1)).toBeUndefined();
    expect(c.multiplier).toBe(1);
    expect(c.retainedSteps()).toEqual([]);
  });

  it('rejects nonsense configurations', () => {
    expect(() => new RateController({ guard: guard({ divergenceFactor: 1 }) })).toThrow(RangeError);
    expect(() => new RateController({ guard: guard({ factor: 1 }) })).toThrow(RangeError);
    expect(() => new RateController({ guard: guard({ factor: 0 }) })).toThrow(RangeError);
    expect(() => new RateController({ guard: guard({ maxRetries: -1 }) })).toThrow(RangeError);
    expect(() => new RateController({ guard: guard({ maxRetries: 1.5 }) })).toThrow(RangeError);
    expect(() => new RateController({ guard: guard({ checkpointEvery: 0 }) })).toThrow(RangeError);
    expect(() => new RateController({ guard: guard({ smoothing: 1 }) })).toThrow(RangeError);
    expect(() => new RateController({ plateau: plateau({ factor: 1.5 }) })).toThrow(RangeError);
    expect(() => new RateController({ plateau: plateau({ patience: -1 }) })).toThrow(RangeError);
    expect(() => new RateController({ plateau: plateau({ cooldown: 0.5 }) })).toThrow(RangeError);
    expect(() => new RateController({ plateau: plateau({ minDelta: -1 }) })).toThrow(RangeError);
  });
});

describe('divergence guard: triggers', () => {
  it.each([
    ['NaN', NaN],
    ['+Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('a %s window loss rolls back to the starting snapshot and halves the rate', (_name, bad) => {
    const c = new RateController({ guard: guard() });
    c.checkpointed(0);
    expect(c.onReport(5, 2)).toEqual({ action: 'continue', checkpoint: false });
    const v = c.onReport(10, bad);
    expect(v).toMatchObject({ action: 'rollback', toStep: 0, change: { step: 10, cause: 'non-finite', fromMultiplier: 1, toMultiplier: 0.5, rolledBackTo: 0, retry: 1 } });
    if (v.action !== 'rollback') throw new Error('unreachable');
    expect(Number.isNaN(v.change.value) || !Number.isFinite(v.change.value)).toBe(true);
    expect(v.change.reason).toMatch(/loss not finite: window loss (NaN|-?Infinity) at step 10; rolled back to step 0, rate ×0.5 \(now ×0.5 of the schedule\), retry 1 of 3/);
    expect(c.multiplier).toBe(0.5);
    expect(c.retries).toBe(1);
  });

  it('a jump of the smoothed loss above divergenceFactor × its best rolls back', () => {
    const c = new RateController({ guard: guard({ divergenceFactor: 4 }) });
    c.checkpointed(0);
    drive(c, [2, 1, 1]); // best 1 at step 15; snapshot at 10, confirmed at 15
    expect(c.bestSmoothedLoss).toBe(1);
    expect(c.onReport(20, 3.9)).toMatchObject({ action: 'continue' });
    const v = c.onReport(25, 4.5);
    expect(v).toMatchObject({ action: 'rollback', toStep: 10, change: { cause: 'divergence', value: 4.5, threshold: 4, step: 25 } });
    if (v.action === 'rollback') expect(v.change.reason).toMatch(/loss diverged: smoothed loss 4.5 > 4 × best 1 at step 25/);
  });

  it('a loss exactly at the limit is not a divergence', () => {
    const c = new RateController({ guard: guard({ divergenceFactor: 4 }) });
    c.checkpointed(0);
    drive(c, [1]);
    expect(c.onReport(10, 4)).toMatchObject({ action: 'continue' });
  });

  it('judges the smoothed loss: one spike that the EMA absorbs does not trigger', () => {
    const c = new RateController({ guard: guard({ smoothing: 0.9, divergenceFactor: 4 }) });
    c.checkpointed(0);
    const { verdicts } = drive(c, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 1, 1]);
    expect(verdicts.every((v) => v.action === 'continue')).toBe(true);
    // ...but a run of large losses does.
    const { verdicts: more } = drive(c, [20, 20, 20], 5, 65);
    expect(more.some((v) => v.action === 'rollback')).toBe(true);
  });

  it('the first report cannot be a jump when there is no best yet', () => {
    const c = new RateController({ guard: guard() });
    c.checkpointed(0);
    expect(c.onReport(5, 1e6)).toMatchObject({ action: 'continue' });
  });

  it('with the loss before training as the first reference, a blow-up in the first window is caught', () => {
    const c = new RateController({ guard: guard({ initialLoss: 1.1 }) });
    c.checkpointed(0);
    expect(c.bestSmoothedLoss).toBe(1.1);
    expect(c.onReport(5, 3e7)).toMatchObject({ action: 'rollback', toStep: 0, change: { cause: 'divergence', threshold: 4.4 } });
    // ... and it stays the reference after the rollback (restored with the snapshot).
    expect(c.bestSmoothedLoss).toBe(1.1);
    expect(c.onReport(5, 4.5)).toMatchObject({ action: 'rollback' });
    expect(c.onReport(5, 1.3)).toMatchObject({ action: 'continue' });
    expect(c.bestSmoothedLoss).toBe(1.1); // 1.3 is no better
    // A non-finite or non-positive initial loss is no reference.
    for (const initialLoss of [NaN, 0, -1]) expect(new RateController({ guard: guard({ initialLoss }) }).bestSmoothedLoss).toBe(Infinity);
  });

  it('fails when it has no snapshot to go back to', () => {
    const c = new RateController({ guard: guard() });
    expect(c.onReport(5, NaN)).toMatchObject({ action: 'fail', step: 5, reason: expect.stringMatching(/no snapshot to roll back to/) as unknown });
  });
});

describe('divergence guard: snapshots and rollback targets', () => {
  it('asks for a snapshot every checkpointEvery steps, at report steps', () => {
    const c = new RateController({ guard: guard({ checkpointEvery: 10 }) });
    c.checkpointed(0);
    const { snapshots } = drive(c, [1, 1, 1, 1, 1, 1, 1], 5);
    expect(snapshots).toEqual([10, 20, 30]);
    // Report steps that are no multiple of checkpointEvery: the first report at least that far on.
    const d = new RateController({ guard: guard({ checkpointEvery: 10 }) });
    d.checkpointed(0);
    expect(drive(d, [1, 1, 1, 1, 1, 1], 7).snapshots).toEqual([14, 28, 42]);
  });

  it('a snapshot becomes the rollback target only after a later good report', () => {
    const c = new RateController({ guard: guard({ checkpointEvery: 10 }) });
    c.checkpointed(0);
    drive(c, [1, 1]); // snapshot at 10 (candidate)
    expect(c.rollbackStep).toBe(0);
    expect(c.retainedSteps()).toEqual([0, 10]);
    // The window right after the snapshot blows up: its weights are suspect, go back to 0.
    expect(c.onReport(15, NaN)).toMatchObject({ action: 'rollback', toStep: 0 });
    expect(c.retainedSteps()).toEqual([0]);
  });

  it('after a good report the candidate is confirmed and the older snapshot released', () => {
    const c = new RateController({ guard: guard({ checkpointEvery: 10 }) });
    c.checkpointed(0);
    drive(c, [1, 1, 1]); // snapshot at 10, confirmed at 15
    expect(c.rollbackStep).toBe(10);
    expect(c.retainedSteps()).toEqual([10]);
    expect(c.onReport(20, 1)).toEqual({ action: 'continue', checkpoint: true });
    c.checkpointed(20);
    expect(c.retainedSteps()).toEqual([10, 20]);
    expect(c.onReport(25, NaN)).toMatchObject({ action: 'rollback', toStep: 10 });
  });

  it('no snapshot of a window that is itself a spike', () => {
    const c = new RateController({ guard: guard({ checkpointEvery: 5, smoothing: 0.9 }) });
    c.checkpointed(0);
    drive(c, [1, 1, 1]);
    // A raw window of 5 × best is suspicious though the smoothed loss is under the limit.
    expect(c.onReport(20, 5)).toEqual({ action: 'continue', checkpoint: false });
    expect(c.onReport(25, 1)).toEqual({ action: 'continue', checkpoint: true });
  });

  it('a rollback restores the smoothing of the snapshot (the best loss is not the lost one)', () => {
    const c = new RateController({ guard: guard({ checkpointEvery: 10 }) });
    c.checkpointed(0);
    drive(c, [3, 2, 1.5]); // snapshot at 10 with best 2, confirmed at 15
    drive(c, [1, 0.5], 5, 15); // best 0.5 at 25; snapshot at 20 (candidate), confirmed at 25
    expect(c.rollbackStep).toBe(20);
    const v = c.onReport(30, NaN);
    expect(v).toMatchObject({ action: 'rollback', toStep: 20 });
    expect(c.bestSmoothedLoss).toBe(1); // as it was when step 20 was reported
    expect(c.smoothedLoss).toBe(1);
  });

  it('after a rollback, the next snapshot comes checkpointEvery steps after the target', () => {
    const c = new RateController({ guard: guard({ checkpointEvery: 10 }) });
    c.checkpointed(0);
    drive(c, [1, 1, 1, 1]); // snapshots: 10 (confirmed at 15), 20 (candidate)
    expect(c.onReport(25, NaN)).toMatchObject({ action: 'rollback', toStep: 10 });
    expect(c.onReport(15, 1)).toEqual({ action: 'continue', checkpoint: false });
    expect(c.onReport(20, 1)).toEqual({ action: 'continue', checkpoint: true });
  });
});

describe('divergence guard: retries', () => {
  it('lowers the rate by factor at each rollback, compounding, and fails once maxRetries are spent', () => {
    const c = new RateController({ guard: guard({ factor: 0.25, maxRetries: 2 }) });
    c.checkpointed(0);
    const first = c.onReport(5, NaN);
    expect(first).toMatchObject({ action: 'rollback', change: { fromMultiplier: 1, toMultiplier: 0.25, retry: 1 } });
    const second = c.onReport(5, Infinity);
    expect(second).toMatchObject({ action: 'rollback', change: { fromMultiplier: 0.25, toMultiplier: 0.0625, retry: 2 } });
    const third = c.onReport(5, NaN);
    expect(third).toMatchObject({ action: 'fail', step: 5 });
    if (third.action === 'fail') expect(third.reason).toMatch(/after 2 rollback\(s\) with the rate lowered to ×0.0625: divergenceGuard.maxRetries \(2\) spent/);
    expect(c.multiplier).toBe(0.0625);
    expect(c.retries).toBe(2);
  });

  it('maxRetries 0 detects and fails at once', () => {
    const c = new RateController({ guard: guard({ maxRetries: 0 }) });
    c.checkpointed(0);
    expect(c.onReport(5, NaN)).toMatchObject({ action: 'fail' });
    expect(c.multiplier).toBe(1);
  });

  it('recovers: after a rollback at a lower rate, training goes on and snapshots resume', () => {
    const c = new RateController({ guard: guard({ checkpointEvery: 10 }) });
    c.checkpointed(0);
    const { verdicts, snapshots } = drive(c, [2, NaN, 1.5, 1.2, 1, 0.9, 0.8]);
    expect(verdicts.map((v) => v.action)).toEqual(['continue', 'rollback', 'continue', 'continue', 'continue', 'continue', 'continue']);
    expect(snapshots).toEqual([10, 20]);
    expect(c.multiplier).toBe(0.5);
  });
});

describe('reduce on plateau (Keras ReduceLROnPlateau semantics)', () => {
  it('cuts after `patience` evaluations without improvement, then waits patience again', () => {
    const c = new RateController({ plateau: plateau({ patience: 2, factor: 0.5 }) });
    expect(c.onValidation(100, 1.0, 0.1)).toBeUndefined(); // best 1.0
    expect(c.onValidation(200, 1.0, 0.1)).toBeUndefined(); // wait 1
    const cut = c.onValidation(300, 1.1, 0.1); // wait 2 → cut
    expect(cut).toMatchObject({ step: 300, cause: 'plateau', fromMultiplier: 1, toMultiplier: 0.5, value: 1.1, threshold: 1 });
    expect(cut!.reason).toMatch(/val loss plateaued: 1.1 not below best 1 − 0 for 2 evaluation\(s\) at step 300; rate ×0.5/);
    expect(cut!.rolledBackTo).toBeUndefined();
    expect(c.multiplier).toBe(0.5);
    expect(c.onValidation(400, 1.05, 0.1)).toBeUndefined(); // wait 1
    expect(c.onValidation(500, 1.05, 0.1)).toMatchObject({ fromMultiplier: 0.5, toMultiplier: 0.25 });
  });

  it('an improvement resets the count', () => {
    const c = new RateController({ plateau: plateau({ patience: 2 }) });
    c.onValidation(1, 1.0, 1);
    c.onValidation(2, 1.0, 1); // wait 1
    c.onValidation(3, 0.9, 1); // better: wait 0
    expect(c.onValidation(4, 0.95, 1)).toBeUndefined(); // wait 1
    expect(c.onValidation(5, 0.95, 1)).toBeDefined(); // wait 2
  });

  it('minDelta: an improvement must beat the best by more than minDelta', () => {
    const c = new RateController({ plateau: plateau({ patience: 1, minDelta: 0.05 }) });
    c.onValidation(1, 1.0, 1);
    const cut = c.onValidation(2, 0.96, 1);
    expect(cut).toMatchObject({ threshold: 0.95 });
    const d = new RateController({ plateau: plateau({ patience: 1, minDelta: 0.05 }) });
    d.onValidation(1, 1.0, 1);
    expect(d.onValidation(2, 0.94, 1)).toBeUndefined();
  });

  it('patience 0 cuts at the first evaluation that does not improve', () => {
    const c = new RateController({ plateau: plateau({ patience: 0 }) });
    expect(c.onValidation(1, 1, 1)).toBeUndefined();
    expect(c.onValidation(2, 1, 1)).toBeDefined();
  });

  it('cooldown: evaluations after a cut are not counted while the cooldown lasts (Keras counts it down first)', () => {
    const c = new RateController({ plateau: plateau({ patience: 1, cooldown: 3 }) });
    c.onValidation(1, 1, 1);
    expect(c.onValidation(2, 1, 1)).toBeDefined(); // cut, cooldown 3
    expect(c.onValidation(3, 1, 1)).toBeUndefined(); // cooldown → 2
    expect(c.onValidation(4, 1, 1)).toBeUndefined(); // cooldown → 1
    // As keras.callbacks.ReduceLROnPlateau: the counter reaches 0 here, and this evaluation counts.
    expect(c.onValidation(5, 1, 1)).toBeDefined();
    expect(c.multiplier).toBe(0.25);
    const none = new RateController({ plateau: plateau({ patience: 1, cooldown: 0 }) });
    none.onValidation(1, 1, 1);
    expect([2, 3, 4].map((s) => none.onValidation(s, 1, 1) !== undefined)).toEqual([true, true, true]);
  });

  it('an improvement during cooldown still becomes the best', () => {
    const c = new RateController({ plateau: plateau({ patience: 1, cooldown: 1, minDelta: 0 }) });
    c.onValidation(1, 1, 1);
    c.onValidation(2, 1, 1); // cut
    c.onValidation(3, 0.5, 1); // in cooldown, better
    expect(c.onValidation(4, 0.6, 1)).toMatchObject({ threshold: 0.5 });
  });

  it('minRate floors the cut, and no cut once the rate is at or below it', () => {
    const c = new RateController({ plateau: plateau({ patience: 1, factor: 0.1, minRate: 0.04 }) });
    c.onValidation(1, 1, 0.1);
    const cut = c.onValidation(2, 1, 0.1); // 0.1 × 0.1 = 0.01 < 0.04: floored to 0.04 / 0.1
    expect(cut!.toMultiplier).toBeCloseTo(0.4, 12);
    expect(cut!.reason).toMatch(/floored at minRate 0.04/);
    expect(c.onValidation(3, 1, 0.1)).toBeUndefined(); // rate 0.04 is not above minRate
    expect(c.multiplier).toBeCloseTo(0.4, 12);
  });

  it('a non-finite validation loss counts as no improvement', () => {
    const c = new RateController({ plateau: plateau({ patience: 1 }) });
    c.onValidation(1, 1, 1);
    expect(c.onValidation(2, NaN, 1)).toMatchObject({ cause: 'plateau' });
  });

  it('judges each step once: an evaluation repeated after a rollback is ignored', () => {
    const c = new RateController({ plateau: plateau({ patience: 1 }) });
    c.onValidation(100, 1, 1);
    expect(c.onValidation(100, 2, 1)).toBeUndefined();
    expect(c.onValidation(50, 2, 1)).toBeUndefined();
    expect(c.onValidation(200, 2, 1)).toBeDefined();
  });

  it('compounds with the guard: one multiplier, lowered by both', () => {
    const c = new RateController({ guard: guard(), plateau: plateau({ patience: 1, factor: 0.2 }) });
    c.checkpointed(0);
    drive(c, [1, 1]);
    c.onValidation(10, 1, 1);
    c.onValidation(20, 1, 1); // ×0.2
    expect(c.onReport(25, NaN)).toMatchObject({ action: 'rollback', change: { fromMultiplier: 0.2, toMultiplier: 0.1 } });
    expect(c.multiplier).toBeCloseTo(0.1, 12);
  });
});

describe('SGDR warm restarts', () => {
  it('cycle starts and lengths: T0, T0·mult, T0·mult², ... cut at the end', () => {
    expect(restartCycles(10, 2, 70)).toEqual([
      { start: 0, length: 10 },
      { start: 10, length: 20 },
      { start: 30, length: 40 },
    ]);
    expect(restartCycles(10, 2, 71)).toEqual([
      { start: 0, length: 10 },
      { start: 10, length: 20 },
      { start: 30, length: 40 },
      { start: 70, length: 80 },
    ]);
    expect(restartCycles(5, 1, 20).map((c) => c.start)).toEqual([0, 5, 10, 15]);
    expect(restartCycles(3, 3, 100).map((c) => c.length)).toEqual([3, 9, 27, 81]);
  });

  it('restart steps exclude step 0', () => {
    expect(restartSteps(10, 2, 70)).toEqual([10, 30]);
    expect(restartSteps(100, 2, 50)).toEqual([]);
    expect(restartSteps(1, 1, 4)).toEqual([1, 2, 3]);
  });

  it('cycleOf places every step in its cycle', () => {
    expect(cycleOf(0, 10, 2)).toEqual({ index: 0, start: 0, length: 10 });
    expect(cycleOf(9, 10, 2)).toEqual({ index: 0, start: 0, length: 10 });
    expect(cycleOf(10, 10, 2)).toEqual({ index: 1, start: 10, length: 20 });
    expect(cycleOf(29, 10, 2)).toEqual({ index: 1, start: 10, length: 20 });
    expect(cycleOf(30, 10, 2)).toEqual({ index: 2, start: 30, length: 40 });
  });

  it('rejects cycles that are no whole number of steps, and mult < 1', () => {
    expect(() => restartCycles(0, 2, 10)).toThrow(RangeError);
    expect(() => restartCycles(1.5, 2, 10)).toThrow(RangeError);
    expect(() => restartCycles(2, 0.5, 10)).toThrow(RangeError);
    expect(() => cosineRestarts(1, 0.1, 0, 2)).toThrow(RangeError);
  });

  it('the schedule: max at each cycle start, min at each cycle end, cosine between', () => {
    const s = cosineRestarts(1, 0.1, 10, 2);
    for (const start of [0, 10, 30]) expect(s(start)).toBe(1);
    for (const end of [9, 29, 69]) expect(s(end)).toBeCloseTo(0.1, 12);
    expect(s(5)).toBeLessThan(s(4));
    expect(s(20)).toBeCloseTo(0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * 10) / 19)), 12);
    // scheduleForRange: from the top of the range (max) to its bottom (min).
    const r = scheduleForRange('cosine-restarts', 0.1, 1, 70, { firstCycle: 10, cycleMult: 2 });
    expect([0, 9, 10, 29, 30].map(r)).toEqual([0, 9, 10, 29, 30].map(s));
    // Without cycles: three equal cycles.
    const thirds = scheduleForRange('cosine-restarts', 0.1, 1, 30);
    expect([0, 10, 20].map(thirds)).toEqual([1, 1, 1]);
  });

  it('at a cycle start the guard judges against the loss before training, not the last cycle\'s best', () => {
    const c = new RateController({ guard: guard({ initialLoss: 1.1, smoothing: 0.9 }) });
    c.checkpointed(0);
    drive(c, [0.5, 0.1, 0.05, 0.05, 0.05]);
    expect(c.bestSmoothedLoss).toBeLessThan(0.2);
    c.onCycleStart();
    expect(c.bestSmoothedLoss).toBe(1.1);
    expect(Number.isNaN(c.smoothedLoss)).toBe(true);
    // The rise a restart brings (0.05 → 0.6) is no divergence; a blow-up still is.
    expect(c.onReport(30, 0.6)).toMatchObject({ action: 'continue' });
    expect(c.onReport(35, 0.4)).toMatchObject({ action: 'continue' });
    expect(c.onReport(40, 60)).toMatchObject({ action: 'rollback', change: { cause: 'divergence' } });
    // Without a loss before training the reference stays the best so far.
    const d = new RateController({ guard: guard() });
    d.checkpointed(0);
    drive(d, [0.5, 0.1]);
    d.onCycleStart();
    expect(d.bestSmoothedLoss).toBe(0.1);
    expect(() => new RateController({}).onCycleStart()).not.toThrow();
  });

  it('a restart is shown as an event that keeps the multiplier', () => {
    const change = warmRestartChange(30, 10, 2, 0.5, 2);
    expect(change).toMatchObject({ step: 30, cause: 'warm-restart', fromMultiplier: 0.5, toMultiplier: 0.5 });
    expect(change.reason).toBe('warm restart at step 30: cycle 3 (40 steps) starts again at the max rate 1');
  });
});
