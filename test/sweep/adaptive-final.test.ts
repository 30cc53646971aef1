import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseSpec, specToProto, unary, type SweepSpecInput } from '@lrsweep/shared';
import type { RateChange__Output } from '@lrsweep/shared/gen/lrsweep/v1/RateChange';
import type { SweepServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import { runCli, watchSweepToEnd } from '../helpers.js';
import { startCluster, type Cluster } from '../processes.js';

/**
 * A final training whose rate changes, across real processes (nats-server with JetStream, a
 * coordinator, a worker with its executor): the changes travel executor → worker → NATS →
 * coordinator journal → WatchSweep / GetSweep → CLI. The changes here are certain by construction:
 * SGDR cycles of one epoch restart at each epoch's end, and reduce-on-plateau with minDelta 100
 * sees no improvement after the first epoch, so it cuts the rate at every later epoch end but the
 * last. (The divergence guard's own trigger is covered with real tfjs in packages/worker.)
 */

const input = {
  name: 'adaptive-final',
  seed: 5,
  model: { builtin: 'mlp', hidden: [32, 32] },
  dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 300, sampleFraction: 0.5 },
  optimizer: { name: 'sgd' },
  batchSize: 32,
  grid: { min: 1e-2, max: 1, points: 3 },
  search: { strategy: 'grid', minSteps: 10, maxSteps: 30, reductionFactor: 3, reportEvery: 5 },
  final: { epochs: 4, schedule: 'cosine-restarts', warmRestarts: { cycleEpochs: 1, cycleMult: 1 }, reduceOnPlateau: { patience: 1, minDelta: 100 } },
} satisfies SweepSpecInput;
/** 900 points, 20% for validation, 720 / 32 = 22 steps an epoch. */
const EPOCH = 22;
const EXPECTED: [string, number, number, number][] = [
  ['RATE_CHANGE_CAUSE_WARM_RESTART', EPOCH, 1, 1],
  ['RATE_CHANGE_CAUSE_PLATEAU', 2 * EPOCH, 1, 0.2],
  ['RATE_CHANGE_CAUSE_WARM_RESTART', 2 * EPOCH, 0.2, 0.2],
  ['RATE_CHANGE_CAUSE_PLATEAU', 3 * EPOCH, 0.2, 0.04],
  ['RATE_CHANGE_CAUSE_WARM_RESTART', 3 * EPOCH, 0.04, 0.04],
];
const shape = (changes: RateChange__Output[]) => changes.map((c) => [c.cause, c.step, Number(c.fromMultiplier.toFixed(12)), Number(c.toMultiplier.toFixed(12))]);


describe('final training that adapts: rate changes reach watchers, the sweep result and the CLI', () => {
  let cluster: Cluster | undefined;
  let coordinator: Cluster['coordinator'];
  let client: SweepServiceClient;

  beforeAll(async () => {
    cluster = await startCluster(['adaptive-w1']);
    ({ coordinator, client } = cluster);
  });

  afterAll(() => cluster?.stop());

  it('WatchSweep streams each change with its reason, and Sweep.final lists them in order', async () => {
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(parseSpec(input)) });
    const { events, done } = await watchSweepToEnd(client, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    const streamed = events.filter((e) => e.rateChange).map((e) => e.rateChange!);
    expect(shape(streamed)).toEqual(EXPECTED);
    expect(shape(done.final!.adjustments)).toEqual(EXPECTED);
    expect(done.final!.adjustments).toEqual(streamed);
    const [restart, plateau] = done.final!.adjustments;
    expect(restart!.reason).toMatch(/^warm restart at step 22: cycle 2 \(22 steps\) starts again at the max rate/);
    expect(plateau!.reason).toMatch(/^val loss plateaued: .* for 1 evaluation\(s\) at step 44; rate ×0.2/);
    expect(plateau).toMatchObject({ epoch: 2, value: done.final!.adjustments[1]!.value });
    expect(plateau!.rolledBackTo).toBeUndefined();
    // The rate reported after the cut is the schedule's × 0.2: progress events agree with the change.
    const after = events.find((e) => e.finalProgress && e.finalProgress.step > 2 * EPOCH)!.finalProgress!;
    expect(after.learningRate).toBeLessThanOrEqual(done.final!.lrMax * 0.2 + 1e-12);
    expect(done.final!.schedule).toBe('SCHEDULE_KIND_COSINE_RESTARTS');
    expect(done.final!.steps).toBe(4 * EPOCH);
    // GetSweep agrees, and the CLI's JSON has them with their reasons.
    const got = await runCli(['get', sweepId, '--json', '--coordinator', coordinator.address]);
    expect(got.code, got.stderr).toBe(0);
    const result = JSON.parse(got.stdout) as { final: { schedule: string; adjustments: { step: number; cause: string; fromMultiplier: number; toMultiplier: number; rolledBackTo: number | null; reason: string }[] } };
    expect(result.final.schedule).toBe('cosine-restarts');
    expect(result.final.adjustments.map((a) => [a.cause, a.step])).toEqual([
      ['warm-restart', 22],
      ['plateau', 44],
      ['warm-restart', 44],
      ['plateau', 66],
      ['warm-restart', 66],
    ]);
    expect(result.final.adjustments[1]).toMatchObject({ fromMultiplier: 1, toMultiplier: 0.2, rolledBackTo: null, reason: expect.stringMatching(/val loss plateaued/) as unknown });
    const text = await runCli(['get', sweepId, '--coordinator', coordinator.address]);
    expect(text.stdout).toMatch(/rate changes during final training \(5\):/);
    expect(text.stdout).toMatch(/step 44 \(epoch 2\), plateau: rate ×1 → ×0.2, next lr \S+ — val loss plateaued/);
  });

  it('lrsweep submit --wait prints each change as it happens, and the summary lists them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lrsweep-adaptive-'));
    const file = join(dir, 'adaptive.yaml');
    writeFileSync(file, stringify({ ...input, name: 'adaptive-final-cli' }));
    const run = await runCli(['submit', file, '--coordinator', coordinator.address, '--wait'], { timeoutMs: 170_000 });
    expect(run.code, run.stderr).toBe(0);
    // Progress (stderr, no TTY): one line per change, with its reason, as it happens.
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('  final training step'));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^ {2}final training step 22 \(epoch 1\), warm-restart: rate ×1, next lr \S+ — warm restart at step 22/);
    expect(lines[1]).toMatch(/^ {2}final training step 44 \(epoch 2\), plateau: rate ×1 → ×0.2, next lr \S+ — val loss plateaued/);
    // The epoch's validation line comes before the change it caused.
    expect(run.stderr.indexOf('final training epoch 2:')).toBeLessThan(run.stderr.indexOf(lines[1]!));
    expect(run.stdout).toMatch(/final training: cosine-restarts/);
    expect(run.stdout).toMatch(/rate changes during final training \(5\):/);
  });
});
