import { existsSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointStore, connectNats, fieldViolationsOf, jetStreamOf, loadLrsweepPackage, parseSpec, specToProto, unary, type SweepSpec, type SweepSpecInput } from '@lrsweep/shared';
import type { SweepServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import type { WorkerServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/WorkerService';
import { runCli, watchSweepToEnd } from '../helpers.js';
import { startCluster, startWorker, type Cluster, type Managed } from '../processes.js';

const { proto } = loadLrsweepPackage();

/** Spirals: small and fast, with rates that diverge at the top of the grid. */
const spec = (overrides: Partial<SweepSpecInput> = {}): SweepSpec =>
  parseSpec({
    name: 'e2e-spirals',
    seed: 5,
    model: { builtin: 'mlp', hidden: [32, 32] },
    dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 300, sampleFraction: 0.6 },
    optimizer: { name: 'sgd' },
    batchSize: 32,
    grid: { min: 1e-3, max: 300, points: 9 },
    search: { strategy: 'asha', minSteps: 10, maxSteps: 90, reductionFactor: 3, reportEvery: 5 },
    final: { epochs: 2, schedule: 'one-cycle' },
    ...overrides,
  });


describe('a distributed sweep: real NATS, a coordinator and worker processes on loopback', () => {
  let cluster: Cluster | undefined;
  let nats: Cluster['nats'];
  let coordinator: Cluster['coordinator'];
  let workers: Managed[];
  let client: SweepServiceClient;

  beforeAll(async () => {
    cluster = await startCluster(['e2e-w1', 'e2e-w2'], ['--heartbeat-timeout', '3']);
    ({ nats, coordinator, workers, client } = cluster);
  });

  afterAll(() => cluster?.stop());

  it('runs to the end with the right prunes, decisions with evidence, and a trained model', async () => {
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(spec()) });
    // A second watcher asks for everything but the loss events.
    const [{ events, done }, quiet] = await Promise.all([watchSweepToEnd(client, sweepId), watchSweepToEnd(client, sweepId, undefined, { omitLosses: true })]);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(events[0]!.snapshot?.sweepId).toBe(sweepId);
    expect(events.some((e) => e.loss)).toBe(true);
    expect(events.some((e) => e.trialStarted)).toBe(true);
    expect(events.some((e) => e.finalProgress)).toBe(true);
    expect(quiet.events.some((e) => e.loss)).toBe(false);
    // The same decisions in the same order (one that came before a watcher opened is in its snapshot instead).
    const decisionsOf = (list: typeof events) => list.flatMap((e) => (e.decision ? [`${e.decision.trialId} ${e.decision.kind}`] : []));
    const quietDecisions = decisionsOf(quiet.events);
    expect(quietDecisions.length).toBeGreaterThan(0);
    expect(decisionsOf(events).slice(-quietDecisions.length)).toEqual(quietDecisions);
    expect(quiet.events.some((e) => e.finalProgress)).toBe(true);
    expect(quiet.done.state).toBe(done.state);

    const trials = [...done.trials].sort((a, b) => a.learningRate - b.learningRate);
    expect(trials).toHaveLength(9);
    // The largest rates blow up and are pruned as diverged, at once (before their first rung).
    const top = trials.at(-1)!;
    expect(top).toMatchObject({ state: 'TRIAL_STATE_PRUNED', reason: 'PRUNE_REASON_DIVERGED' });
    expect(top.steps).toBeLessThan(10);
    // Rung losers are stopped at a rung. The best completes: at maxSteps, or at the deepest rung
    // reached when fewer than η trials got there (none go on from such a rung).
    expect(trials.some((t) => t.reason === 'PRUNE_REASON_RUNG')).toBe(true);
    const completed = trials.filter((t) => t.state === 'TRIAL_STATE_COMPLETED');
    expect(completed.map((t) => t.trialId)).toContain(done.best!.trialId);
    for (const t of completed) expect([10, 30, 90]).toContain(t.steps);
    const completions = done.decisions.filter((d) => d.kind === 'DECISION_KIND_COMPLETED');
    expect(completions).toHaveLength(completed.length);
    for (const d of completions) expect(d.evidence?.rule).toMatch(/^(budget|rung)$/);
    // Both workers did work.
    expect(new Set(trials.map((t) => t.workerId)).size).toBe(2);
    // Every prune carries its evidence.
    for (const d of done.decisions.filter((d) => d.kind === 'DECISION_KIND_PRUNED')) {
      expect(d.summary.length).toBeGreaterThan(10);
      expect(d.evidence?.rule).toMatch(/non-finite|divergence|ordered-grid|stagnation|rung/);
    }
    expect(Number(done.budget!.stepsSpent)).toBeLessThan(Number(done.budget!.fullGridSteps));
    expect(done.best!.learningRate).toBeGreaterThan(0);
    expect(done.backend).toBe('wasm');
    expect(done.final!.valAccuracy).toBeGreaterThan(0.5);
    expect(existsSync(done.final!.modelPath)).toBe(true);
    // GetSweep and ListSweeps agree.
    const { sweep } = await unary(client, 'getSweep', { sweepId });
    expect(sweep!.state).toBe('SWEEP_STATE_COMPLETED');
    const { sweeps } = await unary(client, 'listSweeps', {});
    expect(sweeps.map((s) => s.sweepId)).toContain(sweepId);
  });

  it('a sweep journaled before slots were refilled in the fold (its submitted entry says nothing of it) runs through jobs entries; a new one refills at once', async () => {
    const nc = await connectNats({ url: nats.url, name: 'e2e-journal-watch' });
    const offered: string[] = [];
    nc.subscribe('lrsweep.ctl._.jobs', { callback: (_error, m) => offered.push(...(JSON.parse(new TextDecoder().decode(m.data)) as { workerIds: string[] }).workerIds) });
    const attemptsOf = (done: Awaited<ReturnType<typeof watchSweepToEnd>>['done']) => done.decisions.filter((d) => d.kind === 'DECISION_KIND_STARTED' || d.kind === 'DECISION_KIND_PROMOTED').length;
    try {
      // As an earlier coordinator wrote it: no `dispatch` field.
      const legacyId = 'legacy-dispatch';
      nc.publish(`lrsweep.ctl.${legacyId}.submitted`, new TextEncoder().encode(JSON.stringify({ sweepId: legacyId, spec: spec({ name: 'legacy' }), createdMs: Date.now() })));
      for (let i = 0; i < 100 && !(await unary(client, 'listSweeps', {})).sweeps.some((s) => s.sweepId === legacyId); i++) await new Promise((r) => setTimeout(r, 50));
      const legacy = (await watchSweepToEnd(client, legacyId)).done;
      expect(legacy.state, legacy.error).toBe('SWEEP_STATE_COMPLETED');
      const legacyOffers = offered.length;
      offered.length = 0;
      const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(spec({ name: 'refill' })) });
      const refilled = (await watchSweepToEnd(client, sweepId)).done;
      expect(refilled.state, refilled.error).toBe('SWEEP_STATE_COMPLETED');
      // The legacy sweep's slots were offered through the journal for most attempts; the new one's only where a slot waited for work.
      expect(legacyOffers).toBeGreaterThanOrEqual(attemptsOf(legacy) / 2);
      expect(offered.length).toBeLessThan(legacyOffers / 2);
    } finally {
      await nc.close();
    }
  });

  it('deletes the checkpoints of a finished sweep from the object store, and only those', async () => {
    const nc = await connectNats({ url: nats.url, name: 'e2e-checkpoint-watch' });
    try {
      const store = await checkpointStore((await jetStreamOf(nc))!.js);
      const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(spec({ name: 'checkpoint-gc' })) });
      // As a worker that died would leave them: one of this sweep's trials, and one of a sweep this coordinator does not know.
      await store.put(`${sweepId}/t999/10`, new Uint8Array(16));
      await store.put('other-coordinators-sweep/t000/10', new Uint8Array(16));
      const { done } = await watchSweepToEnd(client, sweepId);
      expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
      const ours = () => store.list(`${sweepId}/`);
      let left = await ours();
      for (let i = 0; i < 100 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        left = await ours();
      }
      expect(left).toEqual([]);
      expect(await store.list()).toContain('other-coordinators-sweep/t000/10');
    } finally {
      await nc.close();
    }
  });

  it('the CLI submits, waits, gets and lists against the running coordinator', async () => {
    const submitted = await runCli(['submit', 'examples/spirals.yaml', '--coordinator', coordinator.address, '--wait', '--json']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const result = JSON.parse(submitted.stdout) as { sweepId: string; state: string; trials: { lr: number; state: string; reason: string | null }[]; budget: { stepsSpent: number; fullGridSteps: number }; final: { valAccuracy: number; modelPath: string } };
    expect(result.state).toBe('COMPLETED');
    expect(result.trials).toHaveLength(12);
    for (const t of result.trials) expect(['COMPLETED', 'PRUNED', 'FAILED', 'CANCELLED']).toContain(t.state);
    expect(result.final.valAccuracy).toBeGreaterThan(0.9);
    const got = await runCli(['get', result.sweepId, '--json'], { env: { LRSWEEP_COORDINATOR: coordinator.address } });
    expect((JSON.parse(got.stdout) as { sweepId: string }).sweepId).toBe(result.sweepId);
    const listed = await runCli(['list', '--coordinator', coordinator.address]);
    expect(listed.stdout).toContain(result.sweepId);
    const missing = await runCli(['get', 's-nope', '--coordinator', coordinator.address]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no sweep s-nope/);
    const unreachable = await runCli(['list', '--coordinator', '127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the coordinator at 127.0.0.1:1[\s\S]*fix:/);
  });

  it('auto: a range test on the workers sets the grid, then ASHA searches it', async () => {
    const submitted = spec({ search: { strategy: 'auto', minSteps: 10, maxSteps: 90, reductionFactor: 3, reportEvery: 5 }, rangeTest: { min: 1e-5, max: 100, steps: 60, seeds: 2, beta: 0.9 } });
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(submitted) });
    const { events, done } = await watchSweepToEnd(client, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(events[0]!.snapshot!.state).toBe('SWEEP_STATE_RANGE_TEST');
    // The searched grid is the range test's, not the submitted one.
    expect(done.spec!.grid!.min).not.toBe(submitted.grid.min);
    expect(done.spec!.grid!.max).not.toBe(submitted.grid.max);
    const rates = done.trials.map((t) => t.learningRate);
    expect(Math.min(...rates)).toBeCloseTo(done.spec!.grid!.min, 12);
    expect(done.trials).toHaveLength(submitted.grid.points);
    expect(done.final!.valAccuracy).toBeGreaterThan(0.5);
  });

  it('rejects a broken spec with INVALID_ARGUMENT naming the field, and keeps serving', async () => {
    const bad = specToProto(spec());
    bad.grid = { min: 1, max: 0.5, points: 9 };
    bad.batchSize = 0;
    const error = (await unary(client, 'submitSweep', { spec: bad }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain('spec.grid.min');
    expect(fieldViolationsOf(error).map((v) => v.field)).toEqual(expect.arrayContaining(['spec.grid.min', 'spec.batch_size']));
    const { sweeps } = await unary(client, 'listSweeps', {});
    expect(sweeps.length).toBeGreaterThan(0);
  });

  it('a worker that joins mid-sweep gets work', async () => {
    const long = spec({ grid: { min: 1e-3, max: 1, points: 10 }, search: { strategy: 'grid', minSteps: 10, maxSteps: 4000, reductionFactor: 3, reportEvery: 5 }, final: { epochs: 1, schedule: 'constant' } });
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(long) });
    const watching = watchSweepToEnd(client, sweepId);
    await new Promise((r) => setTimeout(r, 1500));
    workers.push(await startWorker(nats.url, 'e2e-late'));
    const { done } = await watching;
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(done.trials.some((t) => t.workerId === 'e2e-late')).toBe(true);
  });

  it('a sweep cancelled mid-way leaves no trial running on any worker', async () => {
    const long = spec({ grid: { min: 1e-3, max: 1, points: 10 }, search: { strategy: 'grid', minSteps: 10, maxSteps: 5000, reductionFactor: 3, reportEvery: 5 } });
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(long) });
    const watching = watchSweepToEnd(client, sweepId);
    await new Promise((r) => setTimeout(r, 2000));
    const { state } = await unary(client, 'cancelSweep', { sweepId });
    const { sweep: now } = await unary(client, 'getSweep', { sweepId });
    expect(state, now!.error).toBe('SWEEP_STATE_CANCELLED');
    const { done } = await watching;
    expect(done.trials.every((t) => t.state !== 'TRIAL_STATE_RUNNING' && t.state !== 'TRIAL_STATE_PENDING' && t.state !== 'TRIAL_STATE_PAUSED')).toBe(true);
    expect(done.trials.some((t) => t.state === 'TRIAL_STATE_CANCELLED')).toBe(true);
    // Ask every worker directly: nothing of this sweep runs or is kept.
    await new Promise((r) => setTimeout(r, 1000));
    const describe = async (address: string) => {
      const worker: WorkerServiceClient = new proto.lrsweep.v1.WorkerService(address, grpc.credentials.createInsecure());
      try {
        return await unary(worker, 'describeWorker', {});
      } finally {
        worker.close();
      }
    };
    const addresses = workers.map((w) => w.output().match(/serving on (\d+\.\d+\.\d+\.\d+:\d+)/)?.[1]).filter((a): a is string => a !== undefined);
    expect(addresses.length).toBe(workers.length);
    for (const address of addresses) {
      const info = await describe(address);
      expect(info.trials.filter((t) => t.sweepId === sweepId)).toEqual([]);
    }
  });
});
