import { randomUUID } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { Events, type NatsConnection } from 'nats';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  checkpointStore,
  directoryCheckpoints,
  type CheckpointStore,
  connectNats,
  drainOrClose,
  fencedError,
  settledBy,
  createRegistry,
  createServer,
  startMetricsServer,
  type MetricsServer,
  encodeMessage,
  ensureEventStream,
  jetStreamOf,
  Outbox,
  invalidArgument,
  isSubjectToken,
  loadLrsweepPackage,
  warmUpWorkerCodecs,
  ProtoSpecError,
  specFromProto,
  subjects,
  WORKER_SERVICE_NAME,
  type LossReport,
  serverCredentials,
  type LrsweepServer,
  type NatsAccess,
  type SweepSpec,
  type TlsFiles,
  type TrialEvent,
  type TrialKindName,
  type WorkerHeartbeat,
} from '@lrsweep/shared';
import type { WorkerServiceHandlers } from '@lrsweep/shared/gen/lrsweep/v1/WorkerService';
import type { BackendChoice } from '../backend/select.js';
import { ExecutorPool, trialKey } from '../executor/pool.js';
import type { ExecutorEvent } from '../executor/protocol.js';
import { decodeSnapshot, encodeSnapshot } from '../trainer/snapshot-codec.js';
import type { TrainerSnapshot } from '../trainer/trainer.js';

export interface WorkerOptions {
  /** host:port to listen on (port 0 picks one). Default 127.0.0.1:0. */
  listen?: string;
  /** host:port the coordinator dials; default the listen address (with the host name for 0.0.0.0). */
  advertise?: string;
  natsUrl: string;
  /** Trials at once, one executor process each. Default: one per core. */
  slots?: number;
  backend?: BackendChoice;
  workerId?: string;
  modelsDir?: string;
  /**
   * Write checkpoints to this directory instead of JetStream's object store: one every worker of
   * the deployment reads (the local workers of `lrsweep run`, or a shared volume), so that any of
   * them can resume a paused trial without JetStream. The coordinator is given the same directory.
   */
  checkpointDir?: string;
  heartbeatMs?: number;
  /** NATS auth and TLS (token, credentials file, CA of a tls:// server). */
  natsAuth?: Omit<NatsAccess, 'url' | 'name'>;
  /** gRPC TLS for WorkerService: cert and key; with a CA, the coordinator must show a certificate. */
  tls?: TlsFiles;
  /** Serve /metrics, /livez and /readyz on this port (0 picks one; absent: none). */
  metricsPort?: number;
  log?: (line: string) => void;
}

/**
 * Lifecycle: STARTING → RUNNING → DRAINING → STOPPED.
 * RUNNING accepts trials; DRAINING (after shutdown()) answers health NOT_SERVING, refuses new
 * trials with UNAVAILABLE and stops its running ones; STOPPED has released every resource.
 */
export type WorkerState = 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED';

const KINDS: Record<string, TrialKindName | undefined> = {
  TRIAL_KIND_SEARCH: 'search',
  TRIAL_KIND_FINAL: 'final',
  TRIAL_KIND_RANGE_TEST: 'range-test',
};

/**
 * A worker: serves WorkerService over gRPC, runs trials in executor processes (one per slot),
 * keeps paused trials' snapshots so a promotion resumes rather than restarts, and publishes loss
 * reports, trial events and heartbeats on NATS.
 */
export class WorkerServer {
  state: WorkerState = 'STARTING';
  readonly workerId: string;
  address = '';
  private readonly paused = new Map<string, { sweepId: string; trialId: string; snapshot: TrainerSnapshot }>();
  /**
   * Trials that reached their budget here whose state ('paused' from the executor) has not come
   * yet: a resume asked for meanwhile waits for it; a release drops it on arrival.
   */
  private readonly pausing = new Map<string, { sweepId: string; trialId: string; step: number; attempt: number; released: boolean; arrived: Promise<TrainerSnapshot>; resolve: (s: TrainerSnapshot) => void }>();
  private readonly jobs = new Map<string, { kind: TrialKindName; attempt: number }>();
  /** Events of one trial are handled in order, a checkpoint save included. */
  private readonly chains = new Map<string, Promise<void>>();
  private outbox: Outbox | undefined;
  /** Attempts with a trial event in the outbox, by `sweepId/trialId`: listed in heartbeats until it is acknowledged. */
  private readonly endingAttempts = new Map<string, number>();
  private checkpoints: CheckpointStore | null = null;
  /** When the last heartbeat went out (0: none yet). */
  private lastBeatMs = 0;
  /** Cut off from NATS now (a shutdown then waits for nothing that needs it). */
  private natsDown = false;
  /** The highest coordinator lease epoch a call has carried (see `fence`). */
  private highestCoordinatorEpoch = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private grpcServer: LrsweepServer | undefined;
  private pool: ExecutorPool | undefined;
  private nc: NatsConnection | undefined;
  private readonly log: (line: string) => void;
  private metricsServer: MetricsServer | undefined;
  private registry: Registry | undefined;
  /** Per running trial: its last report (for step timing) and its executor's tfjs memory. */
  private readonly progress = new Map<string, { step: number; atMs: number; numTensors: number; numBytes: number }>();
  /** Per running final training: rate changes so far (part of message ids, see 'rate-change'). */
  private readonly rateChanges = new Map<string, number>();
  private metrics: ReturnType<WorkerServer['createMetrics']> | undefined;
  metricsPort: number | undefined;

  private constructor(private readonly options: WorkerOptions) {
    this.workerId = options.workerId ?? `w-${randomUUID().slice(0, 8)}`;
    this.log = options.log ?? ((line) => process.stderr.write(`[worker ${this.workerId}] ${line}\n`));
  }

  static async start(options: WorkerOptions): Promise<WorkerServer> {
    const worker = new WorkerServer(options);
    try {
      await worker.startAll();
    } catch (error) {
      await worker.shutdown(0);
      throw error;
    }
    return worker;
  }

  get slots(): number {
    return this.pool?.slots ?? 0;
  }

  get backend(): string {
    return this.pool?.backend ?? 'unknown';
  }

  private async startAll(): Promise<void> {
    if (!isSubjectToken(this.workerId)) throw new Error(`worker id '${this.workerId}' must be 1-64 of A-Z a-z 0-9 _ -`);
    // Executors load tfjs and compile wasm (most of a worker's start-up): fork them first, so that
    // this happens while we connect to NATS. Their events need the outbox only once a job runs.
    const poolStart = ExecutorPool.start(this.options.slots ?? availableParallelism(), this.options.backend ?? 'auto', (e) => this.onExecutorEvent(e));
    // Handled here and awaited below: a failure must not count as unhandled while NATS connects.
    poolStart.catch(() => undefined);
    // Meanwhile, the codecs a first RunTrial would otherwise compile on its way in.
    const { proto } = loadLrsweepPackage();
    warmUpWorkerCodecs(proto);
    try {
      await this.connectAll();
    } catch (error) {
      await poolStart.then((pool) => pool.close(), () => undefined);
      throw error;
    }
    this.pool = await poolStart;
    this.grpcServer = createServer({ services: [WORKER_SERVICE_NAME], credentials: serverCredentials(this.options.tls), ...(this.registry ? { metrics: this.registry } : {}) });
    this.grpcServer.server.addService(proto.lrsweep.v1.WorkerService.service, this.handlers());
    const listen = this.options.listen ?? '127.0.0.1:0';
    const port = await this.grpcServer.bind(listen);
    const host = listen.slice(0, listen.lastIndexOf(':'));
    this.address = this.options.advertise ?? `${host === '0.0.0.0' || host === '[::]' ? hostname() : host}:${port}`;
    this.state = 'RUNNING';
    this.sendHeartbeat();
    this.heartbeat = setInterval(() => this.sendHeartbeat(), this.options.heartbeatMs ?? 2000);
    this.log(`serving on ${this.address}: ${this.slots} slot(s), backend ${this.backend}`);
  }

  private async watchConnection(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) this.natsDown = true;
      else if (status.type === Events.Reconnect) this.natsDown = false;
    }
  }

  private async connectAll(): Promise<void> {
    if (this.options.metricsPort !== undefined) {
      const registry = createRegistry({ service: 'lrsweep-worker' });
      this.registry = registry;
      this.metrics = this.createMetrics(registry);
      this.metricsServer = await startMetricsServer({ port: this.options.metricsPort, registry, ready: () => this.state === 'RUNNING' });
      this.metricsPort = this.metricsServer.port;
    }
    this.nc = await connectNats({ url: this.options.natsUrl, name: this.workerId, ...this.options.natsAuth });
    void this.watchConnection(this.nc);
    const jetStream = await jetStreamOf(this.nc);
    // Reports go to the event stream; whichever process comes first creates it.
    if (jetStream) await ensureEventStream(jetStream.jsm);
    this.outbox = new Outbox(this.nc, jetStream?.js ?? null, (error) => this.log(`publish failed, will retry: ${error.message}`));
    // Checkpoints go to a store every worker reads (a shared directory if given, else JetStream's
    // object store), so any worker can resume any trial; without either, paused trials resume here only.
    this.checkpoints = this.options.checkpointDir !== undefined ? directoryCheckpoints(this.options.checkpointDir) : jetStream ? await checkpointStore(jetStream.js) : null;
  }

  private sendHeartbeat(): void {
    if (!this.nc || this.nc.isClosed()) return;
    // A beat long overdue: this process did not run for a while (starved of CPU, paused, or its
    // event loop blocked). Said here, because the coordinator may call the worker lost meanwhile.
    const now = Date.now();
    const intervalMs = this.options.heartbeatMs ?? 2000;
    if (this.lastBeatMs > 0 && now - this.lastBeatMs > 2 * intervalMs) this.log(`heartbeat ${((now - this.lastBeatMs) / 1000).toFixed(1)} s after the last one (every ${(intervalMs / 1000).toFixed(1)} s): this process was held up`);
    this.lastBeatMs = now;
    const running = (this.pool?.runningTrials() ?? []).map((key) => {
      const [sweepId = '', trialId = ''] = key.split('/');
      return { sweepId, trialId, attempt: this.jobs.get(key)?.attempt ?? 0 };
    });
    // A trial that ended here but whose last event still waits in the outbox (heartbeats go over
    // core NATS and overtake it) is still listed: otherwise the coordinator would requeue a trial
    // that finished, and redo it.
    const listed = new Set(running.map((r) => `${r.sweepId}/${r.trialId}`));
    for (const [key, attempt] of this.endingAttempts) {
      const [sweepId = '', trialId = ''] = key.split('/');
      if (!this.outbox?.hasPending(`${sweepId}.${trialId}`)) this.endingAttempts.delete(key);
      else if (!listed.has(key)) running.push({ sweepId, trialId, attempt });
    }
    const beat: WorkerHeartbeat = {
      workerId: this.workerId,
      address: this.address,
      slots: this.slots,
      backend: (this.pool?.backend ?? 'cpu'),
      running,
      alive: this.state === 'RUNNING',
      sentAtMs: Date.now(),
    };
    this.nc.publish(subjects.worker(this.workerId), encodeMessage(beat));
  }

  /** Bounded labels only (never a trial or a rate): counts and sizes. */
  private createMetrics(registry: Registry) {
    const registers = [registry];
    // prom-client calls collect() with the gauge as `this`: read the worker through closures.
    const slots = () => this.slots;
    const busy = () => this.pool?.busy ?? 0;
    const paused = () => this.paused.size;
    const pending = () => this.outbox?.pending ?? 0;
    const backend = () => this.backend;
    const memory = (field: 'numTensors' | 'numBytes') => [...this.progress.values()].reduce((n, p) => n + p[field], 0);
    new Gauge({ name: 'lrsweep_tfjs_tensors', help: 'Tensors alive in the executors running trials (tf.memory())', registers, collect() { this.set(memory('numTensors')); } });
    new Gauge({ name: 'lrsweep_tfjs_bytes', help: 'Bytes of those tensors', registers, collect() { this.set(memory('numBytes')); } });
    new Gauge({ name: 'lrsweep_worker_slots', help: 'Trial slots (executor processes)', registers, collect() { this.set(slots()); } });
    new Gauge({ name: 'lrsweep_worker_slots_busy', help: 'Slots running a trial', registers, collect() { this.set(busy()); } });
    new Gauge({ name: 'lrsweep_trials_paused', help: 'Paused trials whose state this worker keeps', registers, collect() { this.set(paused()); } });
    new Gauge({ name: 'lrsweep_outbox_pending', help: 'Reports and events waiting for NATS', registers, collect() { this.set(pending()); } });
    new Gauge({ name: 'lrsweep_backend_info', help: 'The TensorFlow.js backend the executors run', labelNames: ['backend'] as const, registers, collect() { this.reset(); this.set({ backend: backend() }, 1); } });
    return {
      published: new Counter({ name: 'lrsweep_loss_reports_published_total', help: 'Loss reports handed to NATS', registers }),
      steps: new Counter({ name: 'lrsweep_training_steps_total', help: 'Training steps reported by this worker', registers }),
      stepSeconds: new Histogram({ name: 'lrsweep_train_step_duration_seconds', help: 'Training step time, averaged over each report window', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 2], registers }),
      checkpointBytes: new Counter({ name: 'lrsweep_checkpoint_bytes_total', help: 'Bytes of checkpoints written to the store', registers }),
      checkpointSeconds: new Histogram({ name: 'lrsweep_checkpoint_seconds', help: 'Time to write one checkpoint', buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers }),
    };
  }

  /** Ids that make a re-sent message a duplicate, and reports of another attempt distinct. */
  private publish(subject: string, message: LossReport | TrialEvent): void {
    // A checkpoint or a rate change ends nothing (a paused trial's checkpoint follows its budget).
    if ('type' in message && message.type !== 'checkpointed' && message.type !== 'rate-change') this.endingAttempts.set(`${message.sweepId}/${message.trialId}`, message.attempt);
    const id = 'type' in message ? `${message.sweepId}.${message.trialId}.${message.attempt}.${message.type}.${'step' in message ? message.step : ''}` : `${message.sweepId}.${message.trialId}.${message.attempt}.loss.${message.step}`;
    const changes = this.rateChanges.get(trialKey(message.sweepId, message.trialId));
    this.outbox?.push(subject, encodeMessage(message), changes ? `${id}.r${changes}` : id);
  }

  private onExecutorEvent(event: ExecutorEvent): void {
    if (event.type === 'ready') return;
    const key = trialKey(event.sweepId, event.trialId);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.handleExecutorEvent(event))
      .catch((error: unknown) => this.log(`trial ${key}: ${error instanceof Error ? error.message : String(error)}`));
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  private async saveCheckpoint(sweepId: string, trialId: string, snapshot: TrainerSnapshot): Promise<boolean> {
    if (!this.checkpoints) return false;
    try {
      // One object per step: training is deterministic, so any attempt writes the same bytes for a
      // step, and a stale attempt can never overwrite the state another one resumes from.
      const started = performance.now();
      const bytes = encodeSnapshot(snapshot);
      await this.checkpoints.put(`${sweepId}/${trialId}/${snapshot.step}`, bytes);
      this.metrics?.checkpointBytes.inc(bytes.byteLength);
      this.metrics?.checkpointSeconds.observe((performance.now() - started) / 1000);
      return true;
    } catch (error) {
      this.log(`checkpoint of ${sweepId}/${trialId} at step ${snapshot.step} not saved: ${(error as Error).message}`);
      return false;
    }
  }

  private async handleExecutorEvent(event: Exclude<ExecutorEvent, { type: 'ready' }>): Promise<void> {
    const { sweepId, trialId } = event;
    const key = trialKey(sweepId, trialId);
    const job = this.jobs.get(key);
    const base = { sweepId, trialId, workerId: this.workerId, attempt: job?.attempt ?? 0, ...('timing' in event && event.timing ? { timing: event.timing } : {}) };
    switch (event.type) {
      case 'report': {
        const { type: _type, sweepId: _s, trialId: _t, numTensors, numBytes, ...rest } = event;
        this.metrics?.published.inc();
        const last = this.progress.get(key);
        const now = Date.now();
        if (last && event.step > last.step) {
          this.metrics?.steps.inc(event.step - last.step);
          this.metrics?.stepSeconds.observe((now - last.atMs) / 1000 / (event.step - last.step));
        }
        this.progress.set(key, { step: event.step, atMs: now, numTensors: numTensors ?? 0, numBytes: numBytes ?? 0 });
        this.publish(subjects.loss(sweepId, trialId), { ...base, ...rest, kind: job?.kind ?? 'search', sentAtMs: Date.now() });
        return;
      }
      case 'rate-change': {
        // Not an end of the trial. After a rollback the steps since the snapshot are reported again:
        // the change count keeps their message ids apart from the first ones (JetStream dedup).
        this.rateChanges.set(key, event.index + 1);
        const { type: _type, sweepId: _s, trialId: _t, retry: _r, ...change } = event;
        this.log(`trial ${key}: ${change.reason}`);
        this.publish(subjects.trial(sweepId, trialId), { type: 'rate-change', ...base, ...change });
        return;
      }
      case 'checkpoint':
        if (await this.saveCheckpoint(sweepId, trialId, event.snapshot)) {
          this.publish(subjects.trial(sweepId, trialId), { type: 'checkpointed', ...base, step: event.step });
        }
        return;
      case 'paused': {
        // The state of a trial that reached its budget (not an end: a resume may already run here).
        const pending = this.pausing.get(key);
        if (pending?.step === event.step) this.pausing.delete(key);
        if (!pending || pending.step !== event.step || pending.released) return;
        // Kept here as paused unless it already runs again (resumed on the executor that kept it).
        if (!this.pool?.isRunning(sweepId, trialId)) this.paused.set(key, { sweepId, trialId, snapshot: event.snapshot });
        pending.resolve(event.snapshot);
        if (await this.saveCheckpoint(sweepId, trialId, event.snapshot)) {
          this.publish(subjects.trial(sweepId, trialId), { type: 'checkpointed', sweepId, trialId, workerId: this.workerId, attempt: pending.attempt, step: event.step });
        }
        return;
      }
      case 'budget': {
        // Tell the coordinator at once: the state follows ('paused'), then its checkpoint (5-15 ms
        // to the object store), and the slot this frees should not sit idle for either. Until
        // 'checkpointed' arrives, the coordinator resumes the trial on this worker only.
        let resolve: (s: TrainerSnapshot) => void = () => undefined;
        const arrived = new Promise<TrainerSnapshot>((r) => (resolve = r));
        this.pausing.set(key, { sweepId, trialId, step: event.step, attempt: base.attempt, released: false, arrived, resolve });
        this.publish(subjects.trial(sweepId, trialId), { type: 'budget-reached', ...base, step: event.step, valLoss: event.valLoss, valAccuracy: event.valAccuracy, checkpointed: false });
        break;
      }
      case 'stopped':
        this.publish(subjects.trial(sweepId, trialId), { type: 'stopped', ...base, step: event.step, outcome: event.outcome });
        break;
      case 'final-done':
        this.publish(subjects.trial(sweepId, trialId), { type: 'final-done', ...base, steps: event.steps, valLoss: event.valLoss, valAccuracy: event.valAccuracy, modelPath: event.modelPath, backend: this.backend });
        break;
      case 'range-test-done':
        this.publish(subjects.trial(sweepId, trialId), { type: 'range-test-done', ...base, result: event.result });
        break;
      case 'failed':
        this.log(`trial ${key} failed: ${event.error}`);
        this.publish(subjects.trial(sweepId, trialId), { type: 'failed', ...base, error: event.error });
        break;
    }
    if (this.jobs.get(key) === job) this.jobs.delete(key);
    this.progress.delete(key);
    this.rateChanges.delete(key);
  }

  private async deleteCheckpoints(sweepId: string, trialId: string): Promise<void> {
    if (!this.checkpoints) return;
    try {
      const prefix = `${sweepId}/${trialId}/`;
      for (const name of await this.checkpoints.list(prefix)) await this.checkpoints.delete(name);
    } catch (error) {
      this.log(`could not delete the checkpoints of ${sweepId}/${trialId}: ${(error as Error).message}`);
    }
  }

  /** The state to resume a trial from: kept here when it paused here (perhaps still on its way from the executor), else its checkpoint. */
  private async resumeState(sweepId: string, trialId: string, fromStep: number): Promise<TrainerSnapshot | undefined> {
    const local = this.paused.get(trialKey(sweepId, trialId));
    if (local && local.snapshot.step === fromStep) return local.snapshot;
    const pending = this.pausing.get(trialKey(sweepId, trialId));
    if (pending && pending.step === fromStep) {
      // It is one IPC message behind the budget; an executor that died in between never sends it.
      let timer: NodeJS.Timeout | undefined;
      const snapshot = await Promise.race([pending.arrived, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 10_000)))]);
      clearTimeout(timer);
      if (snapshot) return snapshot;
    }
    if (!this.checkpoints) return undefined;
    const bytes = await this.checkpoints.get(`${sweepId}/${trialId}/${fromStep}`);
    const snapshot = bytes ? decodeSnapshot(bytes) : undefined;
    return snapshot?.step === fromStep ? snapshot : undefined;
  }

  /**
   * Fencing: a call from a coordinator epoch below the highest seen comes from a coordinator that
   * was replaced (paused past its lease, then woken): refused, so it cannot start or stop anything.
   * Epoch 0 (no lease: a coordinator without JetStream) is not fenced.
   */
  private fence(epoch: number): Partial<grpc.StatusObject> | undefined {
    if (epoch > this.highestCoordinatorEpoch) this.highestCoordinatorEpoch = epoch;
    if (epoch === 0 || epoch === this.highestCoordinatorEpoch) return undefined;
    this.log(`refused a call from coordinator epoch ${epoch}: epoch ${this.highestCoordinatorEpoch} has taken over`);
    return fencedError(epoch, this.highestCoordinatorEpoch);
  }

  private handlers(): WorkerServiceHandlers {
    return {
      RunTrial: (call, callback) => {
        const request = call.request;
        if (this.state !== 'RUNNING' || !this.pool) {
          callback({ code: grpc.status.UNAVAILABLE, details: `worker ${this.workerId} is ${this.state}` });
          return;
        }
        const fenced = this.fence(request.coordinatorEpoch);
        if (fenced) return callback(fenced);
        const violations = [
          ...(isSubjectToken(request.sweepId) ? [] : [{ field: 'sweep_id', description: 'must be 1-64 of A-Z a-z 0-9 _ -' }]),
          ...(isSubjectToken(request.trialId) ? [] : [{ field: 'trial_id', description: 'must be 1-64 of A-Z a-z 0-9 _ -' }]),
        ];
        const kind = KINDS[request.kind];
        if (!kind) violations.push({ field: 'kind', description: 'must be TRIAL_KIND_SEARCH, TRIAL_KIND_FINAL or TRIAL_KIND_RANGE_TEST' });
        if (kind === 'search' && !(request.learningRate > 0 && Number.isFinite(request.learningRate))) violations.push({ field: 'learning_rate', description: 'must be a positive finite rate' });
        if (kind === 'search' && !(request.untilStep > 0)) violations.push({ field: 'until_step', description: 'must be a positive step count' });
        if (kind === 'final' && !(request.lrMin > 0 && request.lrMax >= request.lrMin && Number.isFinite(request.lrMax))) {
          violations.push({ field: 'lr_min', description: 'must satisfy 0 < lr_min <= lr_max < infinity' });
        }
        if (!request.spec) violations.push({ field: 'spec', description: 'is required' });
        let spec: SweepSpec | undefined;
        try {
          if (request.spec) spec = specFromProto(request.spec);
        } catch (error) {
          if (!(error instanceof ProtoSpecError)) {
            callback({ code: grpc.status.INTERNAL, details: `cannot read the spec: ${error instanceof Error ? error.message : String(error)}` });
            return;
          }
          violations.push(...error.violations);
        }
        if (violations.length > 0 || !spec || !kind) {
          callback(invalidArgument('invalid RunTrial request', violations));
          return;
        }
        const key = trialKey(request.sweepId, request.trialId);
        if (this.pool.isRunning(request.sweepId, request.trialId)) {
          callback({ code: grpc.status.ALREADY_EXISTS, details: `trial ${key} is already running here` });
          return;
        }
        if (this.pool.freeSlots === 0) {
          callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `all ${this.slots} slots of ${this.workerId} are busy` });
          return;
        }
        const start = (snapshot: TrainerSnapshot | undefined, keptStep?: number) => {
          if (!this.pool || this.state !== 'RUNNING') return callback({ code: grpc.status.UNAVAILABLE, details: `worker ${this.workerId} is ${this.state}` });
          if (this.pool.freeSlots === 0) return callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `all ${this.slots} slots of ${this.workerId} are busy` });
          this.paused.delete(key);
          this.jobs.set(key, { kind, attempt: request.attempt });
          this.pool.run({
            sweepId: request.sweepId,
            trialId: request.trialId,
            kind,
            spec,
            seed: request.seed,
            learningRate: request.learningRate,
            untilStep: request.untilStep,
            lrMin: request.lrMin,
            lrMax: request.lrMax,
            modelsDir: this.options.modelsDir ?? '.lrsweep/models',
            checkpointEvery: request.checkpointEvery,
            ...(snapshot ? { snapshot } : {}),
            ...(keptStep !== undefined ? { keptSnapshotStep: keptStep } : {}),
          });
          const step = snapshot?.step ?? keptStep;
          callback(null, { resumed: step !== undefined, step: step ?? 0 });
        };
        if (kind !== 'search' || !request.fromCheckpoint) return start(undefined);
        // The executor it paused on keeps its state and is free: resume there, nothing to fetch.
        if (this.pool.freeKeeper(request.sweepId, request.trialId, request.fromStep)) return start(undefined, request.fromStep);
        // A resume: the state kept here if it paused here, else the checkpoint in the shared store;
        // either must be at from_step, or it is stale.
        this.resumeState(request.sweepId, request.trialId, request.fromStep)
          .then((snapshot) => {
            if (!snapshot) {
              callback({ code: grpc.status.FAILED_PRECONDITION, details: `no state of ${key} at step ${request.fromStep} here or in the checkpoint store` });
              return;
            }
            start(snapshot);
          })
          .catch((error: unknown) => callback({ code: grpc.status.UNAVAILABLE, details: `cannot read the checkpoint of ${key}: ${(error as Error).message}` }));
      },
      StopTrial: (call, callback) => {
        const { sweepId, trialId, attempt, coordinatorEpoch } = call.request;
        const fenced = this.fence(coordinatorEpoch);
        if (fenced) return callback(fenced);
        const key = trialKey(sweepId, trialId);
        if (attempt > 0) {
          // A stale attempt only: the trial itself lives on elsewhere.
          const stale = this.jobs.get(key)?.attempt === attempt && (this.pool?.stop(sweepId, trialId) ?? false);
          callback(null, { found: stale });
          return;
        }
        const stopped = this.pool?.stop(sweepId, trialId) ?? false;
        const pending = this.pausing.get(trialKey(sweepId, trialId));
        if (pending) pending.released = true;
        const released = this.paused.delete(trialKey(sweepId, trialId)) || pending !== undefined;
        callback(null, { found: stopped || released });
        // A stopped or released trial never resumes: its checkpoints can go.
        void this.deleteCheckpoints(sweepId, trialId);
      },
      DescribeWorker: (_call, callback) => {
        const running = (this.pool?.runningTrials() ?? []).map((key) => {
          const [sweepId = '', trialId = ''] = key.split('/');
          return { sweepId, trialId, step: 0, paused: false };
        });
        const paused = [
          ...[...this.paused.values()].map((p) => ({ sweepId: p.sweepId, trialId: p.trialId, step: p.snapshot.step, paused: true })),
          ...[...this.pausing.values()].filter((p) => !p.released && !this.pool?.isRunning(p.sweepId, p.trialId)).map((p) => ({ sweepId: p.sweepId, trialId: p.trialId, step: p.step, paused: true })),
        ];
        callback(null, { workerId: this.workerId, address: this.address, slots: this.slots, backend: this.backend, trials: [...running, ...paused] });
      },
    };
  }

  /**
   * Drains within `graceMs`: health NOT_SERVING first; running trials stop at their next step and
   * leave a checkpoint there; their reports and checkpoints reach NATS; then a last heartbeat says
   * the worker is leaving (the coordinator resumes its trials elsewhere from those checkpoints);
   * then everything closes.
   */
  async shutdown(graceMs = 5000): Promise<void> {
    if (this.state === 'STOPPED') return;
    this.state = 'DRAINING';
    const deadline = Date.now() + graceMs;
    clearInterval(this.heartbeat);
    for (const name of ['', WORKER_SERVICE_NAME]) this.grpcServer?.health.setStatus(name, 'NOT_SERVING');
    this.pool?.drain();
    while ((this.pool?.busy ?? 0) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // The last checkpoints and their events need NATS. While it is up they may run past the grace
    // (up to twice it: a checkpoint lost costs every step since the one before); with it down they
    // cannot finish, and wait for nothing (or a reconnect, until the grace ends).
    const natsDeadline = () => (this.natsDown ? deadline : deadline + graceMs);
    await settledBy(Promise.all([...this.chains.values()]), natsDeadline());
    await this.outbox?.flush(Math.max(0, natsDeadline() - Date.now()));
    // What it could not send by now stays unsent: no retry may keep the process alive.
    this.outbox?.close();
    this.sendHeartbeat();
    await settledBy(this.nc?.flush(), natsDeadline());
    await this.grpcServer?.shutdown(Math.max(0, deadline - Date.now()));
    await this.pool?.close();
    await this.metricsServer?.close();
    this.paused.clear();
    this.pausing.clear();
    await drainOrClose(this.nc, Math.max(natsDeadline(), Date.now() + 1000));
    this.state = 'STOPPED';
  }
}
