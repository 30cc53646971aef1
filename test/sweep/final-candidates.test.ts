import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalCandidates, parseSpec, specToProto, unary, type SweepSpecInput } from '@lrsweep/shared';
import type { SweepServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import type { Sweep__Output } from '@lrsweep/shared/gen/lrsweep/v1/Sweep';
import type { WatchSweepResponse__Output } from '@lrsweep/shared/gen/lrsweep/v1/WatchSweepResponse';
import { runCli, watchSweepToEnd } from '../helpers.js';
import { startCluster, type Cluster } from '../processes.js';

/**
 * Final-training candidates across real processes (nats-server, a coordinator, two workers of one
 * slot each): with `auto`, the two slots the search leaves free train the final at two peak rates
 * at once, and the lowest validation loss is the sweep's result.
 */
const input = (name: string, candidates?: number, startEarly = true, maxSteps = 20, points = 4, max = 3): SweepSpecInput => ({
  name,
  seed: 3,
  model: { builtin: 'mlp', hidden: [16] },
  dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 200, sampleFraction: 0.5 },
  optimizer: { name: 'sgd' },
  batchSize: 32,
  grid: { min: 1e-2, max, points },
  search: { strategy: 'grid', minSteps: 10, maxSteps, reductionFactor: 3, reportEvery: 5 },
  final: { epochs: 2, startEarly, ...(candidates !== undefined ? { candidates } : {}) },
});


describe('final training candidates', () => {
  let cluster: Cluster | undefined;
  let coordinator: Cluster['coordinator'];
  let client: SweepServiceClient;

  beforeAll(async () => {
    cluster = await startCluster(['cand-w1', 'cand-w2']);
    ({ coordinator, client } = cluster);
  });

  afterAll(() => cluster?.stop());

  it('auto on two slots: two peaks at once, the lower validation loss wins, each with its own model', async () => {
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(parseSpec(input('candidates-auto'))) });
    const { events, done } = await watchSweepToEnd(client, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    const candidates = done.finalCandidates;
    expect(candidates.map((c) => c.trialId)).toEqual(['final', 'final-2']);
    // The peaks are the pure rule's, from the sweep's own range and best rate.
    const expected = finalCandidates(done.range!, done.best!.learningRate, 2);
    candidates.forEach((c, i) => {
      expect(c.lrMax).toBeCloseTo(expected[i]!.lrMax, 12);
      expect(c.lrMin).toBeCloseTo(expected[i]!.lrMin, 12);
      expect(c.error).toBe('');
      expect(c.steps).toBe(c.totalSteps);
      expect(existsSync(c.modelPath), c.modelPath).toBe(true);
    });
    expect(candidates[0]!.lrMax).toBe(done.range!.max);
    expect(candidates[1]!.lrMax).toBeLessThan(candidates[0]!.lrMax);
    expect(new Set(candidates.map((c) => c.modelPath)).size).toBe(2);
    // They ran at once, one per slot.
    expect(new Set(candidates.map((c) => c.workerId))).toEqual(new Set(['cand-w1', 'cand-w2']));
    // The result is the lower validation loss (and the same seed: only the peak differs).
    const winner = candidates.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
    expect(done.final!.trialId).toBe(winner.trialId);
    expect(done.final!.valLoss).toBe(winner.valLoss);
    expect(done.final!.modelPath).toBe(winner.modelPath);
    // Watchers see each candidate's progress under its own id.
    const progressIds = new Set(events.filter((e) => e.finalProgress).map((e) => e.finalProgress!.trialId));
    expect(progressIds).toEqual(new Set(['final', 'final-2']));
    // The CLI shows both and marks the winner.
    const text = await runCli(['get', sweepId, '--coordinator', coordinator.address]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/2 candidate peak rates, trained at once; the lowest validation loss wins:/);
    expect(text.stdout).toMatch(new RegExp(`\\* ${winner.trialId.replace('-', '\\-')}\\s+peak`));
    const json = JSON.parse((await runCli(['get', sweepId, '--json', '--coordinator', coordinator.address])).stdout) as { final: { trialId: string }; finalCandidates: { trialId: string; chosen: boolean }[] };
    expect(json.final.trialId).toBe(winner.trialId);
    expect(json.finalCandidates.filter((c) => c.chosen).map((c) => c.trialId)).toEqual([winner.trialId]);
  });

  it('candidates: 1 keeps a single final training over the whole range, whatever the slots', async () => {
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(parseSpec(input('candidates-one', 1))) });
    const { done } = await watchSweepToEnd(client, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(done.finalCandidates.map((c) => c.trialId)).toEqual(['final']);
    expect([done.final!.lrMin, done.final!.lrMax]).toEqual([done.range!.min, done.range!.max]);
  });

  it('starts a final early on the slot the last trial leaves idle; the finished search confirms or restarts it', async () => {
    // Grid of 3 rates that all train (none diverges early) on 2 slots: when the second of the first
    // two trials ends, the third still has a few hundred steps to go and nothing else is pending,
    // so that slot starts the (one) final.
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(parseSpec(input('candidates-early', 1, true, 300, 3, 0.3))) });
    const { done } = await watchSweepToEnd(client, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    const candidates = done.finalCandidates;
    // Started early: still running early (confirmed), or started over with the search's final rates.
    expect(candidates.some((c) => c.startedEarly || c.restarts > 0)).toBe(true);
    // Whatever the early plan was, what ran to the end is the plan for the finished search.
    const expected = finalCandidates(done.range!, done.best!.learningRate, 1);
    expect(candidates).toHaveLength(1);
    candidates.forEach((c, i) => {
      expect(c.lrMax).toBeCloseTo(expected[i]!.lrMax, 12);
      expect(c.lrMin).toBeCloseTo(expected[i]!.lrMin, 12);
      expect(c.steps).toBe(c.totalSteps);
      expect(c.error).toBe('');
    });
    const text = await runCli(['get', sweepId, '--coordinator', coordinator.address]);
    expect(text.stdout).toMatch(/\n {2}(started early, while the search's last trials ran|started over \d+ time\(s\): an early start the finished search did not confirm)\n/);
  });

  it('startEarly: false waits for the search to finish; so does a final per slot (it would save no time)', async () => {
    for (const [name, candidates, startEarly] of [['candidates-late', 1, false], ['candidates-per-slot', 2, true]] as const) {
      const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(parseSpec(input(name, candidates, startEarly, 300, 3, 0.3))) });
      const { done } = await watchSweepToEnd(client, sweepId);
      expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
      expect(done.finalCandidates).toHaveLength(candidates);
      expect(done.finalCandidates.every((c) => !c.startedEarly && c.restarts === 0)).toBe(true);
    }
  });

  it("an early final gives its slot back when another sweep needs it (the search comes first)", async () => {
    // Sweep A: 3 rates on 2 slots, the last one long (3,000 steps), one final (so it may start early)
    // and a long one. Once A's early final reports, sweep B arrives with work and no slot is free:
    // A's final must yield, so B's first trial starts while A's last trial still runs.
    const specA = parseSpec({ ...input('early-yields', 1, true, 3000, 3, 0.3), final: { epochs: 150, candidates: 1, startEarly: true } });
    const { sweepId: a } = await unary(client, 'submitSweep', { spec: specToProto(specA) });
    const stamps: { aSearchDone?: number; bFirstTrial?: number } = {};
    let bSubmitted: Promise<string> | undefined;
    const doneA = new Promise<Sweep__Output>((resolve, reject) => {
      let completed = 0;
      let finished: Sweep__Output | undefined;
      const stream = client.watchSweep({ sweepId: a }, { deadline: Date.now() + 170_000 });
      stream.on('data', (e: WatchSweepResponse__Output) => {
        if (e.finalProgress && !bSubmitted && completed < 3) {
          bSubmitted = unary(client, 'submitSweep', { spec: specToProto(parseSpec(input('early-yields-b', 1, false, 50, 2, 0.3))) }).then((r) => r.sweepId);
        }
        if (e.decision?.kind === 'DECISION_KIND_COMPLETED' && ++completed === 3) stamps.aSearchDone = Date.now();
        if (e.done) finished = e.done;
      });
      stream.on('error', reject);
      stream.on('end', () => (finished ? resolve(finished) : reject(new Error('no done event'))));
    });
    await expect.poll(() => bSubmitted, { timeout: 60_000 }).toBeDefined();
    const b = await bSubmitted!;
    const doneB = new Promise<Sweep__Output>((resolve, reject) => {
      let finished: Sweep__Output | undefined;
      const stream = client.watchSweep({ sweepId: b }, { deadline: Date.now() + 170_000 });
      stream.on('data', (e: WatchSweepResponse__Output) => {
        // B's first trial may start before this watch opens (a new sweep fills free slots as it is
        // accepted); then the opening snapshot shows it under way, and its arrival is a late bound.
        const underWay = Boolean(e.trialStarted) || (e.snapshot?.trials ?? []).some((t) => t.state !== 'TRIAL_STATE_PENDING');
        if (underWay && stamps.bFirstTrial === undefined) stamps.bFirstTrial = Date.now();
        if (e.done) finished = e.done;
      });
      stream.on('error', reject);
      stream.on('end', () => (finished ? resolve(finished) : reject(new Error('no done event'))));
    });
    const [sweepA, sweepB] = await Promise.all([doneA, doneB]);
    expect(sweepA.state, sweepA.error).toBe('SWEEP_STATE_COMPLETED');
    expect(sweepB.state, sweepB.error).toBe('SWEEP_STATE_COMPLETED');
    expect(stamps.bFirstTrial).toBeDefined();
    expect(stamps.aSearchDone).toBeDefined();
    expect(stamps.bFirstTrial!, 'B waited for A\'s search to end: the early final kept the slot').toBeLessThan(stamps.aSearchDone!);
    // A's final was stopped to make room, then trained again to the end.
    expect(sweepA.final!.restarts).toBeGreaterThanOrEqual(1);
    expect(sweepA.final!.steps).toBe(sweepA.final!.totalSteps);
  });

  it('more candidates than slots: the third waits for a free slot, and all three finish', async () => {
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(parseSpec(input('candidates-three', 3))) });
    const { done } = await watchSweepToEnd(client, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(done.finalCandidates.map((c) => c.trialId)).toEqual(['final', 'final-2', 'final-3']);
    expect(done.finalCandidates.every((c) => c.valLoss !== undefined && c.steps === c.totalSteps)).toBe(true);
  });
});
