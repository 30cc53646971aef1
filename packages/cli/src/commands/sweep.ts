import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { clientCredentials, connectNats, EmbeddedNatsServer, jetStreamOf, loadLrsweepPackage, loadSpecFile, specToProto, tlsFromEnv, unary, type SweepSpec } from '@lrsweep/shared';
import type { SweepServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import type { Sweep__Output } from '@lrsweep/shared/gen/lrsweep/v1/Sweep';
import type { WatchSweepResponse__Output } from '@lrsweep/shared/gen/lrsweep/v1/WatchSweepResponse';
import { Coordinator, LeaseHeldError } from '@lrsweep/coordinator';
import { formatLoss, formatRate, table } from '../render/format.js';
import { formatAdjustment, summarizeSweep, toAdjustment, toResult } from '../render/sweep.js';

export const DEFAULT_COORDINATOR = '127.0.0.1:50051';

export function coordinatorAddress(flag?: string): string {
  return flag ?? process.env.LRSWEEP_COORDINATOR ?? DEFAULT_COORDINATOR;
}

/** A SweepService client; TLS from LRSWEEP_TLS_CA (and _CERT/_KEY for mutual TLS) when set. */
export function sweepClient(address: string): SweepServiceClient {
  const { proto } = loadLrsweepPackage();
  return new proto.lrsweep.v1.SweepService(address, clientCredentials(tlsFromEnv()));
}

/** Turns a gRPC error into a message with the fix; INVALID_ARGUMENT keeps its field paths. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function explain(error: unknown, address: string): never {
  const e = error as Partial<grpc.ServiceError>;
  if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) {
    throw new CliError(`cannot reach the coordinator at ${address} (${e.details ?? e.message}).\n  fix: start one with 'lrsweep coordinator', or pass --coordinator host:port / set LRSWEEP_COORDINATOR`);
  }
  if (e.code === grpc.status.INVALID_ARGUMENT) throw new CliError(`the coordinator rejected the spec:\n${e.details ?? ''}`, 2);
  if (e.code === grpc.status.NOT_FOUND) throw new CliError(`${e.details ?? 'not found'}\n  fix: 'lrsweep list' shows the sweeps this coordinator knows`, 2);
  throw error instanceof Error ? error : new Error(String(error));
}

export interface WatchOptions {
  /** Live progress bars (on a TTY) or one line per decision (otherwise). */
  progress: boolean;
}

/**
 * Streams a sweep's progress until it ends; resolves with the finished sweep. When the coordinator
 * goes away mid-stream (a restart), it reconnects and carries on from a fresh snapshot.
 */
export async function watchSweep(client: SweepServiceClient, sweepId: string, options: WatchOptions & { reconnectForMs?: number }): Promise<Sweep__Output> {
  const patience = options.reconnectForMs ?? 120_000;
  let lostSince: number | undefined;
  for (;;) {
    try {
      return await watchOnce(client, sweepId, options);
    } catch (error) {
      const code = (error as Partial<grpc.ServiceError>).code;
      const transient = code === grpc.status.UNAVAILABLE || error instanceof StreamEndedEarly;
      lostSince ??= Date.now();
      if (!transient || Date.now() - lostSince > patience) throw error;
      if (options.progress) process.stderr.write(`lost the coordinator (${(error as Error).message.split('\n')[0]}); reconnecting...\n`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

class StreamEndedEarly extends Error {
  override readonly name = 'StreamEndedEarly';
}

function watchOnce(client: SweepServiceClient, sweepId: string, options: WatchOptions): Promise<Sweep__Output> {
  const tty = options.progress && process.stderr.isTTY;
  const bars = tty
    ? new MultiBar({ format: ' {lr} [{bar}] {value}/{total} {state} loss {loss}', hideCursor: true, clearOnComplete: false, stream: process.stderr, barsize: 24 }, Presets.shades_classic)
    : undefined;
  const trialBars = new Map<string, SingleBar>();
  const finalBars = new Map<string, SingleBar>();
  let maxSteps = 1;
  return new Promise((resolve, reject) => {
    // Loss events only move the progress bars: without them, none are streamed.
    const stream = client.watchSweep({ sweepId, omitLosses: !bars });
    let finished: Sweep__Output | undefined;
    const barFor = (trialId: string, lr: number) => {
      let bar = trialBars.get(trialId);
      if (!bar && bars) {
        bar = bars.create(maxSteps, 0, { lr: formatRate(lr).padStart(7), state: 'RUNNING', loss: '—' });
        trialBars.set(trialId, bar);
      }
      return bar;
    };
    stream.on('data', (event: WatchSweepResponse__Output) => {
      if (event.snapshot) {
        maxSteps = event.snapshot.spec?.search?.maxSteps ?? 375;
        if (!tty && options.progress) process.stderr.write(`watching ${event.snapshot.sweepId} (${event.snapshot.name}): ${event.snapshot.state}\n`);
      } else if (event.trialStarted) {
        barFor(event.trialStarted.trialId, event.trialStarted.learningRate);
      } else if (event.loss) {
        barFor(event.loss.trialId, event.loss.learningRate)?.update(event.loss.step, { loss: formatLoss(event.loss.loss), state: 'RUNNING' });
      } else if (event.decision) {
        const d = event.decision;
        const bar = trialBars.get(d.trialId);
        const state = d.kind.replace('DECISION_KIND_', '') + (d.reason !== 'PRUNE_REASON_UNSPECIFIED' ? ` (${d.reason.replace('PRUNE_REASON_', '').toLowerCase()})` : '');
        bar?.update({ state });
        if (!tty && options.progress && d.kind !== 'DECISION_KIND_PAUSED') process.stderr.write(`  ${d.summary}\n`);
      } else if (event.finalProgress) {
        const p = event.finalProgress;
        // One bar per final candidate (final, final-2, ...).
        const name = p.trialId || 'final';
        let finalBar = finalBars.get(name);
        if (bars && !finalBar) {
          finalBar = bars.create(p.totalSteps || 1, 0, { lr: name.padStart(7), state: 'TRAINING', loss: '—' });
          finalBars.set(name, finalBar);
        }
        finalBar?.setTotal(p.totalSteps || 1);
        finalBar?.update(p.step, { loss: formatLoss(p.loss), state: p.valAccuracy !== undefined ? `epoch ${p.epoch}: val acc ${(p.valAccuracy * 100).toFixed(1)}%` : `epoch ${p.epoch}` });
        if (!tty && options.progress && p.valAccuracy !== undefined) process.stderr.write(`  ${name === 'final' ? 'final training' : name} epoch ${p.epoch}: val loss ${formatLoss(p.valLoss)}, accuracy ${(p.valAccuracy * 100).toFixed(1)}%\n`);
      } else if (event.rateChange) {
        // Every change of the final training's rate, with its reason (bars or not).
        const which = event.rateChange.trialId && event.rateChange.trialId !== 'final' ? event.rateChange.trialId : 'final training';
        const line = `  ${which} ${formatAdjustment(toAdjustment(event.rateChange))}`;
        if (bars) bars.log(`${line}\n`);
        else if (options.progress) process.stderr.write(`${line}\n`);
      } else if (event.done) {
        finished = event.done;
      }
    });
    stream.on('error', (error) => {
      bars?.stop();
      reject(error);
    });
    stream.on('end', () => {
      bars?.stop();
      if (finished) resolve(finished);
      else reject(new StreamEndedEarly(`the watch of ${sweepId} ended before the sweep did`));
    });
  });
}

function printResult(sweep: Sweep__Output, json: boolean | undefined): void {
  const result = toResult(sweep);
  process.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : summarizeSweep(result));
  if (result.state !== 'COMPLETED') process.exitCode = result.state === 'CANCELLED' ? 130 : 1;
}

// ── commands ─────────────────────────────────────────────────────────────────────────────────

export interface RunOptions {
  workers?: number;
  json?: boolean;
  nats?: string;
  backend: string;
  modelsDir: string;
}

export interface LocalSweepOptions {
  workers: number;
  /** NATS to use; an embedded server when absent. */
  natsUrl?: string;
  backend: string;
  modelsDir: string;
  /** Progress on stderr (bars on a TTY) and log lines. */
  verbose: boolean;
  /** Called once the sweep is accepted. */
  onSubmitted?: (sweepId: string) => void;
  /**
   * The workers share checkpoints through a directory of this run, so a paused trial resumes on
   * whichever is free. Default: when the NATS has no JetStream (whose object store they use then).
   * false: each paused trial resumes only where its state is (a baseline for `bench parallel`).
   */
  shareCheckpoints?: boolean;
}

/**
 * The whole thing on one machine with no set-up: NATS (the one given, else an embedded server), a
 * coordinator in this process and N worker processes, all speaking the real protocols on loopback.
 * Resolves with the finished sweep; everything it started is stopped before it returns.
 */
/** How long `run` waits for its local workers before submitting anyway (to those that are up). */
const LOCAL_WORKER_STARTUP_MS = 60_000;

/**
 * Resolves once every local worker has registered with the coordinator, or the time is up, or
 * the processes that are left are all registered (a worker that exits early is not waited for).
 */
async function waitForWorkers(coordinator: Coordinator, children: readonly ChildProcess[], workerIds: readonly string[], timeoutMs: number): Promise<{ ready: number; ms: number }> {
  const started = Date.now();
  const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null).length;
  // Only our own workers count: on a shared NATS, others may be registered too.
  const ours = new Set(workerIds);
  for (;;) {
    const ready = coordinator.workerIds().filter((id) => ours.has(id)).length;
    if (ready === 0 && alive() === 0) throw new CliError('no local worker started (its error is printed above); check the backend with `lrsweep range-test` or run `lrsweep worker` by hand', 1);
    if (ready >= alive() || Date.now() - started >= timeoutMs) return { ready, ms: Date.now() - started };
    // Often: every millisecond here is one every slot waits before the first dispatch.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function hasJetStream(natsUrl: string): Promise<boolean> {
  const nc = await connectNats({ url: natsUrl, name: 'lrsweep-run' });
  try {
    return (await jetStreamOf(nc)) !== null;
  } finally {
    await nc.close();
  }
}

export async function runLocalSweep(spec: SweepSpec, options: LocalSweepOptions): Promise<Sweep__Output> {
  // Local workers share this file system: a missing pretrained model is a mistake to name now, not
  // a failure of every trial later.
  if (spec.model.pretrained && !existsSync(spec.model.pretrained.path)) {
    throw new CliError(`model.pretrained.path: ${spec.model.pretrained.path} does not exist; point it at a model.json saved by lrsweep (a final training's "model:" path)`, 2);
  }
  const embedded = options.natsUrl ? undefined : await EmbeddedNatsServer.start();
  const natsUrl = options.natsUrl ?? embedded!.url;
  // Without JetStream's object store, the local workers share checkpoints through a directory of
  // this run: a paused trial then resumes on whichever worker is free, not only where it paused.
  const checkpointDir = (options.shareCheckpoints ?? (embedded !== undefined || !(await hasJetStream(natsUrl)))) ? await mkdtemp(join(tmpdir(), 'lrsweep-checkpoints-')) : undefined;
  const children: ChildProcess[] = [];
  const main = fileURLToPath(new URL('../main.js', import.meta.url));
  const workerIds = Array.from({ length: options.workers }, (_, i) => `local-${i + 1}`);
  const spawnWorkers = () => {
    for (const id of workerIds) {
      const args = [main, 'worker', '--nats', natsUrl, '--slots', '1', '--backend', options.backend, '--id', id, '--models-dir', options.modelsDir];
      if (checkpointDir !== undefined) args.push('--checkpoint-dir', checkpointDir);
      children.push(spawn(process.execPath, options.verbose ? args : [...args, '--quiet'], { stdio: ['ignore', 'inherit', 'inherit'] }));
    }
  };
  // On the embedded NATS, workers first: their start-up (processes, tfjs, wasm) overlaps the
  // coordinator's. On a NATS of the user's, the coordinator first: if another one already acts
  // there, our workers must not join it.
  if (embedded) spawnWorkers();
  let coordinator: Coordinator | undefined;
  let client: ReturnType<typeof sweepClient> | undefined;
  const stopAll = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    client?.close();
    await coordinator?.shutdown(1000);
    await embedded?.close();
    if (checkpointDir !== undefined) await rm(checkpointDir, { recursive: true, force: true });
  };
  const onSignal = () => void stopAll().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  try {
    coordinator = await Coordinator.start({ natsUrl, listen: '127.0.0.1:0', waitForLease: false, ...(checkpointDir !== undefined ? { checkpointDir } : {}), ...(options.verbose ? {} : { log: () => undefined }) }).catch((error: unknown) => {
      if (error instanceof LeaseHeldError) throw new CliError(`${error.message}: submit the sweep to it (lrsweep submit --coordinator <its address>), or drop --nats to run on an embedded NATS`, 1);
      throw error;
    });
    if (!embedded) spawnWorkers();
    client = sweepClient(coordinator.address);
    if (options.verbose) process.stderr.write(`lrsweep run: ${spec.name} on ${options.workers} local worker process(es), NATS ${embedded ? 'embedded' : natsUrl}, checkpoints ${checkpointDir !== undefined ? `shared in ${checkpointDir}` : options.shareCheckpoints === false ? 'not shared' : 'in JetStream'}\n`);
    // The sweep starts once every worker is up, as on a cluster whose workers are already running:
    // its trials then fill all slots from the first dispatch, and its wall time is the sweep's own.
    const startup = await waitForWorkers(coordinator, children, workerIds, LOCAL_WORKER_STARTUP_MS);
    if (options.verbose) process.stderr.write(`lrsweep run: ${startup.ready} of ${options.workers} worker(s) ready in ${(startup.ms / 1000).toFixed(1)} s\n`);
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(spec) }, { deadlineMs: 10_000 });
    options.onSubmitted?.(sweepId);
    return await watchSweep(client, sweepId, { progress: options.verbose });
  } finally {
    process.off('SIGINT', onSignal);
    await stopAll();
  }
}

export async function runCommand(specPath: string, options: RunOptions): Promise<void> {
  const spec = loadSpecFile(specPath);
  const done = await runLocalSweep(spec, {
    workers: options.workers ?? availableParallelism(),
    ...((options.nats ?? process.env.NATS_URL) ? { natsUrl: options.nats ?? process.env.NATS_URL } : {}),
    backend: options.backend,
    modelsDir: options.modelsDir,
    verbose: !options.json,
  });
  printResult(done, options.json);
}

export async function submitCommand(specPath: string, options: { coordinator?: string; wait?: boolean; json?: boolean }): Promise<void> {
  const spec = loadSpecFile(specPath);
  const address = coordinatorAddress(options.coordinator);
  const client = sweepClient(address);
  try {
    const { sweepId } = await unary(client, 'submitSweep', { spec: specToProto(spec) }, { deadlineMs: 10_000 }).catch((e: unknown) => explain(e, address));
    if (!options.wait) {
      process.stdout.write(options.json ? JSON.stringify({ sweepId }) + '\n' : `${sweepId}\n`);
      return;
    }
    printResult(await watchSweep(client, sweepId, { progress: !options.json }), options.json);
  } finally {
    client.close();
  }
}

export async function watchCommand(sweepId: string, options: { coordinator?: string; json?: boolean }): Promise<void> {
  const address = coordinatorAddress(options.coordinator);
  const client = sweepClient(address);
  try {
    printResult(await watchSweep(client, sweepId, { progress: true }).catch((e: unknown) => explain(e, address)), options.json);
  } finally {
    client.close();
  }
}

export async function getCommand(sweepId: string, options: { coordinator?: string; json?: boolean }): Promise<void> {
  const address = coordinatorAddress(options.coordinator);
  const client = sweepClient(address);
  try {
    const { sweep } = await unary(client, 'getSweep', { sweepId }).catch((e: unknown) => explain(e, address));
    const result = toResult(sweep!);
    process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : summarizeSweep(result));
  } finally {
    client.close();
  }
}

export async function listCommand(options: { coordinator?: string; json?: boolean }): Promise<void> {
  const address = coordinatorAddress(options.coordinator);
  const client = sweepClient(address);
  try {
    const { sweeps } = await unary(client, 'listSweeps', {}).catch((e: unknown) => explain(e, address));
    if (options.json) {
      process.stdout.write(JSON.stringify(sweeps, null, 2) + '\n');
      return;
    }
    process.stdout.write(
      table([
        ['sweep', 'name', 'state', 'rates', 'best lr', 'created'],
        ...sweeps.map((s) => [s.sweepId, s.name, s.state.replace('SWEEP_STATE_', ''), String(s.trials), formatRate(s.bestLearningRate), new Date(Number(s.createdUnixMs)).toISOString()]),
      ]) + '\n',
    );
  } finally {
    client.close();
  }
}

export async function cancelCommand(sweepId: string, options: { coordinator?: string }): Promise<void> {
  const address = coordinatorAddress(options.coordinator);
  const client = sweepClient(address);
  try {
    const { state } = await unary(client, 'cancelSweep', { sweepId }).catch((e: unknown) => explain(e, address));
    process.stdout.write(`${sweepId}: ${state.replace('SWEEP_STATE_', '')}\n`);
  } finally {
    client.close();
  }
}
