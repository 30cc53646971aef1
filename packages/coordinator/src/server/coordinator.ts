import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection, type Subscription } from 'nats';
import {
  decodeMessage,
  deriveSeed,
  invalidArgument,
  loadLrsweepPackage,
  logGrid,
  LossReport,
  parseSubject,
  ProtoSpecError,
  specFromProto,
  specToProto,
  summarizeSeeds,
  SWEEP_SERVICE_NAME,
  TrialEvent,
  unary,
  WorkerHeartbeat,
  createServer,
  type LrsweepServer,
  type ProtoGrpcType,
  type RangeTestSummary,
  type SeedResult,
  type SweepSpec,
} from '@lrsweep/shared';
import type { SweepServiceHandlers } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import type { WorkerServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/WorkerService';
import type { WatchSweepResponse } from '@lrsweep/shared/gen/lrsweep/v1/WatchSweepResponse';
import type { Sweep as SweepMessage } from '@lrsweep/shared/gen/lrsweep/v1/Sweep';
import type { RunTrialRequest } from '@lrsweep/shared/gen/lrsweep/v1/RunTrialRequest';
import { SweepScheduler, type Command, type Decision, type TrialView } from '../scheduler/scheduler.js';
import { decisionToProto, sweepStateName, trialToProto, type SweepState } from './convert.js';

export interface CoordinatorOptions {
  /** host:port for SweepService (port 0 picks one). Default 127.0.0.1:0. */
  listen?: string;
  natsUrl: string;
  /** A worker silent this long is lost and its trials go elsewhere. Default 10 s. */
  heartbeatTimeoutMs?: number;
  /** Deadline of calls to workers. Default 10 s. */
  workerCallDeadlineMs?: number;
  log?: (line: string) => void;
}

/**
 * Lifecycle: STARTING → RUNNING → DRAINING → STOPPED. DRAINING (after shutdown()) reports
 * NOT_SERVING and refuses new sweeps; sweeps in flight are left to the workers (issue: durable state).
 */
export type CoordinatorState = 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED';

interface WorkerEntry {
  workerId: string;
  address: string;
  slots: number;
  backend: string;
  lastSeenMs: number;
  client: WorkerServiceClient;
  /** `sweepId/trialId` of the jobs it runs for us. */
  busy: Set<string>;
}

interface Watcher {
  write(event: WatchSweepResponse): void;
  end(): void;
}

interface SweepRun {
  id: string;
  spec: SweepSpec;
  state: SweepState;
  createdMs: number;
  startedMs: number;
  finishedMs?: number;
  error?: string;
  scheduler?: SweepScheduler;
  /** Range test of `auto`: seeds to run and results in. */
  rangeTest?: { pending: { trialId: string; seed: number }[]; running: Set<string>; results: Map<string, SeedResult>; summary?: RangeTestSummary };
  final?: {
    trialId: string;
    lrMin: number;
    lrMax: number;
    epochs: number;
    steps: number;
    totalSteps: number;
    started: boolean;
    workerId?: string;
    valLoss?: number;
    valAccuracy?: number;
    modelPath?: string;
  };
  backends: Set<string>;
  /** Where each running job is. */
  placement: Map<string, string>;
  watchers: Set<Watcher>;
  /** Decisions already streamed to watchers. */
  streamedDecisions: number;
}

const FINAL_TRIAL_ID = 'final';
const SCHEDULE_KIND = { constant: 'SCHEDULE_KIND_CONSTANT', 'one-cycle': 'SCHEDULE_KIND_ONE_CYCLE', triangular: 'SCHEDULE_KIND_TRIANGULAR', cosine: 'SCHEDULE_KIND_COSINE' } as const;

/**
 * The coordinator: accepts sweeps over gRPC, learns workers from their NATS heartbeats, feeds loss
 * reports and trial events from NATS to each sweep's decision core, and turns the core's commands
 * into WorkerService calls. All decisions are the core's; this class only does I/O.
 */
export class Coordinator {
  state: CoordinatorState = 'STARTING';
  address = '';
  private readonly sweeps = new Map<string, SweepRun>();
  private readonly workers = new Map<string, WorkerEntry>();
  private nc: NatsConnection | undefined;
  private subscription: Subscription | undefined;
  private grpcServer: LrsweepServer | undefined;
  private proto: ProtoGrpcType | undefined;
  private reaper: NodeJS.Timeout | undefined;
  private consuming: Promise<void> | undefined;
  private readonly log: (line: string) => void;
  /** Counters for tests and metrics: messages rejected by validation. */
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
    this.nc = await connect({ servers: this.options.natsUrl, name: 'lrsweep-coordinator', maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    this.subscription = this.nc.subscribe('lrsweep.>');
    this.consuming = this.consume(this.subscription);
    const { proto } = loadLrsweepPackage();
    this.proto = proto;
    this.grpcServer = createServer({ services: [SWEEP_SERVICE_NAME] });
    this.grpcServer.server.addService(proto.lrsweep.v1.SweepService.service, this.handlers());
    const listen = this.options.listen ?? '127.0.0.1:0';
    const port = await this.grpcServer.bind(listen);
    this.address = `${listen.slice(0, listen.lastIndexOf(':'))}:${port}`;
    this.reaper = setInterval(() => this.reapWorkers(), 500);
    this.state = 'RUNNING';
    this.log(`serving SweepService on ${this.address}`);
  }

  // ── NATS ───────────────────────────────────────────────────────────────────────────────────

  /** One subscription, handled in order: a trial's reports and events never overtake each other. */
  private async consume(subscription: Subscription): Promise<void> {
    for await (const message of subscription) {
      try {
        this.onMessage(message.subject, message.data);
      } catch (error) {
        this.log(`error handling ${message.subject}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  }

  private onMessage(subject: string, data: Uint8Array): void {
    const parsed = parseSubject(subject);
    if (!parsed) return;
    if (parsed.kind === 'worker') {
      const beat = decodeMessage(WorkerHeartbeat, data);
      if (!beat.ok || beat.value.workerId !== parsed.workerId) return void (this.rejected.messages += 1);
      this.onHeartbeat(beat.value);
      return;
    }
    const run = this.sweeps.get(parsed.sweepId);
    if (parsed.kind === 'loss') {
      const report = decodeMessage(LossReport, data);
      if (!report.ok || report.value.trialId !== parsed.trialId || report.value.sweepId !== parsed.sweepId) return void (this.rejected.messages += 1);
      if (run) this.onLossReport(run, report.value);
      return;
    }
    const event = decodeMessage(TrialEvent, data);
    if (!event.ok || event.value.trialId !== parsed.trialId || event.value.sweepId !== parsed.sweepId) return void (this.rejected.messages += 1);
    this.freeSlot(event.value.workerId, parsed.sweepId, parsed.trialId);
    if (run) this.onTrialEvent(run, event.value);
    this.dispatch();
  }

  private onHeartbeat(beat: WorkerHeartbeat): void {
    const known = this.workers.get(beat.workerId);
    if (!beat.alive) {
      if (known) this.loseWorker(known, 'it is shutting down');
      return;
    }
    if (known && known.address === beat.address) {
      known.lastSeenMs = Date.now();
      return;
    }
    if (known) this.loseWorker(known, 'it restarted at a new address');
    const client = new this.proto!.lrsweep.v1.WorkerService(beat.address, grpc.credentials.createInsecure());
    this.workers.set(beat.workerId, { workerId: beat.workerId, address: beat.address, slots: beat.slots, backend: beat.backend, lastSeenMs: Date.now(), client, busy: new Set() });
    this.log(`worker ${beat.workerId} joined: ${beat.address}, ${beat.slots} slot(s), ${beat.backend}`);
    this.dispatch();
  }

  private reapWorkers(): void {
    const timeout = this.options.heartbeatTimeoutMs ?? 10_000;
    const now = Date.now();
    for (const worker of [...this.workers.values()]) {
      if (now - worker.lastSeenMs > timeout) this.loseWorker(worker, `no heartbeat for ${((now - worker.lastSeenMs) / 1000).toFixed(1)} s`);
    }
  }

  private loseWorker(worker: WorkerEntry, why: string): void {
    this.workers.delete(worker.workerId);
    worker.client.close();
    this.log(`worker ${worker.workerId} lost: ${why}`);
    for (const run of this.sweeps.values()) {
      if (run.scheduler && (run.state === 'SEARCHING' || run.state === 'CANCELLED')) this.execute(run, run.scheduler.onWorkerLost(worker.workerId));
      if (run.rangeTest) {
        for (const [trialId, workerId] of run.placement) {
          if (workerId === worker.workerId && run.rangeTest.running.delete(trialId)) {
            run.rangeTest.pending.unshift({ trialId, seed: rangeTestSeedOf(run.spec.seed, trialId) });
          }
        }
      }
      if (run.final?.workerId === worker.workerId && run.state === 'FINAL_TRAINING') {
        run.final.started = false;
        run.final.workerId = undefined;
      }
      for (const [trialId, workerId] of [...run.placement]) if (workerId === worker.workerId) run.placement.delete(trialId);
    }
    this.dispatch();
  }

  private freeSlot(workerId: string, sweepId: string, trialId: string): void {
    this.workers.get(workerId)?.busy.delete(`${sweepId}/${trialId}`);
    this.sweeps.get(sweepId)?.placement.delete(trialId);
  }

  private onLossReport(run: SweepRun, report: LossReport): void {
    run.backends.add(this.workers.get(report.workerId)?.backend ?? 'unknown');
    if (report.kind === 'final' && run.final) {
      run.final.steps = report.step;
      if (report.totalSteps) run.final.totalSteps = report.totalSteps;
      this.broadcast(run, {
        finalProgress: {
          step: report.step,
          totalSteps: run.final.totalSteps,
          learningRate: report.learningRate,
          loss: report.loss,
          epoch: report.epoch ?? 0,
          ...(report.valLoss !== undefined ? { valLoss: report.valLoss } : {}),
          ...(report.valAccuracy !== undefined ? { valAccuracy: report.valAccuracy } : {}),
        },
      });
      if (report.valLoss !== undefined) Object.assign(run.final, { valLoss: report.valLoss, valAccuracy: report.valAccuracy });
      return;
    }
    if (report.kind !== 'search' || !run.scheduler) return;
    this.broadcast(run, { loss: { trialId: report.trialId, step: report.step, learningRate: report.learningRate, loss: report.loss } });
    this.execute(run, run.scheduler.onLoss(report.trialId, report.step, report.loss));
  }

  private onTrialEvent(run: SweepRun, event: TrialEvent): void {
    if (event.trialId === FINAL_TRIAL_ID && run.final) {
      if (event.type === 'final-done') {
        Object.assign(run.final, { valLoss: event.valLoss, valAccuracy: event.valAccuracy, modelPath: event.modelPath, steps: event.steps });
        run.backends.add(event.backend);
        this.finish(run, 'COMPLETED');
      } else if (event.type === 'failed') {
        this.finish(run, 'FAILED', `final training failed: ${event.error}`);
      } else if (event.type === 'stopped' && run.state === 'FINAL_TRAINING') {
        this.finish(run, 'FAILED', `final training stopped at step ${event.step}: ${event.outcome === 'non-finite' ? 'the loss turned non-finite' : 'stopped'}`);
      }
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
        this.execute(run, scheduler.onBudgetReached(event.trialId, event.step, event.valLoss, event.valAccuracy));
        break;
      case 'stopped':
        // A trial that stopped itself on a non-finite loss; a stop we asked for is already decided.
        if (event.outcome === 'non-finite') this.execute(run, scheduler.onLoss(event.trialId, event.step + 1, NaN));
        break;
      case 'failed':
        this.execute(run, scheduler.onTrialFailed(event.trialId, event.error));
        break;
      default:
        break;
    }
    this.afterDecisions(run);
  }

  // ── scheduling ─────────────────────────────────────────────────────────────────────────────

  /** Hands free worker slots to sweeps, oldest sweep first. */
  private dispatch(): void {
    if (this.state !== 'RUNNING') return;
    for (const worker of this.workers.values()) {
      for (const run of this.sweeps.values()) {
        while (worker.busy.size < worker.slots && this.workers.has(worker.workerId)) {
          if (!this.assign(run, worker)) break;
        }
      }
    }
  }

  /** Gives one job of `run` to `worker`; false when the sweep has nothing for it. */
  private assign(run: SweepRun, worker: WorkerEntry): boolean {
    if (run.state === 'RANGE_TEST' && run.rangeTest) {
      const next = run.rangeTest.pending.shift();
      if (!next) return false;
      run.rangeTest.running.add(next.trialId);
      this.runOn(run, worker, { trialId: next.trialId, kind: 'TRIAL_KIND_RANGE_TEST', seed: next.seed });
      return true;
    }
    if (run.state === 'SEARCHING' && run.scheduler) {
      const command = run.scheduler.nextJob(worker.workerId);
      if (!command) return false;
      this.execute(run, [command]);
      this.afterDecisions(run);
      return true;
    }
    if (run.state === 'FINAL_TRAINING' && run.final && !run.final.started) {
      run.final.started = true;
      run.final.workerId = worker.workerId;
      this.runOn(run, worker, { trialId: FINAL_TRIAL_ID, kind: 'TRIAL_KIND_FINAL', seed: run.spec.seed, lrMin: run.final.lrMin, lrMax: run.final.lrMax });
      return true;
    }
    return false;
  }

  private runOn(run: SweepRun, worker: WorkerEntry, request: Omit<RunTrialRequest, 'sweepId' | 'spec'>): void {
    const key = `${run.id}/${request.trialId}`;
    worker.busy.add(key);
    run.placement.set(request.trialId!, worker.workerId);
    unary(worker.client, 'runTrial', { sweepId: run.id, spec: specToProto(run.spec), ...request }, { deadlineMs: this.options.workerCallDeadlineMs ?? 10_000 }).catch(
      (error: grpc.ServiceError) => {
        this.log(`RunTrial ${key} on ${worker.workerId} failed: ${error.message}`);
        worker.busy.delete(key);
        run.placement.delete(request.trialId!);
        if (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED) {
          this.loseWorker(worker, `RunTrial failed: ${error.details}`);
        } else if (run.scheduler && request.kind === 'TRIAL_KIND_SEARCH') {
          this.execute(run, run.scheduler.onTrialFailed(request.trialId!, `the worker refused it: ${error.details}`));
          this.afterDecisions(run);
        } else {
          this.finish(run, 'FAILED', `the worker refused ${request.trialId}: ${error.details}`);
        }
        this.dispatch();
      },
    );
  }

  /** Turns the core's commands into worker calls. */
  private execute(run: SweepRun, commands: readonly Command[]): void {
    for (const command of commands) {
      const worker = this.workers.get(command.workerId);
      if (command.type === 'start' || command.type === 'resume') {
        if (!worker) {
          this.execute(run, run.scheduler!.onWorkerLost(command.workerId));
          continue;
        }
        this.runOn(run, worker, { trialId: command.trialId, kind: 'TRIAL_KIND_SEARCH', seed: run.spec.seed, learningRate: command.learningRate, untilStep: command.untilStep });
      } else if (worker) {
        unary(worker.client, 'stopTrial', { sweepId: run.id, trialId: command.trialId }, { deadlineMs: this.options.workerCallDeadlineMs ?? 10_000 }).catch((error: grpc.ServiceError) => {
          this.log(`StopTrial ${run.id}/${command.trialId} on ${worker.workerId} failed: ${error.message}`);
        });
      }
    }
  }

  /** Streams new decisions to watchers and moves the sweep on when its search is over. */
  private afterDecisions(run: SweepRun): void {
    this.streamDecisions(run);
    if (run.state === 'SEARCHING' && run.scheduler?.isDone()) this.startFinal(run);
  }

  private streamDecisions(run: SweepRun): void {
    const scheduler = run.scheduler;
    if (!scheduler) return;
    for (const decision of scheduler.decisions.slice(run.streamedDecisions)) {
      this.broadcast(run, decision.kind === 'started' ? { trialStarted: trialToProto(scheduler.trial(decision.trialId)!) } : { decision: decisionToProto(decision) });
    }
    run.streamedDecisions = scheduler.decisions.length;
  }

  private startFinal(run: SweepRun): void {
    const { best, range } = run.scheduler!.outcome();
    if (!best || !range) {
      this.finish(run, 'FAILED', 'no rate survived the search: every rate diverged or failed (lower grid.max, or check the model and data)');
      return;
    }
    run.state = 'FINAL_TRAINING';
    run.final = { trialId: FINAL_TRIAL_ID, lrMin: range.min, lrMax: range.max, epochs: run.spec.final.epochs, steps: 0, totalSteps: 0, started: false };
    this.log(`sweep ${run.id}: search done, best lr ${best.learningRate}, final training over [${range.min}, ${range.max}]`);
    this.dispatch();
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
    });
    run.state = 'SEARCHING';
    this.dispatch();
  }

  private finish(run: SweepRun, state: 'COMPLETED' | 'FAILED' | 'CANCELLED', error?: string): void {
    if (run.state === 'COMPLETED' || run.state === 'FAILED' || run.state === 'CANCELLED') return;
    run.state = state;
    run.finishedMs = Date.now();
    if (error) run.error = error;
    this.log(`sweep ${run.id} ${state}${error ? `: ${error}` : ''}`);
    const done = this.toProto(run);
    for (const watcher of run.watchers) {
      watcher.write({ done });
      watcher.end();
    }
    run.watchers.clear();
    this.dispatch();
  }

  private broadcast(run: SweepRun, event: WatchSweepResponse): void {
    for (const watcher of run.watchers) watcher.write(event);
  }

  // ── the public API ─────────────────────────────────────────────────────────────────────────

  /** Accepts a validated spec; the sweep starts at once (what SubmitSweep does after validation). */
  submit(spec: SweepSpec): string {
    const id = `s-${randomUUID().slice(0, 13)}`;
    const now = Date.now();
    const run: SweepRun = { id, spec, state: 'PENDING', createdMs: now, startedMs: now, backends: new Set(), placement: new Map(), watchers: new Set(), streamedDecisions: 0 };
    this.sweeps.set(id, run);
    if (spec.search.strategy === 'auto') {
      run.state = 'RANGE_TEST';
      run.rangeTest = {
        pending: Array.from({ length: spec.rangeTest.seeds }, (_, k) => ({ trialId: `rt${k}`, seed: rangeTestSeedOf(spec.seed, `rt${k}`) })),
        running: new Set(),
        results: new Map(),
      };
      this.dispatch();
    } else {
      this.startSearch(run);
    }
    this.log(`sweep ${id} (${spec.name}) accepted: ${spec.search.strategy}, ${spec.grid.points} rates`);
    return id;
  }

  cancel(sweepId: string): SweepState | undefined {
    const run = this.sweeps.get(sweepId);
    if (!run) return undefined;
    if (run.state === 'COMPLETED' || run.state === 'FAILED' || run.state === 'CANCELLED') return run.state;
    if (run.scheduler) this.execute(run, run.scheduler.cancel());
    for (const [trialId, workerId] of run.placement) {
      if (trialId === FINAL_TRIAL_ID || trialId.startsWith('rt')) this.execute(run, [{ type: 'stop', trialId, workerId }]);
    }
    // Watchers see every trial's cancellation, then the end; no final training follows.
    this.streamDecisions(run);
    this.finish(run, 'CANCELLED');
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
    const backends = [...run.backends].filter((b) => b !== 'unknown');
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
      ...(run.final
        ? {
            final: {
              schedule: SCHEDULE_KIND[run.spec.final.schedule],
              lrMin: run.final.lrMin,
              lrMax: run.final.lrMax,
              epochs: run.final.epochs,
              steps: run.final.steps,
              totalSteps: run.final.totalSteps,
              ...(run.final.valLoss !== undefined ? { valLoss: run.final.valLoss } : {}),
              ...(run.final.valAccuracy !== undefined ? { valAccuracy: run.final.valAccuracy } : {}),
              modelPath: run.final.modelPath ?? '',
              workerId: run.final.workerId ?? '',
            },
          }
        : {}),
      decisions: (scheduler?.decisions ?? []).map((d: Decision) => decisionToProto(d)),
      wallSeconds: ((run.finishedMs ?? Date.now()) - run.startedMs) / 1000,
      error: run.error ?? '',
      createdUnixMs: run.createdMs,
    };
  }

  private handlers(): SweepServiceHandlers {
    return {
      SubmitSweep: (call, callback) => {
        if (this.state !== 'RUNNING') return callback({ code: grpc.status.UNAVAILABLE, details: `coordinator is ${this.state}` });
        if (!call.request.spec) return callback(invalidArgument('invalid SubmitSweep request', [{ field: 'spec', description: 'is required' }]));
        try {
          const spec = specFromProto(call.request.spec);
          callback(null, { sweepId: this.submit(spec) });
        } catch (error) {
          if (error instanceof ProtoSpecError) callback(invalidArgument('invalid sweep spec', error.violations));
          else callback({ code: grpc.status.INTERNAL, details: error instanceof Error ? error.message : String(error) });
        }
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
        const watcher: Watcher = { write: (event) => call.write(event), end: () => call.end() };
        run.watchers.add(watcher);
        call.on('cancelled', () => run.watchers.delete(watcher));
        call.write({ snapshot });
      },
      CancelSweep: (call, callback) => {
        const state = this.cancel(call.request.sweepId);
        if (!state) return callback({ code: grpc.status.NOT_FOUND, details: `no sweep ${call.request.sweepId}` });
        callback(null, { state: sweepStateName(state) });
      },
    };
  }

  /** Workers known now (for tests and `describe`). */
  workerIds(): string[] {
    return [...this.workers.keys()];
  }

  async shutdown(graceMs = 5000): Promise<void> {
    if (this.state === 'STOPPED') return;
    this.state = 'DRAINING';
    clearInterval(this.reaper);
    for (const run of this.sweeps.values()) for (const w of run.watchers) w.end();
    await this.grpcServer?.shutdown(graceMs);
    for (const worker of this.workers.values()) worker.client.close();
    if (this.nc && !this.nc.isClosed()) await this.nc.drain();
    await this.consuming;
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
