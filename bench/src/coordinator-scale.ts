/**
 * `bench coordinator-scale`: how many loss reports one coordinator folds per second, and how fast it
 * decides, against the number of workers and trials.
 *
 * Everything is real except the trainer: a fresh nats-server with JetStream on a free port, the
 * coordinator as its own process (the built CLI, so its CPU and memory are its own), and simulated
 * workers in a couple of child processes that serve the real WorkerService over gRPC on loopback
 * and publish synthetic loss curves through the real Outbox (or, with `publish: 'core'`, as plain
 * core-NATS messages that JetStream stores all the same: a cheaper load generator, so that on a
 * small machine the coordinator rather than the generator is what is measured), with heartbeats
 * (coordinator-scale-workers.ts). Sweeps are submitted through the SweepService as the running
 * ones use up their rates, so the workers are never short of work.
 *
 * Measured over a window after a warm-up:
 *  - loss reports/s the coordinator received and folded (its lrsweep_loss_reports_received_total);
 *  - decision latency: from a worker publishing a report to the coordinator having folded it and
 *    decided (lrsweep_report_lag_seconds, quantiles interpolated in its buckets), and end to end,
 *    exactly, for the reports that decide something a worker sees: a NaN report published → the
 *    coordinator's StopTrial arriving at the worker;
 *  - dispatch latency: a slot freed → the next RunTrial on that worker;
 *  - the coordinator's CPU seconds per second and RSS (from /proc), heap and event-loop delay
 *    (its /metrics), and nats-server's CPU;
 *  - then its capacity: stopped (SIGSTOP) for a few seconds while the workers publish, then let
 *    go with the workers quiet, how fast it catches up on the backlog.
 * Baselines from the same run: a small configuration (10 workers), and raw JetStream throughput of
 * the same server (publish with acks, consume with an ordered consumer, no coordinator).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientCredentials, connectNats, jetStreamOf, loadLrsweepPackage, parseSpec, specToProto, unary, type SweepSpec } from '@lrsweep/shared';
import type { FakeWorkersConfig, FakeWorkersStats, FromFakeWorkers, ToFakeWorkers } from './coordinator-scale-workers.js';

const CLI = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
const FAKE_WORKERS = fileURLToPath(new URL('./coordinator-scale-workers.js', import.meta.url));
const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

export interface CoordinatorScaleOptions {
  /** Simulated worker counts to measure, one fresh cluster each. */
  workers: number[];
  /** The small configuration every other is compared with (measured first). Default 10. */
  baselineWorkers?: number;
  /** Seconds measured per configuration, after `warmupSeconds`. */
  seconds: number;
  warmupSeconds?: number;
  /** Offered loss reports per second, all workers together; 0: as fast as they can. Default 20000. */
  rate?: number;
  /** Slots per simulated worker. Default 1. */
  slots?: number;
  /** Processes the simulated workers are spread over. Default 2. */
  processes?: number;
  /** How simulated workers publish: through the worker Outbox (default), or plain core NATS (see FakeWorkersConfig). */
  publish?: 'outbox' | 'core';
  /** Rates per sweep (≤ 256) and the search budget of each. */
  points?: number;
  minSteps?: number;
  reportEvery?: number;
  /** Seconds of the raw JetStream baseline (0: skip). Default 3. */
  rawSeconds?: number;
  /** Seconds the coordinator is stopped (SIGSTOP) for the capacity measurement (0: skip). Default 3. */
  burstSeconds?: number;
  /** Write a V8 CPU profile of each coordinator into this directory. */
  profileDir?: string;
  log?: (line: string) => void;
}

export interface Quantiles {
  p50: number;
  p99: number;
  count: number;
}

export interface ScaleResult {
  workers: number;
  slots: number;
  /** Trials of the sweeps submitted by the end, and trials started within the window. */
  trials: number;
  trialsStarted: number;
  sweeps: number;
  offeredPerSecond: number;
  /** Reports handed to the outboxes, and acknowledged by JetStream, per second. */
  producedPerSecond: number;
  publishedPerSecond: number;
  /** Reports the coordinator received and folded per second. */
  handledPerSecond: number;
  /**
   * Capacity: reports folded per second while catching up on a backlog (the coordinator stopped
   * for a few seconds while the workers publish, then let go with the workers quiet), so neither
   * the load generator nor the CPU it takes limits it; and the backlog it caught up on.
   */
  capacityPerSecond: number;
  capacityBacklog: number;
  /** Reports published but not folded at the end of the window (a growing backlog means it does not keep up). */
  backlog: number;
  /** Of the backlog: messages still in the workers' outboxes (not yet acknowledged by JetStream), at the end. */
  outboxPending: number;
  /** Report published → folded and decided (ms; from the coordinator's histogram). */
  decisionLatencyMs: Quantiles;
  /** Time spent folding one report (ms; from the coordinator's histogram). */
  foldMs: Quantiles;
  /** NaN report published → StopTrial at the worker (ms, exact). */
  pruneLatencyMs: Quantiles;
  /** Slot freed → next RunTrial on that worker (ms, exact), and its two halves: freed → the coordinator's 'job' entry, job entry → RunTrial. */
  dispatchLatencyMs: Quantiles;
  freedToJobMs: Quantiles;
  jobToRunMs: Quantiles;
  decisionsPerSecond: number;
  coordinatorCpu: number;
  coordinatorRssMb: number;
  natsCpu: number;
  workersCpu: number;
  /** Offered reports never produced, as a share of all: idle slots (no trial to report from), or the generator behind its pace. */
  idleShare: number;
  /** The coordinator's V8 heap in use at the end of the window (MB). */
  coordinatorHeapMb: number;
  /** The coordinator's event-loop delay over the window (ms): p99 and max. */
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  wallSeconds: number;
}

export interface RawNatsResult {
  /** Published with acknowledgements (256 in flight), one process. */
  publishedPerSecond: number;
  /** Read back by an ordered consumer (callback, 4096 per pull, as the coordinator's journal reads). */
  consumedPerSecond: number;
  messages: number;
}

export interface CoordinatorScaleReport {
  rate: number;
  publish: 'outbox' | 'core';
  raw: RawNatsResult | null;
  baseline: ScaleResult;
  results: ScaleResult[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

interface Child {
  child: ChildProcess;
  output: () => string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

function start(command: string, args: string[]): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text = (text + d.toString()).slice(-20_000);
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    child,
    output: () => text,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern} from ${command}:\n${text.slice(-2000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    stop(signal = 'SIGTERM', graceMs = 10_000) {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill(signal);
      });
    },
  };
}

/** CPU seconds (user + system) and RSS of a process, from /proc (Linux). */
function processUsage(pid: number | undefined): { cpuSeconds: number; rssBytes: number } {
  if (pid === undefined) return { cpuSeconds: NaN, rssBytes: NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
    return { cpuSeconds: ticks / 100, rssBytes: rss };
  } catch {
    return { cpuSeconds: NaN, rssBytes: NaN };
  }
}

/** Counters and histograms of a Prometheus text exposition, labels ignored except `le` (series summed). */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.length === 0) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const le = match[2] ? /le="([^"]*)"/.exec(match[2])?.[1] : undefined;
    const key = le === undefined ? match[1]! : `${match[1]!}|${le}`;
    values.set(key, (values.get(key) ?? 0) + Number(match[3]));
  }
  return values;
}

/** Quantiles of a histogram's increase between two scrapes, interpolated linearly inside buckets (as histogram_quantile does). */
function histogramQuantiles(before: Map<string, number>, after: Map<string, number>, name: string): Quantiles {
  const buckets: { le: number; count: number }[] = [];
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}_bucket|`)) continue;
    const le = key.slice(name.length + 8);
    buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value - (before.get(key) ?? 0) });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  const quantile = (q: number) => {
    if (total === 0) return NaN;
    const rank = q * total;
    let lower = 0;
    let below = 0;
    for (const b of buckets) {
      if (b.count >= rank) {
        if (b.le === Infinity) return lower * 1000;
        return (lower + ((b.le - lower) * (rank - below)) / Math.max(1, b.count - below)) * 1000;
      }
      lower = b.le;
      below = b.count;
    }
    return NaN;
  };
  return { p50: quantile(0.5), p99: quantile(0.99), count: total };
}

function exactQuantiles(samples: number[]): Quantiles {
  if (samples.length === 0) return { p50: NaN, p99: NaN, count: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { p50: at(0.5), p99: at(0.99), count: sorted.length };
}

async function scrape(port: number): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return parseMetrics(await response.text());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startNatsServer(): Promise<{ url: string; server: Child; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lrsweep-scale-nats-'));
  const server = start(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]);
  await server.waitFor(/Server is ready/);
  return { url: `nats://127.0.0.1:${port}`, server, dir };
}

/**
 * The ceiling NATS itself puts on this machine: loss-report-sized messages published to a stream
 * with acknowledgements (a window of them in flight) and read back by an ordered consumer, in one
 * process, no coordinator.
 */
async function rawNats(url: string, seconds: number): Promise<RawNatsResult> {
  const nc = await connectNats({ url, name: 'bench-raw' });
  const ctx = (await jetStreamOf(nc))!;
  await ctx.jsm.streams.add({ name: 'RAWBENCH', subjects: ['rawbench.>'] });
  const payload = new TextEncoder().encode(
    JSON.stringify({ sweepId: 's-0123456789abc', trialId: 't042', workerId: 'sim-0-0042', attempt: 1, kind: 'search', step: 1234, learningRate: 0.012345, loss: 0.5432109876, sentAtMs: Date.now() }),
  );
  let published = 0;
  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let n = 0; performance.now() - started < seconds * 1000; ) {
    while (inFlight.size < 256) {
      const p = ctx.js.publish(`rawbench.t${n % 64}`, payload, { msgID: `raw-${n}` }).then(() => {
        published += 1;
        inFlight.delete(p);
      });
      inFlight.add(p);
      n += 1;
    }
    await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const publishSeconds = (performance.now() - started) / 1000;
  let consumed = 0;
  const readFrom = performance.now();
  const consumer = await ctx.js.consumers.get('RAWBENCH');
  const all = published;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const messages = await consumer.consume({
    max_messages: 4096,
    callback: () => {
      consumed += 1;
      if (consumed === all) done();
    },
  });
  await finished;
  const consumeSeconds = (performance.now() - readFrom) / 1000;
  messages.stop();
  await ctx.jsm.streams.delete('RAWBENCH');
  await nc.close();
  return { publishedPerSecond: published / publishSeconds, consumedPerSecond: consumed / consumeSeconds, messages: consumed };
}

function sweepSpec(index: number, options: Required<Pick<CoordinatorScaleOptions, 'points' | 'minSteps' | 'reportEvery'>>): SweepSpec {
  return parseSpec({
    name: `scale-${index}`,
    seed: index + 1,
    model: { builtin: 'mlp', hidden: [16] },
    dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 100 },
    grid: { min: 1e-4, max: 10, points: options.points },
    search: { strategy: 'asha', minSteps: options.minSteps, maxSteps: options.minSteps * 27, reductionFactor: 3, reportEvery: options.reportEvery },
    pruning: { divergenceFactor: 4, stagnation: { windowSteps: options.reportEvery * 40, minRelImprovement: 0.01 } },
    final: { epochs: 1, schedule: 'constant' },
  });
}

interface FakeProcess {
  child: ChildProcess;
  latest: FakeWorkersStats | undefined;
  prune: number[];
  dispatch: number[];
  freedToJob: number[];
  jobToRun: number[];
  onStats: ((s: FakeWorkersStats) => void) | undefined;
}

async function startFakeWorkers(config: FakeWorkersConfig, profileDir?: string): Promise<FakeProcess> {
  const execArgv = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=workers-${config.workerIds.length}w-${config.workerIds[0]}.cpuprofile`] : [];
  const child = fork(FAKE_WORKERS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const fake: FakeProcess = { child, latest: undefined, prune: [], dispatch: [], freedToJob: [], jobToRun: [], onStats: undefined };
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: FromFakeWorkers) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'error') reject(new Error(message.message));
      else if (message.type === 'stats') {
        fake.latest = message.stats;
        fake.prune.push(...message.stats.pruneLatenciesMs);
        fake.dispatch.push(...message.stats.dispatchLatenciesMs);
        fake.freedToJob.push(...message.stats.freedToJobMs);
        fake.jobToRun.push(...message.stats.jobToRunMs);
        fake.onStats?.(message.stats);
      }
    });
    child.once('exit', (code) => reject(new Error(`simulated workers exited with ${code}`)));
    child.send({ type: 'start', config } satisfies ToFakeWorkers);
  });
  return fake;
}

function collect(fakes: FakeProcess[]): Promise<void> {
  return Promise.all(
    fakes.map(
      (f) =>
        new Promise<void>((resolve) => {
          f.onStats = () => {
            f.onStats = undefined;
            resolve();
          };
          f.child.send({ type: 'collect' } satisfies ToFakeWorkers);
        }),
    ),
  ).then(() => undefined);
}

const sum = (fakes: FakeProcess[], field: keyof Omit<FakeWorkersStats, 'pruneLatenciesMs' | 'dispatchLatenciesMs' | 'freedToJobMs' | 'jobToRunMs'>) => fakes.reduce((n, f) => n + (f.latest?.[field] ?? 0), 0);

/**
 * The coordinator's capacity: it is stopped (SIGSTOP) for `burstSeconds` while the workers go on
 * publishing, then the workers pause and, once their outboxes are empty, the coordinator is let go
 * (SIGCONT): the rate its report counter climbs at while it catches up is what it folds with the
 * machine to itself and NATS.
 */
async function measureCapacity(burstSeconds: number, fakes: FakeProcess[], coordinator: Child, metricsPort: number, log: (line: string) => void): Promise<{ perSecond: number; backlog: number }> {
  if (burstSeconds <= 0) return { perSecond: NaN, backlog: 0 };
  const received = async () => (await scrape(metricsPort)).get('lrsweep_loss_reports_received_total') ?? 0;
  const before = await received();
  coordinator.child.kill('SIGSTOP');
  let resumedAt = NaN;
  try {
    await sleep(burstSeconds * 1000);
    for (const f of fakes) f.child.send({ type: 'pause' } satisfies ToFakeWorkers);
    for (let i = 0; i < 100; i++) {
      await collect(fakes);
      if (sum(fakes, 'pending') === 0) break;
      await sleep(50);
    }
  } finally {
    coordinator.child.kill('SIGCONT');
    resumedAt = performance.now();
  }
  // Stopped, it folded nothing: the backlog is what was published since `before`.
  const target = sum(fakes, 'produced');
  let caughtUpAt = NaN;
  let n = before;
  for (let last = -1, still = 0; performance.now() - resumedAt < 60_000; ) {
    n = await received();
    if (n >= target) {
      caughtUpAt = performance.now();
      break;
    }
    still = n === last ? still + 1 : 0;
    if (still > 40) break; // reports lost: give up
    last = n;
    await sleep(25);
  }
  for (const f of fakes) f.child.send({ type: 'resume' } satisfies ToFakeWorkers);
  const backlog = target - before;
  // A lower bound: the catch-up is seen at the first scrape after it (every 25 ms).
  const perSecond = backlog / ((caughtUpAt - resumedAt) / 1000);
  log(`  capacity: caught up on ${backlog} reports in ${(caughtUpAt - resumedAt).toFixed(0)} ms: ${perSecond.toFixed(0)}/s`);
  return { perSecond, backlog };
}

/** One configuration: a fresh NATS, coordinator and `workers` simulated workers. */
async function measure(workers: number, options: CoordinatorScaleOptions): Promise<ScaleResult> {
  const log = options.log ?? (() => undefined);
  const rate = options.rate ?? 20_000;
  const slots = options.slots ?? 1;
  const spec = { points: options.points ?? 256, minSteps: options.minSteps ?? 2000, reportEvery: options.reportEvery ?? 5 };
  const startedAt = performance.now();
  const nats = await startNatsServer();
  const metricsPort = await freePort();
  const nodeFlags = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=coordinator-${workers}w.cpuprofile`] : [];
  const coordinator = start(process.execPath, [...nodeFlags, CLI, 'coordinator', '--listen', '127.0.0.1:0', '--nats', nats.url, '--metrics-port', String(metricsPort)]);
  const fakes: FakeProcess[] = [];
  try {
    const listening = await coordinator.waitFor(/coordinator listening on ([^\s,]+)/);
    const address = listening[1]!;
    const processes = Math.max(1, Math.min(options.processes ?? 2, workers));
    for (let p = 0; p < processes; p++) {
      const ids = Array.from({ length: workers }, (_, i) => i).filter((i) => i % processes === p).map((i) => `sim-${p}-${String(i).padStart(4, '0')}`);
      fakes.push(
        await startFakeWorkers({
          natsUrl: nats.url,
          workerIds: ids,
          slots,
          heartbeatMs: 2000,
          rate: rate > 0 ? (rate * ids.length) / workers : 0,
          maxPending: Math.max(2000, 8 * ids.length * slots),
          publish: options.publish ?? 'outbox',
        }, options.profileDir),
      );
    }
    for (let i = 0; ; i++) {
      const m = await scrape(metricsPort);
      if ((m.get('lrsweep_workers_connected') ?? 0) >= workers) break;
      if (i > 300) throw new Error(`only ${m.get('lrsweep_workers_connected') ?? 0} of ${workers} simulated workers joined`);
      await sleep(100);
    }
    const { proto } = loadLrsweepPackage();
    const client = new proto.lrsweep.v1.SweepService(address, clientCredentials(undefined));
    let sweeps = 0;
    const submit = async () => {
      await unary(client, 'submitSweep', { spec: specToProto(sweepSpec(sweeps, spec)) }, { deadlineMs: 30_000 });
      sweeps += 1;
    };
    // Keep more rates pending than there are slots: a new sweep whenever the pending ones run low.
    const topUp = async () => {
      while (sweeps * spec.points - sum(fakes, 'starts') < 1.5 * workers * slots + spec.points / 2) await submit();
    };
    await topUp();
    log(`${workers} workers: joined after ${((performance.now() - startedAt) / 1000).toFixed(1)} s, ${sweeps} sweep(s) submitted, warming up`);
    const warmupUntil = Date.now() + (options.warmupSeconds ?? 3) * 1000;
    while (Date.now() < warmupUntil) {
      await sleep(250);
      await collect(fakes);
      await topUp();
    }
    // The window.
    await collect(fakes);
    for (const f of fakes) {
      f.prune = [];
      f.dispatch = [];
      f.freedToJob = [];
      f.jobToRun = [];
    }
    const at0 = { metrics: await scrape(metricsPort), coordinator: processUsage(coordinator.child.pid), nats: processUsage(nats.server.child.pid), t: performance.now() };
    const counts = () => ({ produced: sum(fakes, 'produced'), sent: sum(fakes, 'sent'), starts: sum(fakes, 'starts'), idle: sum(fakes, 'idle'), cpu: sum(fakes, 'cpuSeconds'), pending: sum(fakes, 'pending') });
    const counts0 = counts();
    let rssMax = at0.coordinator.rssBytes;
    const windowUntil = Date.now() + options.seconds * 1000;
    while (Date.now() < windowUntil) {
      await sleep(250);
      rssMax = Math.max(rssMax, processUsage(coordinator.child.pid).rssBytes);
      await collect(fakes);
      await topUp();
    }
    await collect(fakes);
    const at1 = { metrics: await scrape(metricsPort), coordinator: processUsage(coordinator.child.pid), nats: processUsage(nats.server.child.pid), t: performance.now() };
    const counts1 = counts();
    rssMax = Math.max(rssMax, at1.coordinator.rssBytes);
    const seconds = (at1.t - at0.t) / 1000;
    const delta = (name: string) => (at1.metrics.get(name) ?? 0) - (at0.metrics.get(name) ?? 0);
    const handled = delta('lrsweep_loss_reports_received_total');
    const backlogAtEnd = Math.max(0, counts1.produced - (at1.metrics.get('lrsweep_loss_reports_received_total') ?? 0));
    const outboxPending = counts1.pending;
    const capacity = await measureCapacity(options.burstSeconds ?? 3, fakes, coordinator, metricsPort, log);
    const result: ScaleResult = {
      workers,
      slots,
      trials: sweeps * spec.points,
      trialsStarted: counts1.starts - counts0.starts,
      sweeps,
      offeredPerSecond: rate,
      producedPerSecond: (counts1.produced - counts0.produced) / seconds,
      publishedPerSecond: (counts1.sent - counts0.sent) / seconds,
      handledPerSecond: handled / seconds,
      capacityPerSecond: capacity.perSecond,
      capacityBacklog: capacity.backlog,
      backlog: backlogAtEnd,
      outboxPending,
      decisionLatencyMs: histogramQuantiles(at0.metrics, at1.metrics, 'lrsweep_report_lag_seconds'),
      foldMs: histogramQuantiles(at0.metrics, at1.metrics, 'lrsweep_decision_latency_seconds'),
      pruneLatencyMs: exactQuantiles(fakes.flatMap((f) => f.prune)),
      dispatchLatencyMs: exactQuantiles(fakes.flatMap((f) => f.dispatch)),
      freedToJobMs: exactQuantiles(fakes.flatMap((f) => f.freedToJob)),
      jobToRunMs: exactQuantiles(fakes.flatMap((f) => f.jobToRun)),
      decisionsPerSecond: delta('lrsweep_decisions_total') / seconds,
      coordinatorCpu: (at1.coordinator.cpuSeconds - at0.coordinator.cpuSeconds) / seconds,
      coordinatorRssMb: rssMax / 2 ** 20,
      natsCpu: (at1.nats.cpuSeconds - at0.nats.cpuSeconds) / seconds,
      workersCpu: (counts1.cpu - counts0.cpu) / seconds,
      idleShare: rate > 0 ? (counts1.idle - counts0.idle) / (rate * seconds) : NaN,
      coordinatorHeapMb: (at1.metrics.get('nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20,
      eventLoopP99Ms: (at1.metrics.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000,
      eventLoopMaxMs: (at1.metrics.get('nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000,
      wallSeconds: seconds,
    };
    client.close();
    return result;
  } catch (error) {
    log(`coordinator output:\n${coordinator.output().slice(-3000)}`);
    throw error;
  } finally {
    await Promise.all(
      fakes.map(
        (f) =>
          new Promise<void>((resolve) => {
            if (f.child.exitCode !== null) return resolve();
            const timer = setTimeout(() => f.child.kill('SIGKILL'), 5000);
            f.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            f.child.send({ type: 'stop' } satisfies ToFakeWorkers);
          }),
      ),
    );
    await coordinator.stop('SIGTERM', 15_000);
    if (options.profileDir) writeFileSync(join(options.profileDir, `coordinator-${workers}w.log`), coordinator.output());
    await nats.server.stop();
    rmSync(nats.dir, { recursive: true, force: true });
  }
}

export async function runCoordinatorScale(options: CoordinatorScaleOptions): Promise<CoordinatorScaleReport> {
  const log = options.log ?? (() => undefined);
  let raw: RawNatsResult | null = null;
  if ((options.rawSeconds ?? 3) > 0) {
    const nats = await startNatsServer();
    try {
      raw = await rawNats(nats.url, options.rawSeconds ?? 3);
      log(`raw JetStream: ${raw.publishedPerSecond.toFixed(0)} published/s, ${raw.consumedPerSecond.toFixed(0)} consumed/s`);
    } finally {
      await nats.server.stop();
      rmSync(nats.dir, { recursive: true, force: true });
    }
  }
  const baselineWorkers = options.baselineWorkers ?? 10;
  const baseline = await measure(baselineWorkers, options);
  log(describe(baseline));
  const results: ScaleResult[] = [];
  for (const workers of options.workers) {
    const result = workers === baselineWorkers ? baseline : await measure(workers, options);
    log(describe(result));
    results.push(result);
  }
  return { rate: options.rate ?? 20_000, publish: options.publish ?? 'outbox', raw, baseline, results };
}

function describe(r: ScaleResult): string {
  return `${r.workers} workers: ${r.handledPerSecond.toFixed(0)} reports/s folded (${r.publishedPerSecond.toFixed(0)}/s published), decision p50 ${r.decisionLatencyMs.p50.toFixed(1)} ms p99 ${r.decisionLatencyMs.p99.toFixed(1)} ms, coordinator ${r.coordinatorCpu.toFixed(2)} CPU s/s ${r.coordinatorRssMb.toFixed(0)} MB`;
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');

/** The report as a markdown table, with ratios against the baseline configuration and raw JetStream. */
export function formatCoordinatorScale(report: CoordinatorScaleReport): string {
  const b = report.baseline;
  const rows = report.results.map((r) => {
    const target = `${r.handledPerSecond >= 20_000 ? 'yes' : 'no'} / ${r.capacityPerSecond >= 20_000 ? 'yes' : 'no'} / ${r.decisionLatencyMs.p99 < 50 ? 'yes' : 'no'}`;
    return `| ${r.workers} × ${r.slots} | ${r.trials} (${r.trialsStarted} started) | ${f0(r.publishedPerSecond)} | ${f0(r.handledPerSecond)} | ${f2(r.handledPerSecond / b.handledPerSecond)}x | ${f0(r.capacityPerSecond)} (${f0(r.capacityBacklog)}) | ${f2(r.capacityPerSecond / b.capacityPerSecond)}x | ${report.raw ? `${f2(r.capacityPerSecond / report.raw.consumedPerSecond)}x` : '—'} | ${f1(r.decisionLatencyMs.p50)} / ${f1(r.decisionLatencyMs.p99)} | ${f2(r.decisionLatencyMs.p99 / b.decisionLatencyMs.p99)}x | ${f1(r.pruneLatencyMs.p50)} / ${f1(r.pruneLatencyMs.p99)} (${r.pruneLatencyMs.count}) | ${f1(r.dispatchLatencyMs.p50)} / ${f1(r.dispatchLatencyMs.p99)} | ${f2(r.coordinatorCpu)} | ${f0(r.coordinatorRssMb)} (${f0(r.coordinatorHeapMb)}) | ${f2(r.natsCpu)} | ${f0(r.backlog)} (${f0(r.outboxPending)} in outboxes) | ${target} |`;
  });
  const raw = report.raw
    ? `raw JetStream on the same server, no coordinator: ${f0(report.raw.publishedPerSecond)} reports/s published with acks (256 in flight, one process), ${f0(report.raw.consumedPerSecond)}/s read back by an ordered consumer (${report.raw.messages} messages).\n`
    : '';
  return (
    `offered ${report.rate > 0 ? `${report.rate} loss reports/s` : 'as many loss reports as the workers can publish'}, published ${report.publish === 'outbox' ? 'through each worker\'s Outbox (JetStream, acknowledged)' : 'as plain core-NATS messages on the stream subjects (stored by JetStream, not acknowledged)'}; baseline: ${b.workers} workers in the same run (${f0(b.handledPerSecond)} folded/s, decision p99 ${f1(b.decisionLatencyMs.p99)} ms).\n${raw}\n` +
    `Sustained: reports published and folded per second at the offered rate, with the latency from a worker publishing a report to the coordinator having decided on it (p50 / p99, from its histogram), NaN report → StopTrial at the worker and slot freed → next RunTrial (exact). ` +
    `Capacity: reports folded per second catching up on a backlog (the coordinator stopped for a few seconds while the workers publish; backlog in brackets), against the same for ${b.workers} workers and against raw JetStream reads. ` +
    `Coordinator CPU (s/s) and RSS are its own process's, during the sustained window.\n\n` +
    `| workers × slots | trials | published/s | folded/s | vs ${b.workers} workers | capacity folded/s (backlog) | vs ${b.workers} workers | vs raw JetStream reads | decision p50 / p99 ms | p99 vs ${b.workers} workers | NaN→StopTrial p50 / p99 ms (n) | slot→RunTrial p50 / p99 ms | coordinator CPU s/s | RSS (heap) MB | nats CPU s/s | backlog at end | ≥ 20k/s sustained / capacity / p99 < 50 ms |\n` +
    `|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`
  );
}
