/**
 * Simulated workers for `bench coordinator-scale`: a child process (forked by coordinator-scale.ts)
 * that plays many workers at once against a real coordinator. Each simulated worker has its own
 * worker id, its own gRPC address and its own outbox; they share one gRPC server (bound once per
 * worker, on as many loopback ports: RunTrialRequest carries no worker id, so the port a call
 * arrives on, which grpc-js gives as the call's :authority, says which worker it is for) and one
 * NATS connection per process.
 *
 * The trainer is fake: a running trial produces the next point of a synthetic loss curve as soon
 * as the pacing allows (decaying curves, some diverging to NaN or blowing up, some stagnating),
 * publishes it through the real Outbox (JetStream, msgID dedupe) exactly as a worker does, reaches
 * its budget and pauses, resumes when promoted, stops when asked. Heartbeats go out on core NATS
 * like a real worker's. Never the product: a load generator.
 */
import {
  connectNats,
  createServer,
  encodeMessage,
  jetStreamOf,
  Outbox,
  subjects,
  WORKER_SERVICE_NAME,
  loadLrsweepPackage,
  type LossReport,
  type TrialEvent,
  type WorkerHeartbeat,
} from '@lrsweep/shared';
import type { WorkerServiceHandlers } from '@lrsweep/shared/gen/lrsweep/v1/WorkerService';

export interface FakeWorkersConfig {
  natsUrl: string;
  workerIds: string[];
  slots: number;
  heartbeatMs: number;
  /** Loss reports per second from this process; 0: as fast as the outboxes take them. */
  rate: number;
  /** Reports waiting in this process's outboxes (unsent or unacknowledged) above which production pauses. */
  maxPending: number;
  /**
   * 'outbox': each simulated worker publishes through its own Outbox, as a worker does (JetStream
   * publish, acknowledged, msgID). 'core': plain core-NATS publishes on the stream's subjects
   * (JetStream stores them all the same, without acknowledging): a cheaper load generator, so
   * that on a small machine the coordinator, not the workers, is what is measured.
   */
  publish: 'outbox' | 'core';
}

export interface FakeWorkersStats {
  /** Loss reports handed to the outboxes (cumulative). */
  produced: number;
  /** Messages the outboxes got acknowledged by JetStream, and their retries (cumulative). */
  sent: number;
  retries: number;
  pending: number;
  /**
   * Paced reports never produced (cumulative): no running trial to come from (idle slots), or the
   * generator more than 5 ms behind its pace (it never bursts to catch up: bursts of its own
   * making would show as the coordinator's latency).
   */
  idle: number;
  /** Times production paused on a full outbox (cumulative ticks). */
  blocked: number;
  runTrials: number;
  starts: number;
  resumes: number;
  finals: number;
  stops: number;
  releases: number;
  nan: number;
  running: number;
  /** Since the last collection: NaN report published → StopTrial received (ms). */
  pruneLatenciesMs: number[];
  /** Since the last collection: a slot freed (budget reached, stopped) → the next RunTrial on that worker (ms). */
  dispatchLatenciesMs: number[];
  /**
   * The same split at the coordinator's 'jobs' journal entry for the worker (seen on NATS): freed →
   * job, job → RunTrial (ms). Only for slots offered that way: a slot freed by its trial's end
   * event is refilled in the fold at that event, with no entry.
   */
  freedToJobMs: number[];
  jobToRunMs: number[];
  cpuSeconds: number;
}

export type ToFakeWorkers = { type: 'start'; config: FakeWorkersConfig } | { type: 'collect' } | { type: 'pause' } | { type: 'resume' } | { type: 'stop' };
export type FromFakeWorkers = { type: 'ready'; addresses: Record<string, string> } | { type: 'stats'; stats: FakeWorkersStats } | { type: 'stopped' } | { type: 'error'; message: string };

type Shape = { kind: 'decay'; floor: number; tau: number } | { kind: 'stagnate' } | { kind: 'nan'; at: number } | { kind: 'blowup'; tau: number };

interface SimTrial {
  key: string;
  sweepId: string;
  trialId: string;
  attempt: number;
  kind: 'search' | 'final';
  learningRate: number;
  step: number;
  until: number;
  reportEvery: number;
  seed: number;
  shape: Shape;
  worker: SimWorker;
  /** When its NaN report went out: it waits for the coordinator's StopTrial. */
  waitingSince?: number;
  /** Position in `active`. */
  slot: number;
  /** Its pace relative to the others (0.5 to 1.5: trials train at different speeds), and its credit towards the next report. */
  speed: number;
  credit: number;
  /** Its loss-report subject, built once (the generator's CPU is the machine's too). */
  lossSubject?: string;
}

interface SimWorker {
  id: string;
  address: string;
  running: Map<string, SimTrial>;
  paused: Set<string>;
  outbox: Outbox;
  /** When a slot last became free (for the dispatch latency), until the next RunTrial. */
  freedAt: number | undefined;
  /** When the coordinator's 'job' entry for this worker went by, since it was freed. */
  jobAt: number | undefined;
}

const now = () => performance.timeOrigin + performance.now();

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic noise in [-1, 1) for a trial at a step. */
function noise(seed: number, step: number): number {
  let x = (seed ^ Math.imul(step, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> 0) / 2 ** 31 - 1;
}

/** The curve a rate gets from where it sits in the grid: too small stagnates, too large diverges, the middle decays. */
function shapeOf(learningRate: number, grid: { min: number; max: number }, seed: number): Shape {
  const u = Math.min(1, Math.max(0, Math.log(learningRate / grid.min) / Math.log(grid.max / grid.min)));
  const h = seed / 2 ** 32;
  if (u > 0.85) return h < 0.5 ? { kind: 'nan', at: 50 + Math.floor(h * 800) } : { kind: 'blowup', tau: 200 + h * 400 };
  if (u < 0.15) return { kind: 'stagnate' };
  const d = Math.abs(u - 0.55) / 0.4;
  return { kind: 'decay', floor: 0.05 + 0.6 * d, tau: 150 + 2500 * d };
}

function lossAt(t: SimTrial, step: number): number {
  const wiggle = 1 + 0.01 * noise(t.seed, step);
  switch (t.shape.kind) {
    case 'decay':
      return (t.shape.floor + (2.3 - t.shape.floor) * Math.exp(-step / t.shape.tau)) * wiggle;
    case 'stagnate':
      return (2.3 - 0.02 * (1 - Math.exp(-step / 100))) * wiggle;
    case 'nan':
      return step >= t.shape.at ? NaN : 2.3 * (1 + step / t.shape.at) * wiggle;
    case 'blowup':
      return 2.3 * Math.exp(step / t.shape.tau) * wiggle;
  }
}

async function main(config: FakeWorkersConfig): Promise<void> {
  const nc = await connectNats({ url: config.natsUrl, name: `bench-fake-workers-${process.pid}` });
  const js = (await jetStreamOf(nc))?.js ?? null;
  const { proto } = loadLrsweepPackage();
  const server = createServer({ services: [WORKER_SERVICE_NAME] });
  const workers: SimWorker[] = [];
  const byPort = new Map<string, SimWorker>();
  const active: SimTrial[] = [];
  const stats: FakeWorkersStats = {
    produced: 0,
    sent: 0,
    retries: 0,
    pending: 0,
    idle: 0,
    blocked: 0,
    runTrials: 0,
    starts: 0,
    resumes: 0,
    finals: 0,
    stops: 0,
    releases: 0,
    nan: 0,
    running: 0,
    pruneLatenciesMs: [],
    dispatchLatenciesMs: [],
    freedToJobMs: [],
    jobToRunMs: [],
    cpuSeconds: 0,
  };

  const encoder = new TextEncoder();
  const publish = (worker: SimWorker, subject: string, message: LossReport | TrialEvent) => {
    // The same bytes as encodeMessage, without its per-value replacer when every number is finite.
    const plain = !('type' in message) && Number.isFinite(message.loss) && Number.isFinite(message.learningRate);
    const data = plain ? encoder.encode(JSON.stringify(message)) : encodeMessage(message);
    if (config.publish === 'core') {
      nc.publish(subject, data);
      coreSent += 1;
    } else {
      // The message id only the outbox (JetStream dedupe) needs.
      const id = 'type' in message ? `${message.sweepId}.${message.trialId}.${message.attempt}.${message.type}.${'step' in message ? message.step : ''}` : `${message.sweepId}.${message.trialId}.${message.attempt}.loss.${message.step}`;
      worker.outbox.push(subject, data, id);
    }
  };
  let coreSent = 0;
  const base = (t: SimTrial) => ({ sweepId: t.sweepId, trialId: t.trialId, workerId: t.worker.id, attempt: t.attempt });

  const finish = (t: SimTrial) => {
    t.worker.running.delete(t.key);
    const last = active.pop()!;
    if (last !== t) {
      active[t.slot] = last;
      last.slot = t.slot;
    }
    t.worker.freedAt = now();
  };

  const produce = (t: SimTrial) => {
    const step = Math.min(t.step + t.reportEvery, t.until);
    t.step = step;
    const loss = lossAt(t, step);
    stats.produced += 1;
    publish(t.worker, (t.lossSubject ??= subjects.loss(t.sweepId, t.trialId)), {
      ...base(t),
      kind: t.kind,
      step,
      learningRate: t.learningRate,
      loss,
      ...(t.kind === 'final' ? { epoch: 0, totalSteps: t.until } : {}),
      sentAtMs: now(),
    });
    if (!Number.isFinite(loss)) {
      stats.nan += 1;
      t.waitingSince = now();
      // A real executor stops itself on a non-finite loss; here the trial waits for the
      // coordinator's StopTrial (which times the decision), and gives up after 3 s.
      setTimeout(() => {
        if (t.worker.running.get(t.key) !== t) return;
        publish(t.worker, subjects.trial(t.sweepId, t.trialId), { type: 'stopped', ...base(t), step, outcome: 'non-finite' });
        finish(t);
      }, 3000).unref();
      return;
    }
    if (step < t.until) return;
    if (t.kind === 'final') {
      const valLoss = loss * 1.05 + 0.02;
      publish(t.worker, subjects.trial(t.sweepId, t.trialId), { type: 'final-done', ...base(t), steps: step, valLoss, valAccuracy: 1 / (1 + valLoss), modelPath: '', backend: 'cpu' });
    } else {
      const valLoss = loss * 1.05 + 0.02 + 0.005 * noise(t.seed, -step);
      publish(t.worker, subjects.trial(t.sweepId, t.trialId), { type: 'budget-reached', ...base(t), step, valLoss, valAccuracy: 1 / (1 + valLoss), checkpointed: false });
      t.worker.paused.add(t.key);
    }
    finish(t);
  };

  const workerOf = (host: string): SimWorker | undefined => byPort.get(host.slice(host.lastIndexOf(':') + 1));

  const handlers: WorkerServiceHandlers = {
    RunTrial: (call, callback) => {
      const worker = workerOf(call.getHost());
      const r = call.request;
      if (!worker) return callback({ code: 5, details: `no simulated worker at ${call.getHost()}` });
      const key = `${r.sweepId}/${r.trialId}`;
      if (worker.running.has(key)) return callback({ code: 6, details: `trial ${key} is already running here` });
      if (worker.running.size >= config.slots) return callback({ code: 8, details: `all ${config.slots} slots of ${worker.id} are busy` });
      if (r.kind !== 'TRIAL_KIND_SEARCH' && r.kind !== 'TRIAL_KIND_FINAL') return callback({ code: 12, details: 'the simulated trainer runs search and final trials only' });
      stats.runTrials += 1;
      if (worker.freedAt !== undefined) {
        const at = now();
        stats.dispatchLatenciesMs.push(at - worker.freedAt);
        if (worker.jobAt !== undefined) {
          stats.freedToJobMs.push(worker.jobAt - worker.freedAt);
          stats.jobToRunMs.push(at - worker.jobAt);
        }
        worker.freedAt = undefined;
        worker.jobAt = undefined;
      }
      const final = r.kind === 'TRIAL_KIND_FINAL';
      const grid = { min: r.spec?.grid?.min ?? 1e-4, max: r.spec?.grid?.max ?? 10 };
      const seed = hash32(`${r.sweepId}/${r.trialId}`);
      const learningRate = final ? r.lrMax : r.learningRate;
      const t: SimTrial = {
        key,
        sweepId: r.sweepId,
        trialId: r.trialId,
        attempt: r.attempt,
        kind: final ? 'final' : 'search',
        learningRate,
        step: !final && r.fromCheckpoint ? r.fromStep : 0,
        until: final ? 100 : r.untilStep,
        reportEvery: Math.max(1, r.spec?.search?.reportEvery ?? 5),
        seed,
        shape: final ? { kind: 'decay', floor: 0.05, tau: 40 } : shapeOf(learningRate, grid, seed),
        worker,
        slot: active.length,
        speed: 0.5 + noise(seed, r.attempt) / 2 + 0.5,
        credit: 0,
      };
      if (final) stats.finals += 1;
      else if (r.fromCheckpoint) stats.resumes += 1;
      else stats.starts += 1;
      worker.paused.delete(key);
      worker.running.set(key, t);
      active.push(t);
      callback(null, { resumed: !final && r.fromCheckpoint, step: t.step });
    },
    StopTrial: (call, callback) => {
      const worker = workerOf(call.getHost());
      const { sweepId, trialId, attempt } = call.request;
      const key = `${sweepId}/${trialId}`;
      const t = worker?.running.get(key);
      if (!worker || (attempt > 0 && t?.attempt !== attempt)) return callback(null, { found: false });
      if (t) {
        stats.stops += 1;
        if (t.waitingSince !== undefined) stats.pruneLatenciesMs.push(now() - t.waitingSince);
        publish(worker, subjects.trial(sweepId, trialId), { type: 'stopped', ...base(t), step: t.step, outcome: 'stopped' });
        finish(t);
      }
      const released = attempt === 0 && worker.paused.delete(key);
      if (released) stats.releases += 1;
      callback(null, { found: t !== undefined || released });
    },
    DescribeWorker: (call, callback) => {
      const worker = workerOf(call.getHost());
      if (!worker) return callback({ code: 5, details: 'no such simulated worker' });
      const trials = [
        ...[...worker.running.values()].map((t) => ({ sweepId: t.sweepId, trialId: t.trialId, step: t.step, paused: false })),
        ...[...worker.paused].map((key) => ({ sweepId: key.split('/')[0]!, trialId: key.split('/')[1]!, step: 0, paused: true })),
      ];
      callback(null, { workerId: worker.id, address: worker.address, slots: config.slots, backend: 'cpu', trials });
    },
  };
  server.server.addService(proto.lrsweep.v1.WorkerService.service, handlers);

  for (const id of config.workerIds) {
    const port = await server.bind('127.0.0.1:0');
    const worker: SimWorker = { id, address: `127.0.0.1:${port}`, running: new Map(), paused: new Set(), outbox: new Outbox(nc, js), freedAt: undefined, jobAt: undefined };
    workers.push(worker);
    byPort.set(String(port), worker);
  }
  // The coordinator offers free slots through its journal ('jobs' entries, 'job' before): watch them go by.
  const byId = new Map(workers.map((w) => [w.id, w]));
  const decoder = new TextDecoder();
  nc.subscribe(subjects.ctl('_', '*'), {
    callback: (error, m) => {
      if (error || !/\.jobs?$/.test(m.subject)) return;
      const entry = JSON.parse(decoder.decode(m.data)) as { workerId?: string; workerIds?: string[] };
      for (const workerId of entry.workerIds ?? [entry.workerId ?? '']) {
        const worker = byId.get(workerId);
        if (worker && worker.freedAt !== undefined && worker.jobAt === undefined) worker.jobAt = now();
      }
    },
  });

  const heartbeat = (worker: SimWorker) => {
    const beat: WorkerHeartbeat = {
      workerId: worker.id,
      address: worker.address,
      slots: config.slots,
      backend: 'cpu',
      running: [...worker.running.values()].map((t) => ({ sweepId: t.sweepId, trialId: t.trialId, attempt: t.attempt })),
      alive: true,
      sentAtMs: Date.now(),
    };
    nc.publish(subjects.worker(worker.id), encodeMessage(beat));
  };
  const timers: NodeJS.Timeout[] = [];
  workers.forEach((worker, i) => {
    heartbeat(worker);
    // Spread over the period, as independent workers would be.
    const offset = (i * config.heartbeatMs) / workers.length;
    timers.push(setTimeout(() => timers.push(setInterval(() => heartbeat(worker), config.heartbeatMs)), offset));
  });

  // Production: paced at `rate` (never more than 5 ms of backlog), or as fast as the outboxes take it.
  let cursor = 0;
  let issued = 0;
  const startedAt = performance.now();
  let stopping = false;
  let paused = false;
  const pendingNow = () => workers.reduce((n, w) => n + w.outbox.pending, 0);
  const tick = () => {
    if (stopping) return;
    if (paused) {
      setTimeout(tick, 5);
      return;
    }
    let pending = pendingNow();
    let due: number;
    if (config.rate > 0) {
      const expected = ((performance.now() - startedAt) / 1000) * config.rate;
      const floor = expected - config.rate * 0.005;
      if (issued < floor) {
        stats.idle += Math.floor(floor - issued);
        issued = floor;
      }
      due = Math.floor(expected - issued);
    } else {
      due = Math.max(0, config.maxPending - pending);
    }
    due = Math.min(due, 4000);
    let scanned = 0;
    while (due > 0 && active.length > 0 && scanned < active.length) {
      if (pending >= config.maxPending) {
        stats.blocked += 1;
        break;
      }
      cursor = (cursor + 1) % active.length;
      const t = active[cursor]!;
      if (t.waitingSince !== undefined) {
        scanned += 1;
        continue;
      }
      // Faster trials report more often: trials started together do not all reach their budget together.
      t.credit += t.speed;
      if (t.credit < 1) {
        scanned += 1;
        continue;
      }
      t.credit -= 1;
      scanned = 0;
      produce(t);
      pending += 1;
      due -= 1;
      issued += 1;
    }
    if (config.rate > 0) setTimeout(tick, 2);
    else setImmediate(tick);
  };
  tick();

  const send = (message: FromFakeWorkers) => process.send?.(message);
  process.on('message', (message: ToFakeWorkers) => {
    if (message.type === 'collect') {
      const cpu = process.cpuUsage();
      stats.sent = coreSent + workers.reduce((n, w) => n + w.outbox.stats.sent, 0);
      stats.retries = workers.reduce((n, w) => n + w.outbox.stats.retries, 0);
      stats.pending = pendingNow();
      stats.running = active.length;
      stats.cpuSeconds = (cpu.user + cpu.system) / 1e6;
      send({ type: 'stats', stats: { ...stats } });
      stats.pruneLatenciesMs = [];
      stats.dispatchLatenciesMs = [];
      stats.freedToJobMs = [];
      stats.jobToRunMs = [];
    } else if (message.type === 'pause') {
      paused = true;
    } else if (message.type === 'resume') {
      // Pacing starts over from now: no burst to make up for the pause.
      issued = ((performance.now() - startedAt) / 1000) * config.rate;
      paused = false;
    } else if (message.type === 'stop') {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      for (const w of workers) w.outbox.close();
      server.server.forceShutdown();
      void nc.close().finally(() => {
        send({ type: 'stopped' });
        process.exit(0);
      });
    }
  });
  send({ type: 'ready', addresses: Object.fromEntries(workers.map((w) => [w.id, w.address])) });
}

process.once('message', (message: ToFakeWorkers) => {
  if (message.type !== 'start') return;
  main(message.config).catch((error: unknown) => {
    process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromFakeWorkers);
    process.exit(1);
  });
});
// Orphaned (the bench died): leave.
process.on('disconnect', () => process.exit(0));
