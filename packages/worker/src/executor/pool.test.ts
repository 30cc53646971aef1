import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec, type SweepSpec } from '@lrsweep/shared';
import { ExecutorPool, NoFreeSlotError } from './pool.js';
import type { ExecutorEvent, ExecutorJob } from './protocol.js';

const spec: SweepSpec = parseSpec({
  name: 'pool-test',
  seed: 3,
  model: { builtin: 'mlp', hidden: [16] },
  dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 200, sampleFraction: 0.5 },
  optimizer: { name: 'adam' },
  batchSize: 32,
  search: { reportEvery: 5 },
  final: { epochs: 2, schedule: 'one-cycle' },
  rangeTest: { min: 1e-5, max: 10, steps: 40 },
});
const modelsDir = mkdtempSync(join(tmpdir(), 'lrsweep-pool-'));
const job = (trialId: string, overrides: Partial<ExecutorJob> = {}): ExecutorJob => ({
  sweepId: 's1',
  trialId,
  kind: 'search',
  spec,
  seed: 11,
  learningRate: 0.01,
  untilStep: 20,
  lrMin: 0,
  lrMax: 0,
  modelsDir,
  checkpointEvery: 0,
  ...overrides,
});

let pool: ExecutorPool;
const events: ExecutorEvent[] = [];
const waiters: { match: (e: ExecutorEvent) => boolean; resolve: (e: ExecutorEvent) => void }[] = [];
function next(match: (e: ExecutorEvent) => boolean, timeoutMs = 60_000): Promise<ExecutorEvent> {
  const seen = events.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    waiters.push({ match, resolve });
    setTimeout(() => reject(new Error('timed out waiting for an executor event')), timeoutMs).unref();
  });
}

describe('ExecutorPool (real child processes)', () => {
  beforeAll(async () => {
    pool = await ExecutorPool.start(2, 'wasm', (e) => {
      events.push(e);
      for (const w of [...waiters]) {
        if (!w.match(e)) continue;
        w.resolve(e);
        waiters.splice(waiters.indexOf(w), 1);
      }
    });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('runs two trials at once and refuses a third', () => {
    pool.run(job('a', { untilStep: 100_000 }));
    pool.run(job('b', { untilStep: 100_000 }));
    expect(pool.busy).toBe(2);
    expect(() => pool.run(job('c'))).toThrow(NoFreeSlotError);
    expect(pool.stop('s1', 'a')).toBe(true);
    expect(pool.stop('s1', 'b')).toBe(true);
  });

  it('stops trials when asked', async () => {
    const a = await next((e) => e.type === 'stopped' && e.trialId === 'a');
    await next((e) => e.type === 'stopped' && e.trialId === 'b');
    expect(a).toMatchObject({ outcome: 'stopped' });
    expect(pool.busy).toBe(0);
  });

  it('pauses at the budget with a snapshot, and resumes on another process to the same curve', async () => {
    pool.run(job('straight', { untilStep: 40 }));
    await next((e) => e.type === 'budget' && e.trialId === 'straight');
    pool.run(job('paused', { untilStep: 20 }));
    const budget = await next((e) => e.type === 'budget' && e.trialId === 'paused');
    // The state follows the budget, in its own message.
    expect(budget).not.toHaveProperty('snapshot');
    const paused = (await next((e) => e.type === 'paused' && e.trialId === 'paused')) as Extract<ExecutorEvent, { type: 'paused' }>;
    expect(paused.step).toBe(20);
    expect(paused.snapshot.weights.length).toBeGreaterThan(0);
    expect(paused.snapshot.weights[0]).toBeInstanceOf(Float32Array);
    expect(pool.freeKeeper('s1', 'paused', 20)).toBe(true);
    // Another trial id: no process keeps its state, so the snapshot crosses the pipe.
    pool.run(job('paused-2', { untilStep: 40, snapshot: paused.snapshot }));
    const resumed = (await next((e) => e.type === 'budget' && e.trialId === 'paused-2')) as Extract<ExecutorEvent, { type: 'budget' }>;
    const straight = events.find((e) => e.type === 'budget' && e.trialId === 'straight') as Extract<ExecutorEvent, { type: 'budget' }>;
    const losses = (id: string) => events.filter((e) => e.type === 'report' && e.trialId === id).map((e) => (e as { loss: number }).loss);
    expect([...losses('paused'), ...losses('paused-2')]).toEqual(losses('straight'));
    expect(resumed.valLoss).toBe(straight.valLoss);
  });

  it('resumes a trial on the process that keeps its paused state, without sending it', async () => {
    pool.run(job('kept', { untilStep: 20 }));
    const paused = (await next((e) => e.type === 'paused' && e.trialId === 'kept')) as Extract<ExecutorEvent, { type: 'paused' }>;
    expect(pool.freeKeeper('s1', 'kept', 20)).toBe(true);
    // A snapshot of the right step but zeroed weights: were it sent, the curve would change.
    const zeroed = { ...paused.snapshot, weights: paused.snapshot.weights.map((w) => new Float32Array(w.length)) };
    pool.run(job('kept', { untilStep: 40, snapshot: zeroed }));
    const resumed = (await next((e) => e.type === 'budget' && e.trialId === 'kept' && e.step === 40)) as Extract<ExecutorEvent, { type: 'budget' }>;
    const straight = events.find((e) => e.type === 'budget' && e.trialId === 'straight') as Extract<ExecutorEvent, { type: 'budget' }>;
    expect(resumed.valLoss).toBe(straight.valLoss);
    const losses = events.filter((e) => e.type === 'report' && e.trialId === 'kept').map((e) => (e as { loss: number }).loss);
    expect(losses).toEqual(events.filter((e) => e.type === 'report' && e.trialId === 'straight').map((e) => (e as { loss: number }).loss));
  });

  it('runs the final training with its schedule and saves the model', async () => {
    pool.run(job('final', { kind: 'final', lrMin: 0.001, lrMax: 0.02 }));
    const done = (await next((e) => (e.type === 'final-done' || e.type === 'failed') && e.trialId === 'final')) as Extract<ExecutorEvent, { type: 'final-done' }>;
    expect(done.type).toBe('final-done');
    expect(existsSync(done.modelPath)).toBe(true);
    // The event that ends a job says when it ran: set up (data, model) first, then trained.
    expect(done.timing).toBeDefined();
    expect(done.timing!.setupMs).toBeGreaterThanOrEqual(0);
    expect(done.timing!.busyMs).toBeGreaterThanOrEqual(done.timing!.setupMs);
    expect(done.timing!.startedAtMs + done.timing!.busyMs).toBeLessThanOrEqual(Date.now() + 1);
    const reports = events.filter((e): e is Extract<ExecutorEvent, { type: 'report' }> => e.type === 'report' && e.trialId === 'final');
    const epochEnds = reports.filter((r) => r.valLoss !== undefined);
    expect(epochEnds.map((r) => r.epoch)).toEqual([1, 2]);
    // One-cycle: the rate rises to lrMax, then falls far below lrMin.
    const rates = reports.map((r) => r.learningRate);
    expect(Math.max(...rates)).toBeLessThanOrEqual(0.02 + 1e-12);
    expect(Math.max(...rates)).toBeGreaterThan(0.015);
    expect(rates.at(-1)!).toBeLessThan(0.001);
    expect(done.steps).toBe(reports.at(-1)!.totalSteps);
  });

  it('final training: the divergence guard rolls back a rate far too high, sends each change, and the job ends done', async () => {
    const guarded = parseSpec({ ...spec, optimizer: { name: 'sgd' }, model: { builtin: 'mlp', hidden: [32, 32] }, final: { epochs: 3, schedule: 'constant', divergenceGuard: { factor: 0.1, maxRetries: 8 } } });
    pool.run(job('final-guard', { kind: 'final', spec: guarded, lrMin: 1e6, lrMax: 1e6 }));
    const done = await next((e) => (e.type === 'final-done' || e.type === 'failed' || e.type === 'stopped') && e.trialId === 'final-guard');
    expect(done.type).toBe('final-done');
    const changes = events.filter((e): e is Extract<ExecutorEvent, { type: 'rate-change' }> => e.type === 'rate-change' && e.trialId === 'final-guard');
    expect(changes[0]).toMatchObject({ sweepId: 's1', index: 0, cause: 'non-finite', fromMultiplier: 1, toMultiplier: 0.1, rolledBackTo: 0 });
    expect(changes.map((c) => c.index)).toEqual(changes.map((_, i) => i));
    expect(Number.isFinite((done as Extract<ExecutorEvent, { type: 'final-done' }>).valLoss)).toBe(true);
    // The same job without the guard stops non-finite, as before.
    const unguarded = parseSpec({ ...guarded, final: { ...guarded.final, divergenceGuard: { ...guarded.final.divergenceGuard, enabled: false } } });
    pool.run(job('final-noguard', { kind: 'final', spec: unguarded, lrMin: 1e6, lrMax: 1e6 }));
    expect(await next((e) => (e.type === 'final-done' || e.type === 'failed' || e.type === 'stopped') && e.trialId === 'final-noguard')).toMatchObject({ type: 'stopped', outcome: 'non-finite' });
  });

  it('runs a range-test seed', async () => {
    pool.run(job('rt', { kind: 'range-test' }));
    const done = (await next((e) => (e.type === 'range-test-done' || e.type === 'failed') && e.trialId === 'rt')) as Extract<ExecutorEvent, { type: 'range-test-done' }>;
    expect(done.type).toBe('range-test-done');
    expect(done.result.points.length).toBeGreaterThan(5);
  });

  it('reports a trial failed when its process dies, and replaces the process', async () => {
    pool.run(job('doomed', { untilStep: 1_000_000 }));
    const internal = pool as unknown as { executors: { trialId?: string; child: { kill(signal: string): void } }[] };
    internal.executors.find((e) => e.trialId === 's1/doomed')!.child.kill('SIGKILL');
    const failed = await next((e) => e.type === 'failed' && e.trialId === 'doomed');
    expect(failed).toMatchObject({ error: expect.stringMatching(/died \(SIGKILL\)/) as unknown });
    for (let i = 0; i < 300 && pool.freeSlots < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(pool.freeSlots).toBe(2);
    pool.run(job('after', { untilStep: 10 }));
    await next((e) => e.type === 'budget' && e.trialId === 'after');
  });
});

describe('ExecutorPool: one process, its search trainer reused from trial to trial', () => {
  let single: ExecutorPool;
  const seen: ExecutorEvent[] = [];
  const ended = (trialId: string, step?: number): Promise<ExecutorEvent> =>
    new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        const e = seen.find((x) => (x.type === 'budget' || x.type === 'stopped' || x.type === 'failed') && x.trialId === trialId && (step === undefined || ('step' in x && x.step === step)));
        if (!e) return;
        clearInterval(poll);
        resolve(e);
      }, 5);
      setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`timed out waiting for ${trialId} to end`));
      }, 60_000).unref();
    });
  const losses = (trialId: string) => seen.filter((e) => e.type === 'report' && e.trialId === trialId).map((e) => (e as { loss: number }).loss);
  const valLoss = (e: ExecutorEvent) => (e as Extract<ExecutorEvent, { type: 'budget' }>).valLoss;

  beforeAll(async () => {
    single = await ExecutorPool.start(1, 'wasm', (e) => seen.push(e));
  });
  afterAll(async () => {
    await single.close();
  });

  it('starts every fresh trial from the initial state, whatever ran before (Adam state included), and resumes in place', async () => {
    single.run(job('ref', { untilStep: 40 }));
    const ref = await ended('ref');
    // Another rate, paused at its budget: the trainer now holds its weights and Adam moments.
    single.run(job('other', { untilStep: 20, learningRate: 0.5 }));
    await ended('other');
    single.run(job('again', { untilStep: 20 }));
    await ended('again');
    expect(losses('again')).toEqual(losses('ref').slice(0, 4));
    // A rate far too high leaves huge weights behind (Adam's steps are bounded by the rate, not NaN).
    single.run(job('blows-up', { untilStep: 20, learningRate: 1e8 }));
    await ended('blows-up');
    expect(losses('blows-up').some((l) => !(l < 1e3))).toBe(true);
    single.run(job('after-nan', { untilStep: 40 }));
    const afterNan = await ended('after-nan');
    expect(losses('after-nan')).toEqual(losses('ref'));
    expect(valLoss(afterNan)).toBe(valLoss(ref));
    // Paused at 20, resumed here with nothing in between (a zeroed snapshot: the kept state is what counts).
    single.run(job('resumed', { untilStep: 20 }));
    const paused = (await new Promise<ExecutorEvent>((resolve) => {
      const poll = setInterval(() => {
        const e = seen.find((x) => x.type === 'paused' && x.trialId === 'resumed');
        if (!e) return;
        clearInterval(poll);
        resolve(e);
      }, 5);
    })) as Extract<ExecutorEvent, { type: 'paused' }>;
    expect(single.freeKeeper('s1', 'resumed', 20)).toBe(true);
    single.run(job('resumed', { untilStep: 40, snapshot: { ...paused.snapshot, weights: paused.snapshot.weights.map((w) => new Float32Array(w.length)) } }));
    const resumed = await ended('resumed', 40);
    expect(losses('resumed')).toEqual(losses('ref'));
    expect(valLoss(resumed)).toBe(valLoss(ref));
  });
});
