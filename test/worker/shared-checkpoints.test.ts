import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, directoryCheckpoints, loadLrsweepPackage, LossReport, parseSpec, specToProto, TrialEvent, unary } from '@lrsweep/shared';
import type { WorkerServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/WorkerService';
import { trialEventsOf, until, watchSweepToEnd, type Seen } from '../helpers.js';
import { freePort, manage, NATS_SERVER, startCoordinator, startWorker, type Managed } from '../processes.js';

const { proto } = loadLrsweepPackage();
const specInput = {
  name: 'shared-checkpoints',
  seed: 5,
  model: { builtin: 'mlp' as const, hidden: [16] },
  dataset: { builtin: 'spirals' as const, pointsPerClass: 200 },
  optimizer: { name: 'adam' as const },
  batchSize: 32,
  search: { strategy: 'asha' as const, minSteps: 10, maxSteps: 90, reductionFactor: 3, reportEvery: 5 },
  grid: { min: 1e-3, max: 3, points: 6 },
  final: { epochs: 1, schedule: 'one-cycle' as const },
};
const spec = specToProto(parseSpec(specInput));

/**
 * Without JetStream (a core NATS server), workers given one --checkpoint-dir resume each other's
 * paused trials, as the local workers of `lrsweep run` do.
 */
describe('checkpoints in a directory the workers share (core NATS, no JetStream)', () => {
  let natsServer: Managed;
  let natsUrl: string;
  let nc: NatsConnection;
  const dir = mkdtempSync(join(tmpdir(), 'lrsweep-shared-checkpoints-'));
  const workers: Managed[] = [];
  const clients: WorkerServiceClient[] = [];
  const seen: Seen[] = [];

  const events = (trialId: string) => trialEventsOf(seen, 'sw1', trialId);
  const losses = (trialId: string) =>
    seen
      .filter((m) => m.subject === `lrsweep.loss.sw1.${trialId}`)
      .map((m) => decodeMessage(LossReport, m.data))
      .flatMap((d) => (d.ok ? [[d.value.step, d.value.loss] as const] : []));

  beforeAll(async () => {
    const port = await freePort();
    natsServer = manage(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port)]);
    await natsServer.waitFor(/Server is ready/);
    natsUrl = `nats://127.0.0.1:${port}`;
    nc = await connect({ servers: natsUrl });
    const sub = nc.subscribe('lrsweep.>');
    void (async () => {
      for await (const m of sub) seen.push({ subject: m.subject, data: m.data });
    })();
    for (const id of ['sc-a', 'sc-b']) {
      const worker = await startWorker(natsUrl, id, ['--checkpoint-dir', dir]);
      workers.push(worker);
      clients.push(new proto.lrsweep.v1.WorkerService(worker.output().match(/serving on (\d+\.\d+\.\d+\.\d+:\d+)/)![1]!, grpc.credentials.createInsecure()));
    }
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(workers.map((w) => w.stop()));
    await nc?.drain();
    await natsServer?.stop();
  });

  it('a trial paused on one worker resumes on another from the directory, on the same curve as where it paused', async () => {
    const [a, b] = clients as [WorkerServiceClient, WorkerServiceClient];
    const run = (client: WorkerServiceClient, trialId: string, untilStep: number, fromStep?: number) =>
      unary(client, 'runTrial', { sweepId: 'sw1', trialId, kind: 'TRIAL_KIND_SEARCH', learningRate: 0.01, untilStep, seed: 3, spec, ...(fromStep !== undefined ? { fromCheckpoint: true, fromStep } : {}) });
    // Two trials with the same rate and seed: one goes on where it paused, the other moves.
    for (const trialId of ['stay', 'move']) {
      expect(await run(a, trialId, 20)).toEqual({ resumed: false, step: 0 });
      const saved = await until(() => events(trialId).find((e) => e.type === 'checkpointed'));
      expect(saved).toMatchObject({ workerId: 'sc-a', step: 20 });
    }
    expect((await directoryCheckpoints(dir).list('sw1/')).sort()).toEqual(['sw1/move/20', 'sw1/stay/20']);
    expect(await run(a, 'stay', 40, 20)).toEqual({ resumed: true, step: 20 });
    await until(() => events('stay').find((e) => e.type === 'budget-reached' && e.step === 40));
    expect(await run(b, 'move', 40, 20)).toEqual({ resumed: true, step: 20 });
    const moved = await until(() => events('move').find((e) => e.type === 'budget-reached' && e.step === 40));
    expect(moved.workerId).toBe('sc-b');
    // Training is deterministic: the state read from the directory is the whole state (weights,
    // optimizer moments, data order), or the curve after step 20 would differ.
    const after = (trialId: string) => losses(trialId).filter(([step]) => step > 20);
    expect(after('move').map(([step]) => step)).toEqual([25, 30, 35, 40]);
    expect(after('move')).toEqual(after('stay'));
    // Either worker's release of a trial deletes its checkpoints; the other trial's stay.
    expect(await unary(b, 'stopTrial', { sweepId: 'sw1', trialId: 'move' })).toEqual({ found: true });
    await until(() => (existsSync(join(dir, 'sw1', 'move')) ? undefined : true), 10_000);
    expect(await directoryCheckpoints(dir).list('sw1/')).toEqual(expect.arrayContaining(['sw1/stay/20', 'sw1/stay/40']));
  });

  it('a resume from a step the directory does not hold is refused, not started from scratch', async () => {
    const error = (await unary(clients[1]!, 'runTrial', { sweepId: 'sw1', trialId: 'never', kind: 'TRIAL_KIND_SEARCH', learningRate: 0.01, untilStep: 40, seed: 3, spec, fromCheckpoint: true, fromStep: 20 }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(error.details).toMatch(/no state of sw1\/never at step 20/);
  });

  it("a coordinator given the directory completes a sweep on them and deletes that sweep's checkpoints, only those", async () => {
    const coordinator = await startCoordinator(natsUrl, ['--checkpoint-dir', dir]);
    const client = new proto.lrsweep.v1.SweepService(coordinator.address, grpc.credentials.createInsecure());
    try {
      const store = directoryCheckpoints(dir);
      const { sweepId } = await unary(client, 'submitSweep', { spec });
      // As a worker that died would leave them: one of this sweep's trials (no worker will release
      // it), and one of a sweep this coordinator does not know.
      await store.put(`${sweepId}/t999/10`, new Uint8Array(16));
      await store.put('other-sweep/t000/10', new Uint8Array(16));
      const { done } = await watchSweepToEnd(client, sweepId);
      expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
      // Each promotion's paused state was written to the directory (the coordinator deletes it a few seconds after the end).
      const checkpointed = seen.filter((m) => m.subject.startsWith(`lrsweep.trial.${sweepId}.`)).map((m) => decodeMessage(TrialEvent, m.data)).filter((d) => d.ok && d.value.type === 'checkpointed');
      expect(checkpointed.length).toBeGreaterThan(0);
      await until(() => (existsSync(join(dir, sweepId)) ? undefined : true), 30_000);
      expect(readdirSync(dir).sort()).toEqual(['other-sweep', 'sw1']);
    } finally {
      client.close();
      await coordinator.process.stop();
    }
  });
});
