import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'nats';
import { encodeMessage, EVENT_STREAM, LEASE_BUCKET, loadLrsweepPackage, parseSpec, specToProto, subjects, unary, type SweepSpec } from '@lrsweep/shared';
import type { SweepServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import type { Sweep__Output } from '@lrsweep/shared/gen/lrsweep/v1/Sweep';
import { CLI, runCli } from '../helpers.js';
import { freePort, manage, NATS_SERVER, startWorker, type Managed } from '../processes.js';

/**
 * Fault injection with real processes: a worker killed or cut off mid-trial, the coordinator killed
 * mid-sweep, NATS restarted mid-sweep. Each time the sweep must complete, and its result must match
 * the same sweep run without the fault (every trial's validation loss, bit for bit: trials resume
 * from checkpoints on the same curve).
 */

const { proto } = loadLrsweepPackage();
const HEARTBEAT_TIMEOUT_S = 2;
const CHECKPOINT_EVERY = 200;

/** A grid sweep (no pruning): its result does not depend on timing, only on the training. */
const gridSpec: SweepSpec = parseSpec({
  name: 'faults-grid',
  seed: 11,
  model: { builtin: 'mlp', hidden: [48, 48] },
  dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 400, sampleFraction: 0.6 },
  optimizer: { name: 'momentum', momentum: 0.9 },
  batchSize: 32,
  grid: { min: 3e-3, max: 0.3, points: 4 },
  search: { strategy: 'grid', minSteps: 10, maxSteps: 1800, reductionFactor: 3, reportEvery: 10 },
  final: { epochs: 1, schedule: 'constant' },
});

interface Cluster {
  natsUrl: string;
  natsPort: number;
  natsDir: string;
  nats: Managed;
  coordinatorPort: number;
  coordinator: Managed;
  workers: Managed[];
  client: SweepServiceClient;
}

const clusters: Cluster[] = [];

async function startNatsAt(port: number, dir: string): Promise<Managed> {
  const server = manage(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]);
  await server.waitFor(/Server is ready/);
  return server;
}

async function startCoordinatorAt(natsUrl: string, port: number): Promise<Managed> {
  const coordinator = manage(process.execPath, [CLI, 'coordinator', '--listen', `127.0.0.1:${port}`, '--nats', natsUrl, '--heartbeat-timeout', String(HEARTBEAT_TIMEOUT_S), '--checkpoint-every', String(CHECKPOINT_EVERY)]);
  await coordinator.waitFor(/coordinator listening on/);
  return coordinator;
}

async function cluster(workers: number): Promise<Cluster> {
  const natsPort = await freePort();
  const natsDir = mkdtempSync(join(tmpdir(), 'lrsweep-faults-nats-'));
  const nats = await startNatsAt(natsPort, natsDir);
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  const coordinatorPort = await freePort();
  const coordinator = await startCoordinatorAt(natsUrl, coordinatorPort);
  const started: Managed[] = [];
  // Four beats per timeout: one beat delayed by a loaded machine must not lose a worker.
  for (let i = 0; i < workers; i++) started.push(await startWorker(natsUrl, `fw-${clusters.length}-${i}`, ['--heartbeat-interval', String(HEARTBEAT_TIMEOUT_S / 4)]));
  const client = new proto.lrsweep.v1.SweepService(`127.0.0.1:${coordinatorPort}`, grpc.credentials.createInsecure());
  const c = { natsUrl, natsPort, natsDir, nats, coordinatorPort, coordinator, workers: started, client };
  clusters.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clusters.splice(0)) {
    c.client.close();
    await Promise.all(c.workers.map((w) => w.stop('SIGKILL')));
    await c.coordinator.stop('SIGKILL');
    await c.nats.stop();
  }
});

/** Polls GetSweep (it survives coordinator restarts, unlike a stream) until the sweep ends. */
async function waitForEnd(c: Cluster, sweepId: string, timeoutMs = 150_000): Promise<Sweep__Output> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { sweep } = await unary(c.client, 'getSweep', { sweepId }, { deadlineMs: 2000 });
      if (sweep && ['SWEEP_STATE_COMPLETED', 'SWEEP_STATE_FAILED', 'SWEEP_STATE_CANCELLED'].includes(sweep.state)) return sweep;
    } catch {
      // the coordinator is restarting
    }
    if (Date.now() > deadline) throw new Error(`sweep ${sweepId} did not end in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitForProgress(c: Cluster, sweepId: string, minSteps: number): Promise<Sweep__Output> {
  for (;;) {
    const { sweep } = await unary(c.client, 'getSweep', { sweepId });
    const spent = Number(sweep!.budget?.stepsSpent ?? 0);
    if (spent >= minSteps) return sweep!;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What must not change under a fault: each rate's state, steps and validation result. */
function outcome(sweep: Sweep__Output) {
  return [...sweep.trials]
    .sort((a, b) => a.learningRate - b.learningRate)
    .map((t) => ({ lr: t.learningRate, state: t.state, steps: t.steps, valLoss: t.valLoss, valAccuracy: t.valAccuracy }));
}

let reference: Sweep__Output | undefined;
async function referenceRun(): Promise<Sweep__Output> {
  if (reference) return reference;
  const c = await cluster(2);
  const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
  reference = await waitForEnd(c, sweepId);
  expect(reference.state, reference.error).toBe('SWEEP_STATE_COMPLETED');
  return reference;
}

describe('fault injection (real processes)', () => {
  it('a worker killed mid-trial: noticed within the heartbeat timeout, its trial resumes from its checkpoint elsewhere, same result', async () => {
    const expected = await referenceRun();
    const c = await cluster(2);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    await waitForProgress(c, sweepId, 1500);
    const killedAt = Date.now();
    c.workers[0]!.child.kill('SIGKILL');
    const lost = await c.coordinator.waitFor(/worker (fw-\S+) lost: no heartbeat/, 30_000);
    const detectSeconds = (Date.now() - killedAt) / 1000;
    expect(lost[1]).toBe(c.workers[0]!.output().match(/worker (fw-[\d-]+) serving/)![1]);
    expect(detectSeconds).toBeLessThan(HEARTBEAT_TIMEOUT_S + 3);
    const done = await waitForEnd(c, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(outcome(done)).toEqual(outcome(expected));
    // The killed worker's trials resume from their checkpoints. (Under a loaded machine the 2 s
    // heartbeat timeout may also lose the other worker for a moment: its trials restart as they can.)
    const requeued = done.decisions.filter((d) => /requeued/.test(d.summary));
    const ofKilled = requeued.filter((d) => d.summary.includes(`(worker ${lost[1]} left)`));
    expect(ofKilled.length).toBeGreaterThan(0);
    for (const d of ofKilled) expect(d.summary).toMatch(/resumes from its checkpoint at step \d+|stays paused/);
    if (ofKilled.length < requeued.length) process.stdout.write(`worker kill: other requeues too; the coordinator said:\n${c.coordinator.output().split('\n').filter((l) => /lost|left|requeue/.test(l)).join('\n')}\n`);
    // Steps lost to the failure: at most the steps since each requeued trial's last checkpoint.
    // The reference ran every step exactly once.
    expect(Number(expected.budget!.stepsSpent)).toBe(gridSpec.grid.points * gridSpec.search.maxSteps);
    const redone = Number(done.budget!.stepsSpent) - Number(expected.budget!.stepsSpent);
    expect(redone).toBeGreaterThanOrEqual(0);
    expect(redone).toBeLessThanOrEqual(requeued.length * CHECKPOINT_EVERY);
    process.stdout.write(`worker kill: detected in ${detectSeconds.toFixed(2)} s, ${redone} steps redone (checkpoint every ${CHECKPOINT_EVERY})\n`);
  });

  it('SIGTERM drains a worker: it checkpoints its current step, exits within the grace period, and no step is lost', async () => {
    const expected = await referenceRun();
    const c = await cluster(2);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    await waitForProgress(c, sweepId, 1500);
    const started = Date.now();
    await c.workers[0]!.stop('SIGTERM');
    expect(Date.now() - started).toBeLessThan(5000 + 1000);
    expect(c.workers[0]!.child.exitCode).toBe(0);
    // Its last heartbeat says it leaves; or, when it was between trials, the next RunTrial finds it DRAINING.
    await c.coordinator.waitFor(/lost: (it is shutting down|RunTrial failed: worker \S+ is DRAINING)/, 10_000);
    const done = await waitForEnd(c, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(outcome(done)).toEqual(outcome(expected));
    // The drained trial resumed exactly where it stopped: every step was trained once.
    expect(Number(done.budget!.stepsSpent)).toBe(Number(expected.budget!.stepsSpent));
  });

  it('a worker cut off (SIGSTOP): its trials move on; when it wakes up, its stale reports are ignored', async () => {
    const expected = await referenceRun();
    const c = await cluster(2);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    await waitForProgress(c, sweepId, 1500);
    c.workers[1]!.child.kill('SIGSTOP');
    await c.coordinator.waitFor(/lost: no heartbeat/, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    c.workers[1]!.child.kill('SIGCONT');
    // On waking, the worker says its beat is late (the lost worker's side of the story).
    await c.workers[1]!.waitFor(/heartbeat \d+\.\d s after the last one \(every 0\.5 s\): this process was held up/, 10_000);
    const done = await waitForEnd(c, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(outcome(done)).toEqual(outcome(expected));
  });

  it('the coordinator killed mid-sweep and started again: picks the sweep up, same result, nothing lost', async () => {
    const expected = await referenceRun();
    const c = await cluster(2);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    await waitForProgress(c, sweepId, 1500);
    // A user watching with the CLI: the watch must survive the restart.
    const watcher = manage(process.execPath, [CLI, 'watch', sweepId, '--json', '--coordinator', `127.0.0.1:${c.coordinatorPort}`]);
    await watcher.waitFor(/watching/);
    await c.coordinator.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500)); // the workers train on; their reports wait in JetStream
    c.coordinator = await startCoordinatorAt(c.natsUrl, c.coordinatorPort);
    // It remembers the sweep at once, from the journal: `lrsweep list` and `lrsweep get` show it.
    const { sweeps } = await unary(c.client, 'listSweeps', {});
    expect(sweeps.map((s) => s.sweepId)).toContain(sweepId);
    const listed = await runCli(['list', '--coordinator', `127.0.0.1:${c.coordinatorPort}`]);
    expect(listed.stdout).toContain(sweepId);
    const got = await runCli(['get', sweepId, '--json', '--coordinator', `127.0.0.1:${c.coordinatorPort}`]);
    const before = JSON.parse(got.stdout) as { trials: unknown[]; decisions: unknown[] };
    expect(before.trials).toHaveLength(gridSpec.grid.points);
    expect(before.decisions.length).toBeGreaterThan(0);
    const done = await waitForEnd(c, sweepId).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; the restarted coordinator said:\n${c.coordinator.output().slice(-3000)}`);
    });
    await new Promise<void>((resolve) => (watcher.child.exitCode !== null ? resolve() : watcher.child.once('exit', () => resolve())));
    expect(watcher.child.exitCode, watcher.output().slice(-500)).toBe(0);
    expect(watcher.output()).toMatch(/reconnecting/);
    expect(watcher.output()).toMatch(/"state": "COMPLETED"/);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(outcome(done)).toEqual(outcome(expected));
    // No trial ran twice to completion.
    const completions = done.decisions.filter((d) => d.kind === 'DECISION_KIND_COMPLETED').map((d) => d.trialId);
    expect(new Set(completions).size).toBe(completions.length);
  });

  it('one coordinator per journal: a second waits as a standby and takes over when the first is killed; run --nats refuses', async () => {
    const expected = await referenceRun();
    const c = await cluster(2);
    const standbyPort = await freePort();
    const standby = manage(process.execPath, [CLI, 'coordinator', '--listen', `127.0.0.1:${standbyPort}`, '--nats', c.natsUrl, '--heartbeat-timeout', String(HEARTBEAT_TIMEOUT_S), '--checkpoint-every', String(CHECKPOINT_EVERY)]);
    try {
      await standby.waitFor(/standby: coordinator \S+ \(\S+, pid \d+, since [^)]+\) holds this journal/);
      // `run` on the same NATS: it would share the workers; it says so and starts none.
      const refused = await runCli(['run', 'examples/spirals.yaml', '--nats', c.natsUrl, '--workers', '1']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/another coordinator holds this NATS server's journal .*: submit the sweep to it/);
      const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
      await waitForProgress(c, sweepId, 1500);
      expect(standby.output()).not.toMatch(/coordinator listening/);
      await c.coordinator.stop('SIGKILL');
      // The holder's process is gone: the standby takes over at its next look, then replays the journal.
      await standby.waitFor(/coordinator listening on/);
      c.client.close();
      c.client = new proto.lrsweep.v1.SweepService(`127.0.0.1:${standbyPort}`, grpc.credentials.createInsecure());
      c.coordinator = standby;
      const done = await waitForEnd(c, sweepId);
      expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
      expect(outcome(done)).toEqual(outcome(expected));
    } finally {
      if (c.coordinator !== standby) await standby.stop('SIGKILL');
    }
  });

  it('the coordinator paused (SIGSTOP) past the heartbeat timeout: on waking it loses no worker, and the sweep completes with the same result', async () => {
    const expected = await referenceRun();
    const c = await cluster(2);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    await waitForProgress(c, sweepId, 1500);
    c.coordinator.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, HEARTBEAT_TIMEOUT_S * 2000));
    c.coordinator.child.kill('SIGCONT');
    const done = await waitForEnd(c, sweepId, 60_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; the coordinator said:\n${c.coordinator.output().slice(-3000)}`);
    });
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(outcome(done)).toEqual(outcome(expected));
    // Its own pause is not the workers' silence: their heartbeats were waiting in its socket.
    expect(c.coordinator.output()).not.toMatch(/lost: no heartbeat/);
  });

  it('the search ends while the coordinator is down: the restarted one places the final during its replay, finds it not running, and runs it', async () => {
    const c = await cluster(1);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    // One worker, one rate after another: stop the coordinator while the last rate trains.
    const lastStarts = (gridSpec.grid.points - 1) * gridSpec.search.maxSteps;
    await waitForProgress(c, sweepId, lastStarts + 100);
    c.coordinator.child.kill('SIGSTOP');
    // The last rate reaches its budget meanwhile: its event waits in JetStream, and no RunTrial follows it.
    await new Promise((r) => setTimeout(r, 4000));
    await c.coordinator.stop('SIGKILL');
    c.coordinator = await startCoordinatorAt(c.natsUrl, c.coordinatorPort);
    const done = await waitForEnd(c, sweepId, 60_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; the coordinator said:\n${c.coordinator.output().slice(-3000)}`);
    });
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(done.final?.valAccuracy).toBeGreaterThan(0);
  });

  it('a replaced coordinator is fenced off by the workers: its next call is refused, and it stops (exit 3)', async () => {
    const c = await cluster(1);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    await waitForProgress(c, sweepId, 100);
    // What a coordinator that took over does first: call the worker, with its (higher) lease epoch.
    const address = c.workers[0]!.output().match(/serving on (\d+\.\d+\.\d+\.\d+:\d+)/)![1]!;
    const worker = new proto.lrsweep.v1.WorkerService(address, grpc.credentials.createInsecure());
    expect(await unary(worker, 'stopTrial', { sweepId: 'none', trialId: 'none', coordinatorEpoch: 1e12 })).toEqual({ found: false });
    worker.close();
    // The old one's next call (the next rate's RunTrial) is refused: it stops at once, before its lease renewal would tell it.
    const exited = new Promise<number | null>((resolve) => c.coordinator.child.once('exit', (code) => resolve(code)));
    expect(await exited).toBe(3);
    expect(c.coordinator.output()).toMatch(/a worker has seen coordinator epoch 1000000000000, above this one's \(\d+\)/);
    expect(c.workers[0]!.output()).toMatch(/refused a call from coordinator epoch \d+: epoch 1000000000000 has taken over/);
  });

  it("the journal is fenced too: after a 'leader' entry, a lower epoch's entries change nothing; a higher epoch's leader stops the live one", async () => {
    const c = await cluster(1);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    await waitForProgress(c, sweepId, 100);
    const nc = await connect({ servers: c.natsUrl });
    try {
      // The live coordinator announced its epoch when it went live.
      const announced = await (await nc.jetstreamManager()).streams.getMessage(EVENT_STREAM, { last_by_subj: subjects.ctl('_', 'leader') });
      const leader = JSON.parse(new TextDecoder().decode(announced.data)) as { epoch: number; holder: string };
      expect(leader.epoch).toBeGreaterThan(0);
      const js = nc.jetstream();
      // A cancel from a replaced coordinator (a lower epoch): ignored, the sweep goes on.
      await js.publish(subjects.ctl(sweepId, 'cancel'), encodeMessage({ sweepId, epoch: leader.epoch - 1 }));
      await c.coordinator.waitFor(new RegExp(`ignoring journal entries of coordinator epoch ${leader.epoch - 1}: epoch ${leader.epoch} has taken over \\(first: cancel\\)`), 10_000);
      const after = await waitForProgress(c, sweepId, 400);
      expect(after.state).toBe('SWEEP_STATE_SEARCHING');
      // Its lease key lapses and nobody takes it (deleted here, as an expiry while it was cut off
      // would leave it): it takes the key again at a new epoch and announces that one too, so a
      // coordinator that held the key in between is fenced off in the journal as well.
      await (await nc.jetstream().views.kv(LEASE_BUCKET)).delete('leader');
      const retaken = Number((await c.coordinator.waitFor(/took the coordinator lease again after it lapsed, at epoch (\d+)/, 15_000))[1]);
      expect(retaken).toBeGreaterThan(leader.epoch);
      let reannounced = leader;
      for (let i = 0; i < 50 && reannounced.epoch !== retaken; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const last = await (await nc.jetstreamManager()).streams.getMessage(EVENT_STREAM, { last_by_subj: subjects.ctl('_', 'leader') });
        reannounced = JSON.parse(new TextDecoder().decode(last.data)) as typeof leader;
      }
      expect(reannounced).toMatchObject({ epoch: retaken, holder: leader.holder });
      // Now the epoch it held before is a replaced one's: its cancel changes nothing either.
      const spent = Number((await waitForProgress(c, sweepId, 0)).budget?.stepsSpent ?? 0);
      await js.publish(subjects.ctl(sweepId, 'cancel'), encodeMessage({ sweepId, epoch: leader.epoch }));
      const later = await waitForProgress(c, sweepId, spent + 300);
      expect(later.state).toBe('SWEEP_STATE_SEARCHING');
      // A coordinator that took over at a higher epoch: the live one stops (exit 3).
      const exited = new Promise<number | null>((resolve) => c.coordinator.child.once('exit', (code) => resolve(code)));
      await js.publish(subjects.ctl('_', 'leader'), encodeMessage({ epoch: retaken + 1, holder: 'the-next-one'}));
      expect(await exited).toBe(3);
      expect(c.coordinator.output()).toMatch(new RegExp(`coordinator the-next-one went live at epoch ${retaken + 1}, above this one's \\(${retaken}\\)`));
    } finally {
      await nc.close();
    }
  });

  it('NATS gone for good: SIGTERM still stops the coordinator and a training worker within their grace period', async () => {
    const c = await cluster(2);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    await waitForProgress(c, sweepId, 300);
    await c.nats.stop('SIGKILL');
    await c.coordinator.waitFor(/lost NATS/, 10_000);
    // Both are mid-sweep: the workers train (their reports are buffered for a reconnect that never comes).
    const started = Date.now();
    const stopping = [c.coordinator, c.workers[0]!].map(async (p) => {
      await p.stop('SIGTERM');
      return Date.now() - started;
    });
    const [coordinatorMs, workerMs] = await Promise.all(stopping);
    // Grace 5 s each (the coordinator's NATS steps get what is left of it, at least 1 s). Before, both
    // waited for NATS forever: a drain or a flush with the server gone never settles.
    expect(coordinatorMs).toBeLessThan(5000 + 3000);
    expect(workerMs).toBeLessThan(5000 + 3000);
    expect(c.coordinator.child.exitCode, c.coordinator.output().slice(-1500)).toBe(0);
    expect(c.workers[0]!.child.exitCode, c.workers[0]!.output().slice(-1500)).toBe(0);
  });

  it('NATS restarted mid-sweep: workers and coordinator reconnect, the sweep completes with the same result', async () => {
    const expected = await referenceRun();
    const c = await cluster(2);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(gridSpec) });
    await waitForProgress(c, sweepId, 1500);
    await c.nats.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    c.nats = await startNatsAt(c.natsPort, c.natsDir);
    const done = await waitForEnd(c, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    expect(outcome(done)).toEqual(outcome(expected));
  });
});

describe('decisions survive a coordinator restart exactly', () => {
  it('ASHA on one worker: the restarted coordinator makes the decisions an uninterrupted one makes', async () => {
    const asha = parseSpec({ ...gridSpec, name: 'faults-asha', grid: { min: 1e-3, max: 3, points: 9 }, search: { strategy: 'asha', minSteps: 100, maxSteps: 900, reductionFactor: 3, reportEvery: 10 } });
    const clean = await cluster(1);
    const a = await unary(clean.client, 'submitSweep', { spec: specToProto(asha) });
    const expected = await waitForEnd(clean, a.sweepId);
    expect(expected.state, expected.error).toBe('SWEEP_STATE_COMPLETED');

    const c = await cluster(1);
    const { sweepId } = await unary(c.client, 'submitSweep', { spec: specToProto(asha) });
    await waitForProgress(c, sweepId, 1200);
    await c.coordinator.stop('SIGKILL');
    c.coordinator = await startCoordinatorAt(c.natsUrl, c.coordinatorPort);
    const done = await waitForEnd(c, sweepId);
    expect(done.state, done.error).toBe('SWEEP_STATE_COMPLETED');
    const decisions = (s: Sweep__Output) => s.decisions.filter((d) => d.kind !== 'DECISION_KIND_STARTED').map((d) => `${d.kind} ${d.trialId} ${d.summary.replace(/ on \S+/, '')}`);
    expect(decisions(done)).toEqual(decisions(expected));
    expect(outcome(done)).toEqual(outcome(expected));
  });
});
