import * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, fencedEpochOf, fieldViolationsOf, loadLrsweepPackage, LossReport, parseSpec, specToProto, unary, WorkerHeartbeat } from '@lrsweep/shared';
import type { WorkerServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/WorkerService';
import { trialEventsOf, until, type Seen } from '../helpers.js';
import { startNats, startWorker, type Managed } from '../processes.js';

const { proto } = loadLrsweepPackage();
const spec = specToProto(
  parseSpec({
    name: 'worker-test',
    model: { builtin: 'mlp', hidden: [16] },
    dataset: { builtin: 'spirals', pointsPerClass: 200 },
    optimizer: { name: 'adam' },
    batchSize: 32,
    search: { reportEvery: 5 },
  }),
);

describe('WorkerService (a real worker process, a real NATS server)', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let worker: Managed;
  let client: WorkerServiceClient;
  let nc: NatsConnection;
  const seen: Seen[] = [];

  const events = (trialId: string) => trialEventsOf(seen, 'sw1', trialId);

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    const sub = nc.subscribe('lrsweep.>');
    void (async () => {
      for await (const m of sub) seen.push({ subject: m.subject, data: m.data });
    })();
    worker = await startWorker(nats.url, 'wt-1');
    const address = worker.output().match(/serving on (\d+\.\d+\.\d+\.\d+:\d+)/)![1]!;
    client = new proto.lrsweep.v1.WorkerService(address, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await worker?.stop();
    await nc?.drain();
    await nats?.server.stop();
  });

  it('describes itself and heartbeats on NATS', async () => {
    const info = await unary(client, 'describeWorker', {});
    expect(info).toMatchObject({ workerId: 'wt-1', slots: 1, backend: 'wasm', trials: [] });
    const beat = await until(() => seen.find((m) => m.subject === 'lrsweep.worker.wt-1'));
    const decoded = decodeMessage(WorkerHeartbeat, beat.data);
    expect(decoded.ok && decoded.value).toMatchObject({ workerId: 'wt-1', address: info.address, slots: 1, alive: true });
  });

  it('refuses a malformed request with every bad field named', async () => {
    const error = (await unary(client, 'runTrial', { sweepId: 'bad id!', trialId: '', kind: 'TRIAL_KIND_SEARCH', learningRate: -1, untilStep: 0, spec }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(error).map((v) => v.field).sort()).toEqual(['learning_rate', 'sweep_id', 'trial_id', 'until_step']);
    const badSpec = (await unary(client, 'runTrial', { sweepId: 'sw1', trialId: 't1', kind: 'TRIAL_KIND_SEARCH', learningRate: 0.01, untilStep: 10, spec: { ...spec, batchSize: 0 } }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(fieldViolationsOf(badSpec).map((v) => v.field)).toContain('spec.batch_size');
  });

  it('runs a trial to its budget, publishing loss reports and the rung event; resumes it from there', async () => {
    const first = await unary(client, 'runTrial', { sweepId: 'sw1', trialId: 't1', kind: 'TRIAL_KIND_SEARCH', learningRate: 0.01, untilStep: 20, seed: 3, spec });
    expect(first).toEqual({ resumed: false, step: 0 });
    const budget = await until(() => events('t1').find((e) => e.type === 'budget-reached'));
    expect(budget).toMatchObject({ step: 20, workerId: 'wt-1' });
    // It carries the executor's timing of the attempt (for slot-utilisation figures).
    const timing = budget && 'timing' in budget ? budget.timing : undefined;
    expect(timing && timing.busyMs >= timing.setupMs && timing.startedAtMs > 0).toBe(true);
    const reports = seen.filter((m) => m.subject === 'lrsweep.loss.sw1.t1').map((m) => decodeMessage(LossReport, m.data));
    expect(reports.map((r) => r.ok && r.value.step)).toEqual([5, 10, 15, 20]);
    expect((await unary(client, 'describeWorker', {})).trials).toEqual([expect.objectContaining({ trialId: 't1', paused: true, step: 20 })]);
    const resumed = await unary(client, 'runTrial', { sweepId: 'sw1', trialId: 't1', kind: 'TRIAL_KIND_SEARCH', learningRate: 0.01, untilStep: 30, seed: 3, spec, fromCheckpoint: true, fromStep: 20 });
    expect(resumed).toEqual({ resumed: true, step: 20 });
    await until(() => events('t1').find((e) => e.type === 'budget-reached' && e.step === 30));
  });

  it('is busy with one trial per slot, and stops a trial when told', async () => {
    await unary(client, 'runTrial', { sweepId: 'sw1', trialId: 'long', kind: 'TRIAL_KIND_SEARCH', learningRate: 0.01, untilStep: 1_000_000, seed: 3, spec });
    const busy = (await unary(client, 'runTrial', { sweepId: 'sw1', trialId: 'other', kind: 'TRIAL_KIND_SEARCH', learningRate: 0.01, untilStep: 10, seed: 3, spec }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(busy.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await unary(client, 'stopTrial', { sweepId: 'sw1', trialId: 'long' })).toEqual({ found: true });
    const stopped = await until(() => events('long').find((e) => e.type === 'stopped'));
    expect(stopped).toMatchObject({ outcome: 'stopped' });
    expect(await unary(client, 'stopTrial', { sweepId: 'sw1', trialId: 'nope' })).toEqual({ found: false });
  });

  it("fences coordinators: once it has seen a lease epoch, it refuses calls from a lower one (a replaced coordinator)", async () => {
    const call = (trialId: string, coordinatorEpoch: number) =>
      unary(client, 'runTrial', { sweepId: 'sw1', trialId, kind: 'TRIAL_KIND_SEARCH', learningRate: 0.01, untilStep: 10, seed: 3, spec, coordinatorEpoch }).catch((e: unknown) => e as grpc.ServiceError);
    // Epoch 0 (a coordinator without a lease) is not fenced, before or after.
    expect(await call('f0', 0)).toEqual({ resumed: false, step: 0 });
    await until(() => events('f0').find((e) => e.type === 'budget-reached'));
    expect(await call('f1', 7)).toEqual({ resumed: false, step: 0 });
    await until(() => events('f1').find((e) => e.type === 'budget-reached'));
    const refused = (await call('f2', 6)) as grpc.ServiceError;
    expect(refused.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.details).toMatch(/coordinator epoch 6 was replaced \(this worker has seen epoch 7\)/);
    expect(fencedEpochOf(refused)).toBe(7);
    expect(events('f2')).toEqual([]);
    const stop = (await unary(client, 'stopTrial', { sweepId: 'sw1', trialId: 'f1', coordinatorEpoch: 6 }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(fencedEpochOf(stop)).toBe(7);
    // A paused trial a replaced coordinator tried to release is still there for the current one.
    expect((await unary(client, 'describeWorker', {})).trials).toEqual(expect.arrayContaining([expect.objectContaining({ trialId: 'f1', paused: true })]));
    // The current epoch, a later one, and no epoch at all go through; the higher one fences 7 now.
    expect(await unary(client, 'stopTrial', { sweepId: 'sw1', trialId: 'f1', coordinatorEpoch: 7 })).toEqual({ found: true });
    expect(await call('f3', 9)).toEqual({ resumed: false, step: 0 });
    await until(() => events('f3').find((e) => e.type === 'budget-reached'));
    expect(fencedEpochOf((await call('f4', 7)) as grpc.ServiceError)).toBe(9);
    expect(await call('f5', 0)).toEqual({ resumed: false, step: 0 });
    await until(() => events('f5').find((e) => e.type === 'budget-reached'));
    // Other refusals carry no epoch: the coordinator must not take them for a fence.
    const busy = (await unary(client, 'runTrial', { sweepId: 'bad id!', trialId: 'x', kind: 'TRIAL_KIND_SEARCH', learningRate: 0.01, untilStep: 10, spec, coordinatorEpoch: 9 }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(busy.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fencedEpochOf(busy)).toBeUndefined();
  });

  it('drains on SIGTERM: a last heartbeat says it is leaving, then it exits', async () => {
    const before = seen.length;
    const started = Date.now();
    await worker.stop('SIGTERM');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(worker.child.exitCode).toBe(0);
    const last = seen.slice(before).filter((m) => m.subject === 'lrsweep.worker.wt-1').at(-1);
    const decoded = last && decodeMessage(WorkerHeartbeat, last.data);
    expect(decoded?.ok && decoded.value.alive).toBe(false);
  });
});
