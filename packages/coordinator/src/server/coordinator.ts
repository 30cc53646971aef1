import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { Events, type NatsConnection, type Subscription } from 'nats';
import { z } from 'zod';
import {
  chooseFinalCandidate,
  clientCredentials,
  finalCandidateCount,
  finalCandidates,
  checkpointStore,
  directoryCheckpoints,
  type CheckpointStore,
  connectNats,
  LEASE_BUCKET,
  createRegistry,
  createServer,
  startMetricsServer,
  type MetricsServer,
  decodeMessage,
  deriveSeed,
  drainOrClose,
  encodeMessage,
  fencedEpochOf,
  invalidArgument,
  jetStreamOf,
  loadLrsweepPackage,
  logGrid,
  type LossReport,
  parseSubject,
  ProtoSpecError,
  settledBy,
  specFromProto,
  specToProto,
  subjects,
  summarizeSeeds,
  SWEEP_SERVICE_NAME,
  SweepSpec,
  TrialEvent,
  unary,
  warmUpWorkerCodecs,
  WorkerHeartbeat,
  serverCredentials,
  type LrsweepServer,
  type NatsAccess,
  type ProtoGrpcType,
  type TlsFiles,
  type JetStreamContext,
  type RangeTestSummary,
  type SeedResult,
} from '@lrsweep/shared';
import type { SweepServiceHandlers } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import type { WorkerServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/WorkerService';
import type { WatchSweepResponse } from '@lrsweep/shared/gen/lrsweep/v1/WatchSweepResponse';
import type { Sweep as SweepMessage } from '@lrsweep/shared/gen/lrsweep/v1/Sweep';
import type { RunTrialRequest } from '@lrsweep/shared/gen/lrsweep/v1/RunTrialRequest';
import { SweepScheduler, type Command, type Decision, type TrialView } from '../scheduler/scheduler.js';
import { decisionToProto, sweepStateName, trialToProto, type SweepState } from './convert.js';
import { decodeLossReport } from './decode.js';
import { CoreJournal, JetStreamJournal, type Journal } from './journal.js';
import { CoordinatorLease, type LeaseLostError } from './lease.js';
import { addAdjustment, adjustmentsOf, type Adjustments } from './rate-change.js';
import type { Registry } from 'prom-client';
import { createCoordinatorMetrics, type CoordinatorMetrics } from './metrics.js';

export interface CoordinatorOptions {
  /** host:port for SweepService (port 0 picks one). Default 127.0.0.1:0. */
  listen?: string;
  natsUrl: string;
  /** A worker silent this long is lost and its trials go elsewhere. Default 10 s. */
  heartbeatTimeoutMs?: number;
  /** Deadline of calls to workers. Default 10 s. */
  workerCallDeadlineMs?: number;
  /** Checkpoint every this many steps as well as at rungs (with a checkpoint store only; 0: rungs only). Default 0. */
  checkpointEvery?: number;
  /**
   * The directory the workers write checkpoints to (their `checkpointDir`, one they all read)
   * instead of JetStream's object store. With it, or with JetStream, a paused trial resumes on
   * whichever worker is free, and this coordinator deletes finished sweeps' checkpoints there.
   */
  checkpointDir?: string;
  /** NATS auth and TLS (token, credentials file, CA of a tls:// server). */
  natsAuth?: Omit<NatsAccess, 'url' | 'name'>;
  /** gRPC TLS: this server's cert and key; the CA that workers' certificates are checked against. */
  tls?: TlsFiles;
  /** Serve /metrics, /livez and /readyz on this port (0 picks one; absent: none). */
  metricsPort?: number;
  /**
   * With JetStream, one coordinator acts on a journal at a time: it holds a lease that expires
   * this long after its last renewal (a new bucket takes it; an existing one keeps its own).
   * Others wait as standbys and take over when it expires. Default 10 s.
   */
  leaseTtlMs?: number;
  /** The lease went to another coordinator: this one has shut down (see CoordinatorLease). */
  onLeaseLost?: (error: LeaseLostError) => void;
  /** false: fail with a LeaseHeldError when another coordinator holds the lease, rather than wait as a standby. Default true. */
  waitForLease?: boolean;
  log?: (line: string) => void;
}

/**
 * Lifecycle: STARTING (replaying the journal) → RUNNING → DRAINING → STOPPED.
 * RUNNING serves the API and sends commands; DRAINING (after shutdown()) answers NOT_SERVING and
 * refuses new sweeps. Workers keep training through a coordinator restart: their reports wait in
 * JetStream, and the next coordinator replays the journal to the same state.
 */
export type CoordinatorState = 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED';

interface WorkerEntry {
  workerId: string;
  address: string;
  slots: number;
  backend: string;
  /** `sweepId/trialId` of the jobs it runs for us. */
  busy: Set<string>;
}

interface Watcher {
  write(event: WatchSweepResponse): void;
  end(): void;
  /** Wants `loss` events (WatchSweepRequest.omit_losses unset). */
  losses: boolean;
}

interface SweepRun {
  id: string;
  spec: SweepSpec;
  state: SweepState;
  createdMs: number;
  finishedMs?: number;
  error?: string;
  scheduler?: SweepScheduler;
  /** Range test of `auto`: seeds to run and results in. */
  rangeTest?: { pending: string[]; running: Set<string>; results: Map<string, SeedResult>; summary?: RangeTestSummary };
  /** The final trainings, one per candidate peak rate (final.candidates), in candidate order. */
  finals?: FinalRun[];
  /**
   * The finals were planned from the search's outcome while its last trials still ran (started
   * early on slots the search could not use); the finished search confirms or restarts them.
   */
  finalsEarly?: boolean;
  /** Cache of earlyFinal's dispatch hint (live only, never state). */
  earlyPlanHint?: { decided: number; final: FinalRun | undefined };
  backends: Set<string>;
  /** Where each running job is. */
  placement: Map<string, string>;
  watchers: Set<Watcher>;
  /** Decisions already streamed to watchers. */
  streamedDecisions: number;
  /** `spec` as a protobuf message, for RunTrial (see specProtoOf). */
  specProto?: { spec: SweepSpec; proto: ReturnType<typeof specToProto> };
  /**
   * A slot one of its jobs frees is filled in the fold, at the event that frees it, rather than
   * offered again through a 'jobs' entry (a journal round trip later). Set by its 'submitted' entry:
   * sweeps journaled before this rule replay as they ran.
   */
  refillOnFree: boolean;
}

/** One final training: a candidate peak rate, run as its own job. */
interface FinalRun {
  trialId: string;
  lrMin: number;
  lrMax: number;
  epochs: number;
  steps: number;
  totalSteps: number;
  started: boolean;
  /** Finished, with a model (`final-done`) or an error. */
  done: boolean;
  error?: string;
  attempt: number;
  workerId?: string;
  valLoss?: number;
  valAccuracy?: number;
  modelPath?: string;
  /** Rate changes of the final training (divergence guard, plateau, warm restarts). */
  adjustments?: Adjustments;
  /**
   * Asked to stop (an early start the search's outcome did not confirm, or one whose slot the
   * search needs): once its attempt ends it starts over, with these rates.
   */
  restartWith?: { lrMin: number; lrMax: number };
  /** Its current attempt began while the search still ran. */
  startedEarly?: boolean;
  /** Times it started over (see restartWith). */
  restarts?: number;
}

/** How often the coordinator looks for workers gone silent, and the gap between two looks that means it was paused itself. */
const REAP_INTERVAL_MS = 500;
const REAP_PAUSE_MS = 2_000;

/** How long after a sweep finishes its checkpoints are deleted: saves in flight at the end land first. */
const CHECKPOINT_COLLECT_DELAY_MS = 3000;

const isFinalTrialId = (trialId: string): boolean => trialId === 'final' || /^final-\d+$/.test(trialId);
const finalOf = (run: SweepRun, trialId: string): FinalRun | undefined => run.finals?.find((f) => f.trialId === trialId);
/** A final whose stop we asked for: back to not started, with the rates it was given. */
function startOver(final: FinalRun): void {
  Object.assign(final, { ...final.restartWith, started: false, done: false, steps: 0, totalSteps: 0, workerId: undefined, valLoss: undefined, valAccuracy: undefined, modelPath: undefined, error: undefined, adjustments: undefined, restartWith: undefined, startedEarly: false, restarts: (final.restarts ?? 0) + 1 });
}

/** The final training that is the sweep's result: the lowest validation loss, once all are done. */
const chosenFinal = (run: SweepRun): FinalRun | undefined => (run.finals?.every((f) => f.done) ? chooseFinalCandidate(run.finals) : undefined);
const SCHEDULE_KIND = { constant: 'SCHEDULE_KIND_CONSTANT', 'one-cycle': 'SCHEDULE_KIND_ONE_CYCLE', triangular: 'SCHEDULE_KIND_TRIANGULAR', cosine: 'SCHEDULE_KIND_COSINE', 'cosine-restarts': 'SCHEDULE_KIND_COSINE_RESTARTS' } as const;
const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** The coordinator's own journal entries (lrsweep.ctl.<scope>.<kind>). */
const Ctl = {
  submitted: z.object({ sweepId: Id, spec: z.unknown(), createdMs: z.number(), dispatch: z.literal('refill-on-free').optional() }),
  'worker-joined': z.object({ workerId: Id, address: z.string(), slots: z.number().int().positive(), backend: z.string() }),
  'worker-lost': z.object({ workerId: Id, reason: z.string() }),
  job: z.object({ workerId: Id }),
  /** Free slots of several workers offered at once (one entry per dispatch, not one per worker); filled in this order. */
  jobs: z.object({ workerIds: z.array(Id).min(1).max(10_000) }),
  cancel: z.object({ sweepId: Id }),
  /** A job its worker does not run (a search trial, a final, a range-test seed); workerId: where it was placed, when known. */
  'trial-lost': z.object({ sweepId: Id, trialId: Id, attempt: z.number().int(), reason: z.string(), workerId: Id.optional() }),
  refused: z.object({ sweepId: Id, trialId: Id, workerId: Id, attempt: z.number().int(), code: z.number().int(), details: z.string() }),
  finished: z.object({ sweepId: Id, atMs: z.number() }),
  /** A coordinator took the lease at this epoch and went live: entries of lower epochs after it are a replaced coordinator's. */
  leader: z.object({ epoch: z.number().int().positive(), holder: z.string() }),
} as const;
type CtlKind = keyof typeof Ctl;

/**
 * Ctl with the lease epoch every entry of a leased coordinator carries (absent: no lease, or
 * written before fencing): one parse gives both the entry and its epoch.
 */
const StampedCtl = Object.fromEntries(
  Object.entries(Ctl).map(([kind, schema]): [string, z.ZodType<{ epoch?: number }>] => [kind, schema.extend({ epoch: z.number().int().nonnegative().optional() })]),
) as Record<CtlKind, z.ZodType<{ epoch?: number }>>;

/**
 * The coordinator. Its state is a fold over the journal: worker facts from NATS (loss reports,
 * trial events) and its own decisions to act (a sweep submitted, a worker's free slot offered to the
 * sweeps, a worker declared lost), applied in log order to each sweep's pure decision core. Side
 * effects (calls to workers, streams to watchers) happen only when live, never during a replay, so
 * a restarted coordinator rebuilds exactly the state it had, then carries on.
 */
export class Coordinator {
  state: CoordinatorState = 'STARTING';
  address = '';
  /** Durable (JetStream) or in-memory (core NATS) state. */
  durable = false;
  private readonly sweeps = new Map<string, SweepRun>();
  private readonly workers = new Map<string, WorkerEntry>();
  private readonly clients = new Map<string, WorkerServiceClient>();
  /** Live only: when each worker was last heard, and since when a placement runs. */
  private readonly lastSeen = new Map<string, number>();
  private readonly placedAt = new Map<string, number>();
  private readonly jobRequested = new Set<string>();
  private readonly awaitingSubmit = new Map<string, () => void>();
  private live = false;
  /** Whether the entry just applied may have changed which slots are free or what work there is. */
  private dispatchDue = true;
  /** Sweeps still searching whose finals were planned early (see earlyFinal). */
  private readonly earlyFinalRuns = new Set<SweepRun>();
  private dispatchScheduled = false;
  /** Workers with a slot free (busy trials and stale attempts below their slots): the only ones dispatch looks at. */
  private readonly withFreeSlots = new Set<string>();
  private natsDown = false;
  /** The highest epoch a 'leader' entry has announced so far in the journal (see applyCtl). */
  private journalEpoch = 0;
  /** Journal entries ignored as a replaced coordinator's. */
  private fencedEntries = 0;
  /** Live: stale attempts each worker's last heartbeat said it still runs (they hold slots). */
  private readonly staleRunning = new Map<string, number>();
  private liveSinceMs = 0;
  /** When the reaper last looked at the workers (a long gap means this process was paused). */
  private lastReapMs = 0;
  private nc: NatsConnection | undefined;
  private journal: Journal | undefined;
  private lease: CoordinatorLease | undefined;
  /** The store the workers' checkpoints go to (if any), and the collection of finished sweeps' checkpoints in progress or due. */
  private checkpoints: CheckpointStore | undefined;
  private collecting: Promise<void> | undefined;
  private collectTimer: NodeJS.Timeout | undefined;
  private heartbeats: Subscription | undefined;
  private grpcServer: LrsweepServer | undefined;
  private proto: ProtoGrpcType | undefined;
  private reaper: NodeJS.Timeout | undefined;
  private consuming: Promise<void> | undefined;
  private readonly log: (line: string) => void;
  private metrics: CoordinatorMetrics | undefined;
  private registry: Registry | undefined;
  private metricsServer: MetricsServer | undefined;
  /** Port of /metrics when served. */
  metricsPort: number | undefined;
  /** Messages rejected by validation (garbage on the subjects), for tests and metrics. */
  readonly rejected = { messages: 0 };

  private constructor(private readonly options: CoordinatorOptions) {
    this.log = options.log ?? ((line) => process.stderr.write(`[coordinator] ${line}\n`));
  }

  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const coordinator = new Coordinator(options);
    try {
      await coordinator.startAll();
    } catch (error) {
      await coordinator.shutdown(0);
      throw error;
    }
    return coordinator;
  }

  private async startAll(): Promise<void> {
    if (this.options.metricsPort !== undefined) await this.startMetrics(this.options.metricsPort);
    // Before the journal: going live may already call workers.
    this.proto = loadLrsweepPackage().proto;
    // The codecs every worker's first RunTrial would otherwise compile on its way out.
    warmUpWorkerCodecs(this.proto);
    this.nc = await connectNats({ url: this.options.natsUrl, name: 'lrsweep-coordinator', ...this.options.natsAuth });
    const jetStream = await jetStreamOf(this.nc);
    // One coordinator per journal: wait here as a standby while another holds the lease.
    if (jetStream) this.lease = await this.acquireLease(jetStream);
    this.journal = jetStream ? await JetStreamJournal.open(jetStream) : new CoreJournal(this.nc);
    // From here on, entries of the coordinators before this one are fenced off: announced as soon as
    // the lease is ours, not after the replay, so that a replaced coordinator that wakes meanwhile
    // cannot slip entries in before it.
    if (this.lease) this.append('_', 'leader', { epoch: this.lease.epoch, holder: this.lease.holder.id });
    if (this.options.checkpointDir !== undefined) this.checkpoints = directoryCheckpoints(this.options.checkpointDir);
    else if (jetStream) this.checkpoints = await checkpointStore(jetStream.js);
    this.durable = this.journal.durable;
    this.log(this.durable ? `journal: JetStream, replaying ${this.journal.replayCount} entries` : 'journal: core NATS (no JetStream): state does not survive a restart');
    this.heartbeats = this.nc.subscribe('lrsweep.worker.>');
    void this.consumeHeartbeats(this.heartbeats);
    void this.watchConnection(this.nc);
    const replayed = new Promise<void>((resolve) => (this.onCaughtUp = resolve));
    if (this.journal.replayCount === 0) this.caughtUp();
    this.consuming = this.consume(this.journal);
    await replayed;
    this.grpcServer = createServer({ services: [SWEEP_SERVICE_NAME], credentials: serverCredentials(this.options.tls), ...(this.registry ? { metrics: this.registry } : {}) });
    this.grpcServer.server.addService(this.proto.lrsweep.v1.SweepService.service, this.handlers());
    const listen = this.options.listen ?? '127.0.0.1:0';
    const port = await this.grpcServer.bind(listen);
    this.address = `${listen.slice(0, listen.lastIndexOf(':'))}:${port}`;
    this.lastReapMs = Date.now();
    this.reaper = setInterval(() => this.reapWorkers(), REAP_INTERVAL_MS);
    this.state = 'RUNNING';
    this.log(`serving SweepService on ${this.address}`);
  }

  private onCaughtUp: () => void = () => undefined;

  private async acquireLease(jetStream: JetStreamContext): Promise<CoordinatorLease> {
    const kv = await jetStream.js.views.kv(LEASE_BUCKET, { ttl: this.options.leaseTtlMs ?? 10_000, history: 1 });
    // The bucket's own TTL rules (it may predate this process's option).
    const ttlMs = (await kv.status()).ttl || (this.options.leaseTtlMs ?? 10_000);
    const holder = { id: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`, host: hostname(), pid: process.pid, sinceMs: Date.now() };
    const lease = await CoordinatorLease.acquire(kv, holder, {
      ttlMs,
      wait: this.options.waitForLease !== false,
      onWait: (current) =>
        this.log(`standby: coordinator ${current ? `${current.id} (${current.host}, pid ${current.pid}, since ${new Date(current.sinceMs).toISOString()})` : '(unknown)'} holds this journal; taking over once its lease lapses (${ttlMs / 1000} s without renewal)`),
      onLost: (error) => {
        this.log(`${error.message}: stopping`);
        void this.shutdown(0).then(() => this.options.onLeaseLost?.(error));
      },
      // A new epoch is announced like the first: a coordinator that held the key in between (and
      // may still be running, cut off) is fenced off in the journal from here on, not only at the workers.
      onRetaken: (epoch) => {
        this.log(`took the coordinator lease again after it lapsed, at epoch ${epoch}`);
        if (this.live) this.append('_', 'leader', { epoch, holder: holder.id });
      },
    });
    this.log(`holding the coordinator lease as ${holder.id}`);
    return lease;
  }

  private async startMetrics(port: number): Promise<void> {
    const registry = createRegistry({ service: 'lrsweep-coordinator' });
    this.registry = registry;
    const count = <T extends string>(values: T[]) => values.reduce<Record<string, number>>((acc, v) => ((acc[v] = (acc[v] ?? 0) + 1), acc), {});
    this.metrics = createCoordinatorMetrics(registry, {
      sweepsByState: () => count([...this.sweeps.values()].map((r) => r.state)),
      trialsByState: () => count([...this.sweeps.values()].flatMap((r) => r.scheduler?.allTrials().map((t) => t.state) ?? [])),
      workers: () => {
        const all = [...this.workers.values()];
        return { connected: all.length, slots: all.reduce((n, w) => n + w.slots, 0), busy: all.reduce((n, w) => n + w.busy.size, 0) };
      },
      rejectedMessages: () => this.rejected.messages,
      stepsSpent: () => [...this.sweeps.values()].reduce((n, r) => n + (r.scheduler?.stepsSpent() ?? 0), 0),
      fullGridSteps: () => [...this.sweeps.values()].reduce((n, r) => n + (r.scheduler?.fullGridSteps() ?? 0), 0),
    });
    this.metricsServer = await startMetricsServer({ port, registry, ready: () => this.state === 'RUNNING' });
    this.metricsPort = this.metricsServer.port;
  }

  /** The replay is over: from the next entry on, side effects happen. Synchronous, between two entries. */
  private caughtUp(): void {
    if (this.live) return;
    this.goLive();
    this.onCaughtUp();
  }

  private goLive(): void {
    this.live = true;
    this.liveSinceMs = Date.now();
    // Every worker the journal knows gets a full timeout to say it is still there.
    for (const id of this.workers.keys()) this.lastSeen.set(id, Date.now());
    for (const worker of this.workers.values()) this.connect(worker);
    // Sweeps that finished before a restart may have left checkpoints behind.
    this.collectCheckpointsSoon();
    this.scheduleDispatch();
  }

  // ── the journal ────────────────────────────────────────────────────────────────────────────

  private consume(journal: Journal): Promise<void> {
    return journal.consume((entry) => {
      try {
        this.apply(entry.subject, entry.data);
      } catch (error) {
        this.log(`error applying ${entry.subject}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
      if (!this.live && entry.sequence >= journal.replayCount) this.caughtUp();
      // Most entries are loss reports that decide nothing: offering slots again is only worth it
      // after an entry that can free a slot or create work, and once per batch of entries.
      if (this.live && this.dispatchDue) this.scheduleDispatch();
      this.dispatchDue = true;
    });
  }

  /**
   * Offers free slots once the entries that arrived together (one read off the socket) are
   * applied: a microtask, so it runs before the next read, however busy the socket (an immediate
   * would wait behind every read of the poll phase).
   */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.requestDispatch();
    });
  }

  private append<K extends CtlKind>(scope: string, kind: K, payload: z.input<(typeof Ctl)[K]>): void {
    if (!this.journal) return;
    const id = `${scope}.${kind}.${randomUUID()}`;
    const stamped = this.epoch > 0 ? { ...payload, epoch: this.epoch } : payload;
    this.journal.append(subjects.ctl(scope, kind), encodeMessage(stamped), id).catch((error: unknown) => this.log(`journal append failed: ${(error as Error).message}`));
  }

  /** Applies one journal entry to the state. Deterministic: replays reach the same state. */
  private apply(subject: string, data: Uint8Array): void {
    const parsed = parseSubject(subject);
    if (!parsed || parsed.kind === 'worker') return;
    if (parsed.kind === 'ctl') return this.applyCtl(parsed.event, data);
    const run = this.sweeps.get(parsed.sweepId);
    if (parsed.kind === 'loss') {
      const report = decodeLossReport(data);
      if (!report.ok || report.value.trialId !== parsed.trialId || report.value.sweepId !== parsed.sweepId) return void (this.rejected.messages += 1);
      if (run) this.onLossReport(run, report.value);
      return;
    }
    const event = decodeMessage(TrialEvent, data);
    if (!event.ok || event.value.trialId !== parsed.trialId || event.value.sweepId !== parsed.sweepId) return void (this.rejected.messages += 1);
    if (!run) return;
    // Only an event of the attempt now placed there frees its slot: a late event of an attempt given
    // up on (or a forged one) must not make a busy worker look free.
    const freed = event.value.type !== 'checkpointed' && event.value.type !== 'rate-change' && event.value.attempt === this.currentAttempt(run, parsed.trialId) && this.freeSlot(event.value.workerId, parsed.sweepId, parsed.trialId);
    this.onTrialEvent(run, event.value);
    // The freed slot takes its next job now, with the event's decisions made: the journal orders
    // this already, so no 'jobs' entry (and its round trip) is needed to keep the fold deterministic.
    const worker = freed && run.refillOnFree ? this.workers.get(event.value.workerId) : undefined;
    if (worker) this.fill(worker);
  }

  private applyCtl(kind: string, data: Uint8Array): void {
    if (!Object.hasOwn(Ctl, kind)) return void (this.rejected.messages += 1);
    const decoded = decodeMessage(StampedCtl[kind as CtlKind], data);
    if (!decoded.ok) return void (this.rejected.messages += 1);
    const e = decoded.value as Record<string, unknown>;
    const epoch = decoded.value.epoch;
    // Fencing in the journal: once a coordinator of a higher epoch has gone live, entries of a lower
    // one come from a coordinator it replaced (paused past its lease) and change nothing. The
    // journal orders both, so a replay ignores the same entries.
    if (epoch !== undefined && epoch < this.journalEpoch) {
      if (this.fencedEntries++ === 0) this.log(`ignoring journal entries of coordinator epoch ${epoch}: epoch ${this.journalEpoch} has taken over (first: ${kind})`);
      return;
    }
    switch (kind as CtlKind) {
      case 'leader': {
        const { epoch: leaderEpoch, holder } = e as z.output<(typeof Ctl)['leader']>;
        this.journalEpoch = Math.max(this.journalEpoch, leaderEpoch);
        // Live and replaced: another coordinator took over while this one was not looking.
        if (this.live && leaderEpoch > this.epoch && this.epoch > 0) {
          this.log(`coordinator ${holder} went live at epoch ${leaderEpoch}, above this one's (${this.epoch})`);
          this.lease?.fenced(leaderEpoch);
        }
        return;
      }
      case 'submitted': {
        const { sweepId, spec, createdMs, dispatch } = e as z.output<(typeof Ctl)['submitted']>;
        const parsedSpec = SweepSpec.safeParse(spec);
        if (!parsedSpec.success || this.sweeps.has(sweepId)) return void (this.rejected.messages += 1);
        this.createSweep(sweepId, parsedSpec.data, createdMs, dispatch === 'refill-on-free');
        // Free slots (by the journal's facts) take the new sweep's work now, rather than after a 'jobs' entry.
        if (dispatch === 'refill-on-free') for (const worker of this.workers.values()) if (worker.busy.size < worker.slots) this.fill(worker);
        this.awaitingSubmit.get(sweepId)?.();
        return;
      }
      case 'worker-joined': {
        const w = e as z.output<(typeof Ctl)['worker-joined']>;
        const known = this.workers.get(w.workerId);
        if (known && known.address === w.address) return;
        if (known) this.loseWorker(known.workerId, 'it came back at a new address');
        this.workers.set(w.workerId, { ...w, busy: new Set() });
        // Its join is done: should it be lost again, its next heartbeat asks again.
        this.jobRequested.delete(`join:${w.workerId}`);
        this.slotsChanged(this.workers.get(w.workerId)!);
        this.lastSeen.set(w.workerId, Date.now());
        if (this.live) this.connect(this.workers.get(w.workerId)!);
        this.log(`worker ${w.workerId} joined: ${w.address}, ${w.slots} slot(s), ${w.backend}`);
        return;
      }
      case 'worker-lost': {
        const { workerId, reason } = e as z.output<(typeof Ctl)['worker-lost']>;
        if (this.workers.has(workerId)) this.loseWorker(workerId, reason);
        return;
      }
      case 'job': {
        const { workerId } = e as z.output<(typeof Ctl)['job']>;
        this.jobRequested.delete(workerId);
        const worker = this.workers.get(workerId);
        if (worker) this.fill(worker);
        return;
      }
      case 'jobs':
        for (const workerId of (e as z.output<(typeof Ctl)['jobs']>).workerIds) {
          this.jobRequested.delete(workerId);
          const worker = this.workers.get(workerId);
          if (worker) this.fill(worker);
        }
        return;
      case 'cancel':
        this.applyCancel((e as z.output<(typeof Ctl)['cancel']>).sweepId);
        return;
      case 'trial-lost': {
        const t = e as z.output<(typeof Ctl)['trial-lost']>;
        const run = this.sweeps.get(t.sweepId);
        const workerId = run?.placement.get(t.trialId);
        if (!run || (t.workerId !== undefined && t.workerId !== workerId)) return;
        // A final or a range-test seed placed where it does not run (a placement made while
        // replaying, whose RunTrial the previous coordinator never sent): it goes back to be placed.
        if (isFinalTrialId(t.trialId) || (run.rangeTest && t.trialId.startsWith('rt'))) {
          if (workerId === undefined || t.attempt !== this.currentAttempt(run, t.trialId)) return;
          this.freeSlot(workerId, t.sweepId, t.trialId);
          this.requeueJob(run, t.trialId, t.attempt);
          return;
        }
        if (!run.scheduler || run.scheduler.trial(t.trialId)?.state !== 'RUNNING') return;
        if (workerId) this.freeSlot(workerId, t.sweepId, t.trialId);
        this.execute(run, run.scheduler.onTrialLost(t.trialId, t.attempt, t.reason));
        this.afterDecisions(run);
        return;
      }
      case 'refused':
        this.applyRefused(e as z.output<(typeof Ctl)['refused']>);
        return;
      case 'finished': {
        const { sweepId, atMs } = e as z.output<(typeof Ctl)['finished']>;
        const run = this.sweeps.get(sweepId);
        if (run) run.finishedMs = atMs;
        return;
      }
    }
  }

  // ── workers (heartbeats are live facts, not journal entries) ───────────────────────────────

  private async watchConnection(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) {
        this.natsDown = true;
        this.log('lost NATS; reconnecting (workers are not judged meanwhile)');
      } else if (status.type === Events.Reconnect) {
        this.natsDown = false;
        for (const id of this.workers.keys()) this.lastSeen.set(id, Date.now());
        this.log('NATS is back');
      }
    }
  }

  private async consumeHeartbeats(subscription: Subscription): Promise<void> {
    for await (const message of subscription) {
      const parsed = parseSubject(message.subject);
      if (!parsed || parsed.kind !== 'worker') continue;
      const beat = decodeMessage(WorkerHeartbeat, message.data);
      if (!beat.ok || beat.value.workerId !== parsed.workerId) {
        this.rejected.messages += 1;
        continue;
      }
      if (!this.live) continue;
      try {
        this.onHeartbeat(beat.value);
      } catch (error) {
        // One bad heartbeat must not end the loop: every later one would go unheard, and every
        // worker would be lost.
        this.log(`error handling the heartbeat of ${beat.value.workerId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  }

  private onHeartbeat(beat: WorkerHeartbeat): void {
    const known = this.workers.get(beat.workerId);
    if (!beat.alive) {
      if (known) this.append('_', 'worker-lost', { workerId: beat.workerId, reason: 'it is shutting down' });
      return;
    }
    this.lastSeen.set(beat.workerId, Date.now());
    if (!known || known.address !== beat.address) {
      if (!this.jobRequested.has(`join:${beat.workerId}`)) {
        this.jobRequested.add(`join:${beat.workerId}`);
        this.append('_', 'worker-joined', { workerId: beat.workerId, address: beat.address, slots: beat.slots, backend: beat.backend });
      }
      return;
    }
    this.jobRequested.delete(`join:${beat.workerId}`);
    this.reconcile(known, beat);
    // Its heartbeat may show a slot free that we did not count as free yet.
    this.requestDispatch(known);
  }

  /**
   * A trial this coordinator believes runs on a worker, which the worker does not list (after a
   * restart, a lost RunTrial, a crashed executor), is lost: it continues from its checkpoint.
   */
  private reconcile(worker: WorkerEntry, beat: WorkerHeartbeat): void {
    const grace = Math.max(1000, (this.options.heartbeatTimeoutMs ?? 10_000) / 2);
    const listed = new Set(beat.running.map((r) => `${r.sweepId}/${r.trialId}`));
    // Attempts we gave up on (while it was cut off) that it still runs: stop them, they only hold a slot.
    let stale = 0;
    for (const r of beat.running) {
      if (r.attempt <= 0 || r.attempt >= this.attemptOf(r.sweepId, r.trialId)) continue;
      stale += 1;
      this.log(`stopping stale attempt ${r.attempt} of ${r.sweepId}/${r.trialId} on ${worker.workerId}`);
      unary(this.client(worker), 'stopTrial', { sweepId: r.sweepId, trialId: r.trialId, attempt: r.attempt, coordinatorEpoch: this.epoch }, { deadlineMs: 5000 }).catch((error: grpc.ServiceError) => this.checkFenced(error));
    }
    this.staleRunning.set(worker.workerId, stale);
    this.slotsChanged(worker);
    for (const key of worker.busy) {
      if (listed.has(key)) continue;
      // Judge only by a heartbeat the worker sent well after the trial was placed there (it may
      // still be on its way to the worker otherwise); placements replayed from the journal date
      // from when this coordinator went live.
      const since = this.placedAt.get(key) ?? this.liveSinceMs;
      if (beat.sentAtMs - since < grace) continue;
      const [sweepId = '', trialId = ''] = key.split('/');
      const run = this.sweeps.get(sweepId);
      if (!run || !this.jobUnderWay(run, trialId)) continue;
      const attempt = this.currentAttempt(run, trialId);
      this.placedAt.set(key, Date.now());
      // Its end event may be in the journal already, not yet folded (acknowledged before this
      // heartbeat left): the journal orders it before this entry, and the fold then ignores the
      // entry (the trial is no longer RUNNING at that attempt). So no finished trial is redone.
      this.log(`trial ${key} is not running on ${worker.workerId}: requeued (unless its end is already in the journal)`);
      this.append(sweepId, 'trial-lost', { sweepId, trialId, attempt, reason: `${worker.workerId} does not run it`, workerId: worker.workerId });
    }
  }

  /** Whether the journal has the job under way: a final started and not done, a range-test seed running, a search trial RUNNING. */
  private jobUnderWay(run: SweepRun, trialId: string): boolean {
    if (isFinalTrialId(trialId)) {
      const final = finalOf(run, trialId);
      return final !== undefined && final.started && !final.done;
    }
    if (run.rangeTest && trialId.startsWith('rt')) return run.rangeTest.running.has(trialId);
    return run.scheduler?.trial(trialId)?.state === 'RUNNING';
  }

  private currentAttempt(run: SweepRun, trialId: string): number {
    if (isFinalTrialId(trialId)) return finalOf(run, trialId)?.attempt ?? -1;
    if (run.rangeTest && trialId.startsWith('rt')) return 1;
    return run.scheduler?.attemptOf(trialId) ?? -1;
  }

  private attemptOf(sweepId: string, trialId: string): number {
    return this.sweeps.get(sweepId)?.scheduler?.attemptOf(trialId) ?? 0;
  }

  private reapWorkers(): void {
    // Silence heard while we are cut off from NATS says nothing about the workers.
    if (!this.live || this.natsDown) return;
    const timeout = this.options.heartbeatTimeoutMs ?? 10_000;
    const now = Date.now();
    const sinceLastLook = now - this.lastReapMs;
    this.lastReapMs = now;
    if (sinceLastLook > REAP_PAUSE_MS) {
      // Nor does silence while this process was paused (SIGSTOP, a frozen VM) or its event loop
      // stalled: the heartbeats sent meanwhile wait in its socket, read after this timer. Every
      // worker gets a full timeout from now.
      for (const id of this.workers.keys()) this.lastSeen.set(id, now);
      this.log(`paused for ${(sinceLastLook / 1000).toFixed(1)} s: workers are judged from now on`);
      return;
    }
    for (const worker of this.workers.values()) {
      const seen = this.lastSeen.get(worker.workerId) ?? 0;
      if (now - seen > timeout && !this.jobRequested.has(`lost:${worker.workerId}`)) {
        this.jobRequested.add(`lost:${worker.workerId}`);
        this.append('_', 'worker-lost', { workerId: worker.workerId, reason: `no heartbeat for ${((now - seen) / 1000).toFixed(1)} s` });
      }
    }
  }

  private loseWorker(workerId: string, why: string): void {
    this.workers.delete(workerId);
    this.withFreeSlots.delete(workerId);
    this.jobRequested.delete(`lost:${workerId}`);
    this.jobRequested.delete(`join:${workerId}`);
    this.jobRequested.delete(workerId);
    this.clients.get(workerId)?.close();
    this.clients.delete(workerId);
    this.log(`worker ${workerId} lost: ${why}`);
    for (const run of this.sweeps.values()) {
      if (run.scheduler && run.state === 'SEARCHING') {
        this.execute(run, run.scheduler.onWorkerLost(workerId));
        this.afterDecisions(run);
      }
      if (run.rangeTest) {
        for (const [trialId, placed] of run.placement) {
          if (placed === workerId && run.rangeTest.running.delete(trialId)) run.rangeTest.pending.unshift(trialId);
        }
      }
      for (const final of run.finals ?? []) {
        if (final.workerId !== workerId || !final.started || final.done) continue;
        // Its attempt is over: a restart we asked for happens now (no stop will arrive).
        if (final.restartWith) startOver(final);
        else Object.assign(final, { started: false, workerId: undefined });
      }
      for (const [trialId, placed] of [...run.placement]) if (placed === workerId) run.placement.delete(trialId);
    }
  }

  /** Opens the channel to a worker now: its first RunTrial should not wait for a TCP and HTTP/2 handshake (~30 ms). */
  private connect(worker: WorkerEntry): void {
    // A call, not just a connection: grpc-js sets up its call path at the first one.
    unary(this.client(worker), 'describeWorker', {}, { deadlineMs: 5000 }).catch(() => undefined);
  }

  private client(worker: WorkerEntry): WorkerServiceClient {
    let client = this.clients.get(worker.workerId);
    if (!client) {
      client = new this.proto!.lrsweep.v1.WorkerService(worker.address, clientCredentials(this.options.tls));
      this.clients.set(worker.workerId, client);
    }
    return client;
  }

  /** Frees the slot the trial holds on the worker; false when it holds none there. */
  private freeSlot(workerId: string, sweepId: string, trialId: string): boolean {
    const run = this.sweeps.get(sweepId);
    if (run?.placement.get(trialId) !== workerId) return false;
    run.placement.delete(trialId);
    const worker = this.workers.get(workerId);
    if (worker) {
      worker.busy.delete(`${sweepId}/${trialId}`);
      this.slotsChanged(worker);
    }
    this.placedAt.delete(`${sweepId}/${trialId}`);
    return true;
  }

  // ── facts from workers ─────────────────────────────────────────────────────────────────────

  private onLossReport(run: SweepRun, report: LossReport): void {
    const decisionsBefore = run.scheduler?.decisions.length ?? 0;
    try {
      this.applyLossReport(run, report);
    } finally {
      this.dispatchDue = (run.scheduler?.decisions.length ?? 0) !== decisionsBefore;
    }
  }

  private applyLossReport(run: SweepRun, report: LossReport): void {
    if (this.live) this.metrics?.lossReports.inc();
    const backend = this.workers.get(report.workerId)?.backend;
    if (backend) run.backends.add(backend);
    if (report.kind === 'final') {
      const final = finalOf(run, report.trialId);
      if (!final || report.attempt !== final.attempt || final.done) return;
      final.steps = report.step;
      if (report.totalSteps) final.totalSteps = report.totalSteps;
      if (report.valLoss !== undefined) Object.assign(final, { valLoss: report.valLoss, valAccuracy: report.valAccuracy });
      this.broadcast(run, {
        finalProgress: {
          trialId: final.trialId,
          step: report.step,
          totalSteps: final.totalSteps,
          learningRate: report.learningRate,
          loss: report.loss,
          epoch: report.epoch ?? 0,
          ...(report.valLoss !== undefined ? { valLoss: report.valLoss } : {}),
          ...(report.valAccuracy !== undefined ? { valAccuracy: report.valAccuracy } : {}),
        },
      });
      return;
    }
    if (report.kind !== 'search' || !run.scheduler) return;
    const received = performance.now();
    if (this.live) {
      // Built for the first watcher that wants it: with none (omit_losses), a report streams nothing.
      let event: WatchSweepResponse | undefined;
      for (const watcher of run.watchers) if (watcher.losses) watcher.write((event ??= { loss: { trialId: report.trialId, step: report.step, learningRate: report.learningRate, loss: report.loss } }));
    }
    const commands = run.scheduler.onLoss(report.trialId, report.step, report.loss, report.attempt);
    if (commands.length > 0) this.execute(run, commands);
    this.afterDecisions(run);
    if (this.live && this.metrics) {
      const now = performance.now();
      this.metrics.decisionLatency.observe((now - received) / 1000);
      // Workers stamp reports with their wall clock (fractions of a millisecond where they have them).
      this.metrics.reportLag.observe(Math.max(0, performance.timeOrigin + now - report.sentAtMs) / 1000);
    }
  }

  private onTrialEvent(run: SweepRun, event: TrialEvent): void {
    if (isFinalTrialId(event.trialId)) {
      const final = finalOf(run, event.trialId);
      if (!final || event.attempt !== final.attempt || final.done) return;
      if (event.type === 'rate-change') {
        const change = addAdjustment((final.adjustments ??= []), event);
        if (change) this.broadcast(run, { rateChange: { ...change, trialId: final.trialId } });
        return;
      }
      const ended = event.type === 'final-done' || event.type === 'failed' || event.type === 'stopped';
      if (ended && final.restartWith) {
        // The attempt we asked to stop has ended: start over, with the rates it was given.
        startOver(final);
        return;
      }
      if (event.type === 'final-done') {
        Object.assign(final, { done: true, valLoss: event.valLoss, valAccuracy: event.valAccuracy, modelPath: event.modelPath, steps: event.steps });
        run.backends.add(event.backend);
      } else if (event.type === 'failed') {
        Object.assign(final, { done: true, error: `final training ${final.trialId} failed: ${event.error}` });
      } else if (event.type === 'stopped') {
        Object.assign(final, { done: true, error: `final training ${final.trialId} stopped at step ${event.step}: ${event.outcome === 'non-finite' ? 'the loss turned non-finite' : 'stopped'}` });
      } else {
        return;
      }
      this.finishFinalsIfDone(run);
      return;
    }
    if (run.rangeTest && event.trialId.startsWith('rt')) {
      run.rangeTest.running.delete(event.trialId);
      if (event.type === 'range-test-done') run.rangeTest.results.set(event.trialId, reviveSeedResult(event.result));
      else if (event.type === 'failed') return this.finish(run, 'FAILED', `range test ${event.trialId} failed: ${event.error}`);
      if (run.rangeTest.results.size === run.spec.rangeTest.seeds && run.state === 'RANGE_TEST') this.startSearchFromRangeTest(run);
      return;
    }
    const scheduler = run.scheduler;
    if (!scheduler) return;
    switch (event.type) {
      case 'budget-reached':
        this.execute(run, scheduler.onBudgetReached(event.trialId, event.step, event.valLoss, event.valAccuracy, { attempt: event.attempt, checkpointed: event.checkpointed }));
        break;
      case 'checkpointed':
        scheduler.onCheckpointed(event.trialId, event.step, event.attempt);
        break;
      case 'stopped':
        // A trial that stopped itself on a non-finite loss; a stop we asked for is already decided.
        if (event.outcome === 'non-finite') this.execute(run, scheduler.onLoss(event.trialId, event.step + 1, NaN, event.attempt));
        break;
      case 'failed':
        this.execute(run, scheduler.onTrialFailed(event.trialId, event.error, event.attempt));
        break;
      default:
        break;
    }
    this.afterDecisions(run);
  }

  /** A final or a range-test seed that did not run where it was placed goes back to be placed again; false for a search trial (the scheduler's). */
  private requeueJob(run: SweepRun, trialId: string, attempt: number): boolean {
    const final = isFinalTrialId(trialId) ? finalOf(run, trialId) : undefined;
    if (final) {
      if (final.attempt === attempt && !final.done) {
        if (final.restartWith) startOver(final);
        else Object.assign(final, { started: false, workerId: undefined });
      }
      return true;
    }
    if (run.rangeTest && trialId.startsWith('rt')) {
      if (run.rangeTest.running.delete(trialId)) run.rangeTest.pending.push(trialId);
      return true;
    }
    return false;
  }

  private applyRefused(r: z.output<(typeof Ctl)['refused']>): void {
    const run = this.sweeps.get(r.sweepId);
    if (!run || r.attempt !== this.currentAttempt(run, r.trialId)) return;
    this.freeSlot(r.workerId, r.sweepId, r.trialId);
    if (this.requeueJob(run, r.trialId, r.attempt)) return;
    if (!run.scheduler) return;
    const why = `the worker did not take it: ${r.details}`;
    const busy: number[] = [grpc.status.RESOURCE_EXHAUSTED, grpc.status.ALREADY_EXISTS];
    const gone: number[] = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED];
    let commands: Command[];
    if (busy.includes(r.code)) commands = run.scheduler.onTrialLost(r.trialId, r.attempt, why, { countsAsFailure: false });
    else if (gone.includes(r.code)) commands = run.scheduler.onTrialLost(r.trialId, r.attempt, why);
    else if ([grpc.status.FAILED_PRECONDITION as number].includes(r.code)) commands = run.scheduler.onTrialLost(r.trialId, r.attempt, why, { countsAsFailure: false, checkpointMissing: true });
    else commands = run.scheduler.onTrialFailed(r.trialId, `the worker refused it: ${r.details}`, r.attempt);
    this.execute(run, commands);
    this.afterDecisions(run);
  }

  // ── scheduling ─────────────────────────────────────────────────────────────────────────────

  /** Keeps `withFreeSlots` in line after the worker's slots, busy set or stale attempts changed. */
  private slotsChanged(worker: WorkerEntry): void {
    const used = worker.busy.size + (this.staleRunning.get(worker.workerId) ?? 0);
    if (used < worker.slots) this.withFreeSlots.add(worker.workerId);
    else this.withFreeSlots.delete(worker.workerId);
  }

  /** Live: offers the workers' free slots to the sweeps, through the journal (one entry for all of them). */
  private requestDispatch(only?: WorkerEntry): void {
    if (!this.live || this.state === 'DRAINING' || this.state === 'STOPPED') return;
    const workerIds: string[] = [];
    const candidates = only ? [only] : [...this.withFreeSlots].map((id) => this.workers.get(id)).filter((w) => w !== undefined);
    for (const worker of candidates) {
      const used = worker.busy.size + (this.staleRunning.get(worker.workerId) ?? 0);
      if (this.jobRequested.has(worker.workerId) || used >= worker.slots) continue;
      let work = false;
      for (const run of this.sweeps.values()) {
        if (this.hasWork(run, worker.workerId)) {
          work = true;
          break;
        }
      }
      if (!work) continue;
      this.jobRequested.add(worker.workerId);
      workerIds.push(worker.workerId);
    }
    for (let i = 0; i < workerIds.length; i += 1000) this.append('_', 'jobs', { workerIds: workerIds.slice(i, i + 1000) });
  }

  private hasWork(run: SweepRun, workerId: string): boolean {
    if (run.state === 'RANGE_TEST') return (run.rangeTest?.pending.length ?? 0) > 0;
    if (run.state === 'SEARCHING') return (run.scheduler?.hasWork(workerId) ?? false) || this.earlyFinal(run, false) !== undefined;
    if (run.state === 'FINAL_TRAINING') return (run.finals ?? []).some((f) => !f.started);
    return false;
  }

  /** Fills a worker's free slots, oldest sweep first (a journal entry: deterministic). */
  private fill(worker: WorkerEntry): void {
    for (const run of this.sweeps.values()) {
      while (worker.busy.size < worker.slots && this.assign(run, worker));
    }
    // Slots no sweep has work for: finals may start early, while their searches' last trials run.
    for (const run of this.sweeps.values()) {
      while (worker.busy.size < worker.slots && this.assignEarlyFinal(run, worker));
    }
    // The last free slot may just have gone to an early final while a search waits for this one.
    this.yieldEarlyFinals();
  }

  /**
   * The next final to start early on an otherwise idle slot; undefined unless the search is still
   * running, `final.startEarly` is on, and the search has a best rate and a range. `plan`: plan the
   * finals from the search's outcome so far if need be (only in the fold: it changes the state).
   */
  private earlyFinal(run: SweepRun, plan: boolean): FinalRun | undefined {
    if (run.state !== 'SEARCHING' || !run.spec.final.startEarly || !run.scheduler || run.scheduler.isDone()) return undefined;
    if (!run.finals) {
      if (!plan) {
        // A dispatch hint, asked per free slot: recomputed only when the search has decided
        // something since.
        const decided = run.scheduler.decisions.length;
        if (run.earlyPlanHint?.decided !== decided) run.earlyPlanHint = { decided, final: this.finalsFitBesideSearch(run) ? this.planFinals(run)?.[0] : undefined };
        return run.earlyPlanHint.final;
      }
      if (!this.finalsFitBesideSearch(run)) return undefined;
      const planned = this.planFinals(run);
      if (!planned) return undefined;
      run.finals = planned;
      run.finalsEarly = true;
      this.earlyFinalRuns.add(run);
    }
    return run.finals.find((f) => !f.started && !f.restartWith);
  }

  /**
   * Early finals save time only when every one of them can run beside the search's last trial:
   * with a final per slot, the last ones start when the search ends anyway.
   */
  private finalsFitBesideSearch(run: SweepRun): boolean {
    const slots = [...this.workers.values()].reduce((n, w) => n + w.slots, 0);
    return finalCandidateCount(run.spec.final.candidates, slots) < slots;
  }

  private assignEarlyFinal(run: SweepRun, worker: WorkerEntry): boolean {
    if (run.state !== 'SEARCHING' || run.scheduler?.hasWork(worker.workerId)) return false;
    const final = this.earlyFinal(run, true);
    if (!final) return false;
    this.startFinalOn(run, final, worker);
    this.log(`sweep ${run.id}: ${final.trialId} starts early on ${worker.workerId} (peak ${final.lrMax}), while the search's last trials run`);
    return true;
  }

  private startFinalOn(run: SweepRun, final: FinalRun, worker: WorkerEntry): void {
    final.started = true;
    final.startedEarly = run.state === 'SEARCHING';
    final.attempt += 1;
    final.workerId = worker.workerId;
    // Every candidate trains from the same seed: they differ only in their peak rate.
    this.runOn(run, worker, { trialId: final.trialId, kind: 'TRIAL_KIND_FINAL', seed: run.spec.seed, lrMin: final.lrMin, lrMax: final.lrMax, attempt: final.attempt });
  }

  /** Asks a running final to stop; once its attempt ends it starts over with `rates`. */
  private restartFinal(run: SweepRun, final: FinalRun, rates: { lrMin: number; lrMax: number }, why: string): void {
    final.restartWith = rates;
    this.log(`sweep ${run.id}: ${final.trialId} restarts: ${why}`);
    if (final.workerId) this.execute(run, [{ type: 'stop', trialId: final.trialId, workerId: final.workerId }]);
  }

  /**
   * An early final holds a slot the search (of any sweep) now has work for, and no slot is free:
   * stop it (it starts over later). Search first: an early final only ever uses idle slots. One
   * at a time (the slot frees when its stop arrives). Deterministic: journal facts only.
   */
  private yieldEarlyFinals(): void {
    if (this.earlyFinalRuns.size === 0) return;
    const runs = [...this.sweeps.values()];
    if (runs.some((r) => r.finals?.some((f) => f.restartWith && f.started))) return;
    for (const worker of this.workers.values()) if (worker.busy.size < worker.slots) return;
    for (const run of this.earlyFinalRuns) {
      for (const final of run.finals ?? []) {
        if (!final.started || final.done || final.restartWith || !final.workerId) continue;
        const workerId = final.workerId;
        // Real work only: a search's next trial, a range test's seed, another sweep's final.
        if (runs.some((r) => (r.state === 'SEARCHING' ? (r.scheduler?.hasWork(workerId) ?? false) : this.hasWork(r, workerId)))) {
          this.restartFinal(run, final, { lrMin: final.lrMin, lrMax: final.lrMax }, 'the search needs its slot');
          return;
        }
      }
    }
  }

  private assign(run: SweepRun, worker: WorkerEntry): boolean {
    if (run.state === 'RANGE_TEST' && run.rangeTest) {
      const trialId = run.rangeTest.pending.shift();
      if (!trialId) return false;
      run.rangeTest.running.add(trialId);
      this.runOn(run, worker, { trialId, kind: 'TRIAL_KIND_RANGE_TEST', seed: rangeTestSeedOf(run.spec.seed, trialId), attempt: 1 });
      return true;
    }
    if (run.state === 'SEARCHING' && run.scheduler) {
      const command = run.scheduler.nextJob(worker.workerId);
      if (!command) return false;
      this.execute(run, [command]);
      this.afterDecisions(run);
      return true;
    }
    const final = run.state === 'FINAL_TRAINING' ? run.finals?.find((f) => !f.started) : undefined;
    if (final) {
      this.startFinalOn(run, final, worker);
      return true;
    }
    return false;
  }

  private runOn(run: SweepRun, worker: WorkerEntry, request: Omit<RunTrialRequest, 'sweepId' | 'spec'> & { trialId: string; attempt: number }): void {
    const key = `${run.id}/${request.trialId}`;
    worker.busy.add(key);
    this.slotsChanged(worker);
    run.placement.set(request.trialId, worker.workerId);
    if (!this.live) return;
    this.placedAt.set(key, Date.now());
    const message = { sweepId: run.id, spec: this.specProtoOf(run), checkpointEvery: this.checkpoints ? (this.options.checkpointEvery ?? 0) : 0, coordinatorEpoch: this.epoch, ...request };
    const client = this.client(worker);
    unary(client, 'runTrial', message, { deadlineMs: this.options.workerCallDeadlineMs ?? 10_000 }).catch((error: grpc.ServiceError) => {
      this.log(`RunTrial ${key} on ${worker.workerId} failed: ${error.message}`);
      // Replaced by another coordinator: this one must not write to the journal any more.
      if (this.checkFenced(error)) return;
      this.append(run.id, 'refused', { sweepId: run.id, trialId: request.trialId, workerId: worker.workerId, attempt: request.attempt, code: error.code ?? grpc.status.UNKNOWN, details: error.details ?? error.message });
      // Unreachable: lost. Unless this call's channel was closed because the worker was lost already
      // (it may have joined again since, on a new channel, and is not unreachable).
      if (error.code === grpc.status.UNAVAILABLE && this.clients.get(worker.workerId) === client) this.append('_', 'worker-lost', { workerId: worker.workerId, reason: `RunTrial failed: ${error.details}` });
    });
  }

  /** The lease's fencing token, carried by every call to a worker (0 without a lease). */
  private get epoch(): number {
    return this.lease?.epoch ?? 0;
  }

  /** Whether `error` is a worker's refusal of a call from a replaced coordinator; if so, this one stops. */
  private checkFenced(error: { code?: number; metadata?: grpc.Metadata }): boolean {
    const epoch = fencedEpochOf(error);
    if (epoch === undefined) return false;
    this.lease?.fenced(epoch);
    return true;
  }

  /** The sweep's spec as RunTrialRequest carries it, converted once per spec (every RunTrial sends it). */
  private specProtoOf(run: SweepRun): ReturnType<typeof specToProto> {
    if (run.specProto?.spec !== run.spec) run.specProto = { spec: run.spec, proto: specToProto(run.spec) };
    return run.specProto.proto;
  }

  /** Turns the core's commands into worker calls (the calls only when live). */
  private execute(run: SweepRun, commands: readonly Command[]): void {
    for (const command of commands) {
      const worker = this.workers.get(command.workerId);
      if (command.type === 'start' || command.type === 'resume') {
        if (!worker) {
          this.execute(run, run.scheduler!.onWorkerLost(command.workerId));
          continue;
        }
        this.runOn(run, worker, {
          trialId: command.trialId,
          kind: 'TRIAL_KIND_SEARCH',
          seed: run.spec.seed,
          learningRate: command.learningRate,
          untilStep: command.untilStep,
          attempt: command.attempt,
          ...(command.type === 'resume' ? { fromCheckpoint: true, fromStep: command.fromStep } : {}),
        });
      } else if (worker && this.live) {
        unary(this.client(worker), 'stopTrial', { sweepId: run.id, trialId: command.trialId, coordinatorEpoch: this.epoch }, { deadlineMs: this.options.workerCallDeadlineMs ?? 10_000 }).catch((error: grpc.ServiceError) => {
          this.log(`StopTrial ${run.id}/${command.trialId} on ${worker.workerId} failed: ${error.message}`);
          this.checkFenced(error);
        });
      }
    }
  }

  /** Streams new decisions to watchers and moves the sweep on when its search is over. */
  private afterDecisions(run: SweepRun): void {
    this.streamDecisions(run);
    if (run.state === 'SEARCHING' && run.scheduler?.isDone()) {
      run.scheduler.releaseCurves();
      this.startFinal(run);
    }
    this.yieldEarlyFinals();
  }

  private streamDecisions(run: SweepRun): void {
    const scheduler = run.scheduler;
    if (!scheduler) return;
    const decisions = scheduler.decisions;
    for (let i = run.streamedDecisions; i < decisions.length; i++) {
      const decision = decisions[i]!;
      if (this.live && this.metrics) {
        const rung = String(decision.evidence.rung);
        this.metrics.decisions.inc({ kind: decision.kind, reason: decision.reason ?? '', rung });
        const cutoff = decision.evidence.cutoff;
        if ((decision.evidence.rule === 'promotion' || decision.evidence.rule === 'rung') && Number.isFinite(cutoff)) this.metrics.rungCutoff.set({ rung }, cutoff);
      }
      if (run.watchers.size > 0) this.broadcast(run, decision.kind === 'started' ? { trialStarted: trialToProto(scheduler.trial(decision.trialId)!) } : { decision: decisionToProto(decision) });
    }
    run.streamedDecisions = decisions.length;
  }

  private startFinal(run: SweepRun): void {
    const { best, range } = run.scheduler!.outcome();
    if (!best || !range) {
      this.finish(run, 'FAILED', 'no rate survived the search: every rate diverged or failed (lower grid.max, or check the model and data)');
      return;
    }
    run.state = 'FINAL_TRAINING';
    const planned = this.planFinals(run)!;
    this.log(`sweep ${run.id}: search done, best lr ${best.learningRate}, final training over [${planned[0]!.lrMin}, ${planned[0]!.lrMax}]${planned.length > 1 ? `, peaks ${planned.map((c) => c.lrMax.toPrecision(3)).join(', ')}` : ''}`);
    run.finals = run.finalsEarly && run.finals ? this.confirmEarlyFinals(run, run.finals, planned) : planned;
    run.finalsEarly = false;
    this.earlyFinalRuns.delete(run);
    this.finishFinalsIfDone(run);
  }

  /**
   * The final trainings for the search's outcome as it stands (undefined without a best rate and
   * a range). Sweeping the spread or one group, the swept value is not a rate every group shares:
   * the final takes the best value's group rates as its peak (the schedule warms up to them from
   * 1/25), rather than the top of the range, which would be the smallest spread.
   */
  private planFinals(run: SweepRun): FinalRun[] | undefined {
    const { best, range } = run.scheduler?.outcome() ?? {};
    if (!best || !range) return undefined;
    const sweepsRates = (run.spec.layerGroups?.sweep ?? 'base') === 'base';
    const finalRange = sweepsRates ? range : { min: best.learningRate, max: best.learningRate };
    // `auto` uses the slots there are: the workers' slots are journal facts, so a replay makes the
    // same candidates.
    const slots = [...this.workers.values()].reduce((n, w) => n + w.slots, 0);
    const candidates = finalCandidates(finalRange, best.learningRate, finalCandidateCount(run.spec.final.candidates, slots));
    return candidates.map((c) => ({ ...c, epochs: run.spec.final.epochs, steps: 0, totalSteps: 0, started: false, done: false, attempt: 0 }));
  }

  /**
   * The search is done: early finals whose rates the final outcome confirms go on (or are done);
   * the others start over with the planned rates (a running one once its stop arrives).
   */
  private confirmEarlyFinals(run: SweepRun, early: FinalRun[], planned: FinalRun[]): FinalRun[] {
    const same = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
    const finals = planned.map((plan) => {
      const started = early.find((f) => f.trialId === plan.trialId);
      if (!started) return plan;
      if (same(started.lrMin, plan.lrMin) && same(started.lrMax, plan.lrMax)) {
        if (started.restartWith) started.restartWith = { lrMin: plan.lrMin, lrMax: plan.lrMax };
        return started;
      }
      if (started.started && !started.done) {
        this.restartFinal(run, started, { lrMin: plan.lrMin, lrMax: plan.lrMax }, `the finished search moved its rates to [${plan.lrMin}, ${plan.lrMax}]`);
        return started;
      }
      // Done, or not started, with other rates: train it again with the planned ones.
      return { ...plan, attempt: started.attempt, restarts: (started.restarts ?? 0) + (started.done ? 1 : 0) };
    });
    // Early finals the plan no longer has (fewer slots now): stop them and free their slots.
    for (const dropped of early.filter((f) => !planned.some((p) => p.trialId === f.trialId))) {
      if (dropped.started && !dropped.done && dropped.workerId) {
        this.execute(run, [{ type: 'stop', trialId: dropped.trialId, workerId: dropped.workerId }]);
        this.freeSlot(dropped.workerId, run.id, dropped.trialId);
      }
    }
    return finals;
  }

  /** Once every candidate is done: completed with the best one, or failed when none finished. */
  private finishFinalsIfDone(run: SweepRun): void {
    const finals = run.finals ?? [];
    if (run.state !== 'FINAL_TRAINING' || !finals.every((f) => f.done)) return;
    const chosen = chosenFinal(run);
    if (chosen) {
      if (finals.length > 1) this.log(`sweep ${run.id}: final ${chosen.trialId} (peak ${chosen.lrMax}) has the lowest validation loss of ${finals.length} candidates`);
      this.finish(run, 'COMPLETED');
    } else {
      this.finish(run, 'FAILED', finals.map((f) => f.error ?? `${f.trialId}: no validation loss`).join('; '));
    }
  }

  private startSearchFromRangeTest(run: SweepRun): void {
    const results = [...run.rangeTest!.results.values()];
    const summary = summarizeSeeds(results, results);
    run.rangeTest!.summary = summary;
    if (!summary.range) {
      this.finish(run, 'FAILED', `the range test found no usable range: ${summary.warnings.join('; ') || 'no descent'}`);
      return;
    }
    // The range test ramps the rate every step; a rate held constant for a whole trial tolerates a
    // little more than where the ramp stopped improving, so the grid reaches 3× above it.
    const grid = { min: summary.range.min, max: summary.range.max * 3 };
    run.spec = { ...run.spec, grid: { ...grid, points: run.spec.grid.points } };
    this.log(`sweep ${run.id}: range test suggests [${summary.range.min}, ${summary.range.max}]; searching ${grid.min} – ${grid.max}`);
    this.startSearch(run);
  }

  private startSearch(run: SweepRun): void {
    const { spec } = run;
    run.scheduler = new SweepScheduler({
      strategy: spec.search.strategy === 'auto' ? 'asha' : spec.search.strategy,
      learningRates: logGrid(spec.grid.min, spec.grid.max, spec.grid.points),
      minSteps: spec.search.minSteps,
      maxSteps: spec.search.maxSteps,
      reductionFactor: spec.search.reductionFactor,
      divergenceFactor: spec.pruning.divergenceFactor,
      stagnation: spec.pruning.stagnation,
      portable: this.checkpoints !== undefined,
    });
    run.state = 'SEARCHING';
  }

  private createSweep(id: string, spec: SweepSpec, createdMs: number, refillOnFree: boolean): void {
    const run: SweepRun = { id, spec, state: 'PENDING', createdMs, backends: new Set(), placement: new Map(), watchers: new Set(), streamedDecisions: 0, refillOnFree };
    this.sweeps.set(id, run);
    if (spec.search.strategy === 'auto') {
      run.state = 'RANGE_TEST';
      run.rangeTest = { pending: Array.from({ length: spec.rangeTest.seeds }, (_, k) => `rt${k}`), running: new Set(), results: new Map() };
    } else {
      this.startSearch(run);
    }
    this.log(`sweep ${id} (${spec.name}) accepted: ${spec.search.strategy}, ${spec.grid.points} rates`);
  }

  private finish(run: SweepRun, state: 'COMPLETED' | 'FAILED' | 'CANCELLED', error?: string): void {
    if (run.state === 'COMPLETED' || run.state === 'FAILED' || run.state === 'CANCELLED') return;
    run.state = state;
    this.earlyFinalRuns.delete(run);
    if (error) run.error = error;
    if (!this.live) return;
    run.finishedMs = Date.now();
    this.append(run.id, 'finished', { sweepId: run.id, atMs: run.finishedMs });
    this.log(`sweep ${run.id} ${state}${error ? `: ${error}` : ''}`);
    const done = this.toProto(run);
    for (const watcher of run.watchers) {
      watcher.write({ done });
      watcher.end();
    }
    run.watchers.clear();
    this.collectCheckpointsSoon();
  }

  /**
   * Deletes the checkpoints of every finished sweep, a few seconds from now (a checkpoint save in
   * flight at the end still lands first). Workers delete a trial's checkpoints when it is stopped
   * or released; those of trials that ended otherwise (a rung checkpoint of a trial that went on to
   * complete, a trial whose worker died) would stay in the object store for good. Checkpoints of
   * sweeps this journal does not know (another coordinator's) are left alone. Live only.
   */
  private collectCheckpointsSoon(): void {
    if (!this.live || !this.checkpoints || this.collectTimer) return;
    this.collectTimer = setTimeout(() => {
      this.collectTimer = undefined;
      if (this.state === 'DRAINING' || this.state === 'STOPPED') return;
      // One pass at a time.
      if (this.collecting) return this.collectCheckpointsSoon();
      this.collecting = this.collectCheckpoints().finally(() => (this.collecting = undefined));
    }, CHECKPOINT_COLLECT_DELAY_MS);
    this.collectTimer.unref();
  }

  private async collectCheckpoints(): Promise<void> {
    const store = this.checkpoints;
    if (!store) return;
    const cutoff = Date.now() - CHECKPOINT_COLLECT_DELAY_MS;
    const ended = [...this.sweeps.values()].filter((r) => r.state === 'COMPLETED' || r.state === 'FAILED' || r.state === 'CANCELLED');
    // Those that finished moments ago wait for the next pass.
    const finished = new Set(ended.filter((r) => (r.finishedMs ?? 0) <= cutoff).map((r) => r.id));
    if (finished.size < ended.length) this.collectCheckpointsSoon();
    let deleted = 0;
    try {
      for (const name of await store.list()) {
        if (!finished.has(name.slice(0, name.indexOf('/')))) continue;
        await store.delete(name);
        deleted += 1;
      }
    } catch (error) {
      this.log(`could not delete finished sweeps' checkpoints: ${(error as Error).message}`);
    }
    if (deleted > 0) this.log(`deleted ${deleted} checkpoint(s) of finished sweeps`);
  }

  private broadcast(run: SweepRun, event: WatchSweepResponse): void {
    if (!this.live) return;
    for (const watcher of run.watchers) watcher.write(event);
  }

  private applyCancel(sweepId: string): void {
    const run = this.sweeps.get(sweepId);
    if (!run || run.state === 'COMPLETED' || run.state === 'FAILED' || run.state === 'CANCELLED') return;
    if (run.scheduler) {
      this.execute(run, run.scheduler.cancel());
      run.scheduler.releaseCurves();
    }
    for (const [trialId, workerId] of run.placement) {
      if (isFinalTrialId(trialId) || trialId.startsWith('rt')) this.execute(run, [{ type: 'stop', trialId, workerId }]);
    }
    // Watchers see every trial's cancellation, then the end; no final training follows.
    this.streamDecisions(run);
    this.finish(run, 'CANCELLED');
  }

  // ── the public API ─────────────────────────────────────────────────────────────────────────

  /** Accepts a validated spec; resolves with the sweep id once the sweep is in the journal and the state. */
  async submit(spec: SweepSpec): Promise<string> {
    const sweepId = `s-${randomUUID().slice(0, 13)}`;
    const applied = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the journal did not take the sweep in 30 s (is NATS reachable?)')), 30_000);
      this.awaitingSubmit.set(sweepId, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.append(sweepId, 'submitted', { sweepId, spec, createdMs: Date.now(), dispatch: 'refill-on-free' });
    try {
      await applied;
    } finally {
      this.awaitingSubmit.delete(sweepId);
    }
    return sweepId;
  }

  async cancel(sweepId: string): Promise<SweepState | undefined> {
    const run = this.sweeps.get(sweepId);
    if (!run) return undefined;
    if (run.state === 'COMPLETED' || run.state === 'FAILED' || run.state === 'CANCELLED') return run.state;
    this.append(sweepId, 'cancel', { sweepId });
    const ended = () => ['CANCELLED', 'COMPLETED', 'FAILED'].includes(run.state);
    for (let i = 0; i < 300 && !ended(); i++) await new Promise((r) => setTimeout(r, 10));
    return run.state;
  }

  sweep(sweepId: string): SweepMessage | undefined {
    const run = this.sweeps.get(sweepId);
    return run && this.toProto(run);
  }

  private toProto(run: SweepRun): SweepMessage {
    const scheduler = run.scheduler;
    const outcome = scheduler?.outcome();
    const trials: TrialView[] = scheduler?.allTrials() ?? [];
    const backends = [...run.backends];
    return {
      sweepId: run.id,
      name: run.spec.name,
      state: sweepStateName(run.state),
      spec: specToProto(run.spec),
      backend: backends.length <= 1 ? (backends[0] ?? '') : `mixed: ${backends.join(', ')}`,
      ...(outcome?.best ? { best: { trialId: outcome.best.trialId, learningRate: outcome.best.learningRate, valLoss: outcome.best.valLoss, valAccuracy: outcome.best.valAccuracy } } : {}),
      ...(outcome?.range ? { range: outcome.range } : {}),
      trials: trials.map((t) => trialToProto(t)),
      // The range test of `auto` counts: its steps are compute the sweep spent.
      budget: { stepsSpent: (scheduler?.stepsSpent() ?? 0) + rangeTestSteps(run), fullGridSteps: scheduler?.fullGridSteps() ?? run.spec.grid.points * run.spec.search.maxSteps },
      ...(run.finals ? { final: this.finalToProto(run, chosenFinal(run) ?? run.finals[0]!), finalCandidates: run.finals.map((f) => this.finalToProto(run, f)) } : {}),
      decisions: (scheduler?.decisions ?? []).map((d: Decision) => decisionToProto(d)),
      wallSeconds: ((run.finishedMs ?? Date.now()) - run.createdMs) / 1000,
      error: run.error ?? '',
      createdUnixMs: run.createdMs,
    };
  }

  private finalToProto(run: SweepRun, final: FinalRun): NonNullable<SweepMessage['final']> {
    return {
      trialId: final.trialId,
      schedule: SCHEDULE_KIND[run.spec.final.schedule],
      lrMin: final.lrMin,
      lrMax: final.lrMax,
      epochs: final.epochs,
      steps: final.steps,
      totalSteps: final.totalSteps,
      ...(final.valLoss !== undefined ? { valLoss: final.valLoss } : {}),
      ...(final.valAccuracy !== undefined ? { valAccuracy: final.valAccuracy } : {}),
      modelPath: final.modelPath ?? '',
      workerId: final.workerId ?? '',
      adjustments: adjustmentsOf(final.adjustments, final.attempt).map((change) => ({ ...change, trialId: final.trialId })),
      error: final.error ?? '',
      startedEarly: final.startedEarly ?? false,
      restarts: final.restarts ?? 0,
    };
  }

  private handlers(): SweepServiceHandlers {
    return {
      SubmitSweep: (call, callback) => {
        if (this.state !== 'RUNNING') return callback({ code: grpc.status.UNAVAILABLE, details: `coordinator is ${this.state}` });
        if (!call.request.spec) return callback(invalidArgument('invalid SubmitSweep request', [{ field: 'spec', description: 'is required' }]));
        let spec: SweepSpec;
        try {
          spec = specFromProto(call.request.spec);
        } catch (error) {
          if (error instanceof ProtoSpecError) return callback(invalidArgument('invalid sweep spec', error.violations));
          return callback({ code: grpc.status.INTERNAL, details: error instanceof Error ? error.message : String(error) });
        }
        this.submit(spec).then(
          (sweepId) => callback(null, { sweepId }),
          (error: Error) => callback({ code: grpc.status.UNAVAILABLE, details: error.message }),
        );
      },
      GetSweep: (call, callback) => {
        const sweep = this.sweep(call.request.sweepId);
        if (!sweep) return callback({ code: grpc.status.NOT_FOUND, details: `no sweep ${call.request.sweepId}` });
        callback(null, { sweep });
      },
      ListSweeps: (_call, callback) => {
        callback(null, {
          sweeps: [...this.sweeps.values()].map((run) => {
            const best = run.scheduler?.outcome().best;
            return {
              sweepId: run.id,
              name: run.spec.name,
              state: sweepStateName(run.state),
              trials: run.spec.grid.points,
              ...(best ? { bestLearningRate: best.learningRate } : {}),
              createdUnixMs: run.createdMs,
            };
          }),
        });
      },
      WatchSweep: (call) => {
        const run = this.sweeps.get(call.request.sweepId);
        if (!run) {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: `no sweep ${call.request.sweepId}` });
          return;
        }
        const snapshot = this.toProto(run);
        if (run.state === 'COMPLETED' || run.state === 'FAILED' || run.state === 'CANCELLED') {
          call.write({ snapshot });
          call.write({ done: snapshot });
          call.end();
          return;
        }
        const watcher: Watcher = { write: (event) => call.write(event), end: () => call.end(), losses: !call.request.omitLosses };
        run.watchers.add(watcher);
        call.on('cancelled', () => run.watchers.delete(watcher));
        call.write({ snapshot });
      },
      CancelSweep: (call, callback) => {
        this.cancel(call.request.sweepId).then(
          (state) => (state ? callback(null, { state: sweepStateName(state) }) : callback({ code: grpc.status.NOT_FOUND, details: `no sweep ${call.request.sweepId}` })),
          (error: Error) => callback({ code: grpc.status.INTERNAL, details: error.message }),
        );
      },
    };
  }

  /** Workers known now (for tests and `describe`). */
  workerIds(): string[] {
    return [...this.workers.keys()];
  }

  async shutdown(graceMs = 5000): Promise<void> {
    if (this.state === 'STOPPED') return;
    const started = Date.now();
    this.state = 'DRAINING';
    clearInterval(this.reaper);
    clearTimeout(this.collectTimer);
    for (const run of this.sweeps.values()) for (const w of run.watchers) w.end();
    await this.grpcServer?.shutdown(graceMs);
    for (const client of this.clients.values()) client.close();
    // The steps that need NATS get what is left of the grace (at least a second), and nothing while
    // it is down: they would wait for a reconnect that may never come, and the process must stop.
    const deadline = this.natsDown ? Date.now() : Date.now() + Math.max(1000, graceMs - (Date.now() - started));
    await settledBy(this.collecting, deadline);
    await settledBy(this.journal?.close(), deadline);
    // Last: a standby takes over at once, and finds the journal as this one left it.
    await settledBy(this.lease?.release(), deadline);
    await drainOrClose(this.nc, deadline);
    await settledBy(this.consuming?.catch(() => undefined), deadline);
    await this.metricsServer?.close();
    this.state = 'STOPPED';
  }
}

/** Seed of range-test job `rt<k>`: the same derivation as `lrsweep range-test`, so both agree. */
function rangeTestSeedOf(specSeed: number, trialId: string): number {
  return deriveSeed(specSeed, 100 + Number(trialId.slice(2)));
}

function rangeTestSteps(run: SweepRun): number {
  let steps = 0;
  for (const result of run.rangeTest?.results.values() ?? []) steps += result.points.length;
  return steps;
}

/** A SeedResult that crossed NATS: non-finite numbers come back from their string form. */
function reviveSeedResult(raw: unknown): SeedResult {
  const revive = (value: unknown): unknown => {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    if (Array.isArray(value)) return value.map(revive);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
    return value;
  };
  return revive(raw) as SeedResult;
}
