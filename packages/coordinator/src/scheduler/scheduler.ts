import { Curve, ReportWindow } from './curve.js';
import { RankedSet } from './ranked-set.js';
import { PROMOTION_PEERS, promotionPeers, promotionQuota, rankValue, rungBudgets, survivorQuota } from './rungs.js';

/**
 * The decision core of one sweep: a deterministic state machine over the trials of a log-spaced
 * grid. It does no I/O, reads no clock and draws no random number: events go in (a loss was
 * reported, a trial reached its budget, a slot is free, a worker left), commands come out (start,
 * resume, stop, release). Replaying the same events gives the same decisions.
 *
 * Cost: a loss report is O(1), plus the stagnation trend over its window's reports, one
 * comparison per divergence of a smaller rate (once each), and, only when its trend is flat, a
 * look at each peer's curve at that step (O(n log points)); every other event is O(log n) per
 * trial it changes (a promotion's evidence lists at most PROMOTION_PEERS + 1 peers; the stops
 * of a rung made final share one list of its peers). Trials are
 * indexed per rung in ranked sets (their validation loss there, ties by the smaller rate) and
 * counted by state, so no event scans the grid; see {@link NaiveSweepScheduler} in
 * naive-scheduler.ts for the straightforward version the tests compare it with.
 * Memory per trial is bounded, whatever the number of steps: at most `curvePoints` points of its
 * smoothed curve (default 512; beyond, older points are thinned out) and the raw reports of its
 * stagnation window (at most `windowReports`, default 1024), plus a copy of that window at its
 * last checkpoint. Within those bounds the decisions are those of the unbounded version; beyond,
 * they stay deterministic (a replay thins out the same points).
 *
 * Trial lifecycle:
 *   PENDING ──start──▶ RUNNING ──budget reached──▶ PAUSED ──promote──▶ RUNNING ... ──top rung──▶ COMPLETED
 *   RUNNING ──divergence / stagnation──▶ PRUNED (stop)       PAUSED ──rung final, not in top 1/η──▶ PRUNED (release)
 *   PAUSED ──rung final, fewer than η there (none go on), its best──▶ COMPLETED (release): the search ends
 *   RUNNING | PAUSED ──worker lost──▶ PENDING (restarted from step 0)     any live ──cancel──▶ CANCELLED
 */

export type Strategy = 'asha' | 'sh' | 'grid';
export type TrialState = 'PENDING' | 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'PRUNED' | 'FAILED' | 'CANCELLED';
export type PruneReason = 'diverged' | 'stagnant' | 'rung';
export type DecisionKind = 'started' | 'paused' | 'promoted' | 'pruned' | 'completed' | 'failed' | 'cancelled' | 'requeued';

export interface SchedulerConfig {
  strategy: Strategy;
  /** Ascending. Trial i trains at learningRates[i]. */
  learningRates: readonly number[];
  minSteps: number;
  maxSteps: number;
  reductionFactor: number;
  divergenceFactor: number;
  stagnation: { windowSteps: number; minRelImprovement: number };
  /** EMA factor applied per loss report (each report is already the mean of its window). */
  smoothing?: number;
  /**
   * Paused and checkpointed trials can continue on any worker (their state is in a shared
   * checkpoint store). Without it a paused trial resumes only where its state is kept, and a lost
   * worker's trials start again from scratch.
   */
  portable?: boolean;
  /** A trial that has lost this many workers under it fails instead of trying again. Default 3. */
  maxRetries?: number;
  /**
   * Points of each trial's smoothed curve kept in memory (the ordered grid and stagnation peers
   * read it): beyond, older points are thinned out. Default 512.
   */
  curvePoints?: number;
  /** Raw reports of each trial kept for the stagnation trend, newest first. Default 1024. */
  windowReports?: number;
}

export interface Peer {
  trialId: string;
  learningRate: number;
  value: number;
}

export interface Evidence {
  rule: 'non-finite' | 'divergence' | 'ordered-grid' | 'stagnation' | 'rung' | 'promotion' | 'budget' | 'worker-lost' | 'error' | 'cancel' | 'start';
  value: number;
  cutoff: number;
  rung: number;
  step: number;
  peers: Peer[];
}

export interface Decision {
  sequence: number;
  trialId: string;
  kind: DecisionKind;
  reason?: PruneReason;
  summary: string;
  evidence: Evidence;
}

export type Command =
  | { type: 'start'; trialId: string; workerId: string; learningRate: number; untilStep: number; attempt: number }
  /** Continue from the trial's kept state or checkpoint (at step `fromStep`) up to `untilStep`. */
  | { type: 'resume'; trialId: string; workerId: string; learningRate: number; untilStep: number; attempt: number; fromStep: number }
  /** Stop a running trial at its next step and free it. */
  | { type: 'stop'; trialId: string; workerId: string }
  /** Free the kept state of a paused trial. */
  | { type: 'release'; trialId: string; workerId: string };

export interface TrialView {
  trialId: string;
  index: number;
  learningRate: number;
  state: TrialState;
  reason?: PruneReason;
  steps: number;
  /** Smoothed training loss (NaN once it diverged to NaN or before any report). */
  loss: number;
  valLoss?: number;
  valAccuracy?: number;
  workerId?: string;
  /** Highest rung reached, -1 before the first. */
  rung: number;
  /** Validation loss at each rung reached (null where skipped). */
  rungValues: (number | null)[];
}

interface Trial {
  id: string;
  index: number;
  learningRate: number;
  state: TrialState;
  reason?: PruneReason;
  steps: number;
  /** Budget the trial is running (or will run) towards. */
  target: number;
  rung: number;
  workerId?: string;
  ema: number;
  emaCount: number;
  smoothed: number;
  lastFiniteSmoothed: number;
  best: number;
  /** Smoothed loss by step, for the ordered-grid comparison and peers (bounded). */
  history: Curve;
  /** Raw reports (each the mean loss of its window), for the stagnation trend (its window only). */
  reports: ReportWindow;
  /** Validation loss and accuracy recorded at each rung reached. */
  rungValues: (number | undefined)[];
  rungAccuracies: (number | undefined)[];
  promotedFrom: Set<number>;
  promotionDue: boolean;
  valLoss?: number;
  valAccuracy?: number;
  stepsSpent: number;
  failures: number;
  /** (Re)starts so far; reports of other attempts are stale. */
  attempt: number;
  /** Step of the last checkpoint in the shared store (0: none), and the loss statistics then. */
  checkpointStep: number;
  checkpointStats?: { ema: number; emaCount: number; best: number; smoothed: number; lastFiniteSmoothed: number };
  /** PENDING again after a lost worker, to resume from `checkpointStep` rather than start. */
  resumePending: boolean;
  /**
   * Divergences of smaller rates this trial is still to be compared with (indexes into
   * `divergences`, by step): each is judged once, at the first report at or past its step.
   */
  dueDivergences: number[];
  /** What the indexes hold for it (see `sync`). */
  indexed: Indexed;
}

/** A trial's place in the scheduler's indexes, as of its last `sync`. */
interface Indexed {
  state: TrialState;
  /** rungs.indexOf(target) while RUNNING. */
  targetRung: number;
  rung: number;
  due: boolean;
  workerId: string | undefined;
  /** Ranking value at each rung it has a value at (undefined where none). */
  keys: (number | undefined)[];
}

export interface Outcome {
  best: { trialId: string; learningRate: number; valLoss: number; valAccuracy: number } | null;
  /** Learning rates that survived the first cut (promoted at least once, never diverged or stagnant), and the best. */
  range: { min: number; max: number } | null;
}

const DEFAULT_SMOOTHING = 0.5;
/** A rate joins the surviving range only if its validation loss is at most this many times the best at its deepest rung. */
export const RANGE_TOLERANCE = 2;

export class SweepScheduler {
  readonly rungs: readonly number[];
  readonly decisions: Decision[] = [];
  private readonly trials: Trial[];
  private readonly byId = new Map<string, Trial>();
  /** Divergence points: at `step`, the trial at `learningRate` had smoothed loss `loss` and diverged. */
  private readonly divergences: { trialId: string; learningRate: number; step: number; loss: number }[] = [];
  private cancelled = false;
  /**
   * The lowest first report of any trial: every trial starts from the same weights and batches (one
   * seed per sweep), so a rate whose loss is already far above where the others started has blown up
   * from its first steps, even if it never rose above its own first report.
   */
  private startingLoss: number | undefined;
  /** Order in which pending rates start: spread over the grid, so early rungs compare far-apart rates. */
  private readonly startOrder: number[];
  /** Position of each trial in `startOrder`. */
  private readonly startPosition: number[];
  // ── indexes (kept by `sync`) ──
  /** Per rung: trials with a value there, by rank value then index. */
  private readonly ranked: RankedSet[];
  /** Per rung: paused trials there whose promotion is due, and those whose is not. */
  private readonly dueAt: RankedSet[];
  private readonly notDueAt: RankedSet[];
  /** Per rung, without portable state: the due trials of each worker. */
  private readonly dueByWorker: Map<string, RankedSet>[];
  /** Pending trials by start position. */
  private readonly pendingByStart = new RankedSet();
  /** Running trials by rung of their target (index 0: a target that is no rung). */
  private readonly runningTowards: number[];
  private pausedCount = 0;
  private totalStepsSpent = 0;

  constructor(
    readonly config: SchedulerConfig,
    trialIds: readonly string[] = config.learningRates.map((_, i) => `t${String(i).padStart(3, '0')}`),
  ) {
    if (trialIds.length !== config.learningRates.length) throw new RangeError('one trial id per learning rate');
    for (let i = 1; i < config.learningRates.length; i++) {
      if (!(config.learningRates[i]! > config.learningRates[i - 1]!)) throw new RangeError('learning rates must be strictly ascending');
    }
    this.rungs = config.strategy === 'grid' ? [config.maxSteps] : rungBudgets(config.minSteps, config.maxSteps, config.reductionFactor);
    this.curvePoints = Math.max(4, config.curvePoints ?? 512);
    this.windowReports = Math.max(4, config.windowReports ?? 1024);
    this.trials = config.learningRates.map((learningRate, index) => ({
      id: trialIds[index]!,
      index,
      learningRate,
      state: 'PENDING',
      ...freshProgress(this.rungs[0]!, this.curvePoints, this.windowReports),
      stepsSpent: 0,
      failures: 0,
      attempt: 0,
      dueDivergences: [],
      indexed: { state: 'CANCELLED', targetRung: -1, rung: -1, due: false, workerId: undefined, keys: [] },
    }));
    for (const t of this.trials) this.byId.set(t.id, t);
    this.startOrder = spreadOrder(this.trials.length);
    this.startPosition = new Array<number>(this.trials.length);
    this.startOrder.forEach((index, position) => (this.startPosition[index] = position));
    const perRung = <T>(make: () => T) => this.rungs.map(make);
    this.ranked = perRung(() => new RankedSet());
    this.dueAt = perRung(() => new RankedSet());
    this.notDueAt = perRung(() => new RankedSet());
    this.dueByWorker = perRung(() => new Map<string, RankedSet>());
    this.runningTowards = new Array<number>(this.rungs.length + 1).fill(0);
    // Nothing is indexed yet ('CANCELLED' counts nowhere): index every trial as PENDING.
    for (const t of this.trials) this.sync(t);
  }

  private readonly curvePoints: number;
  private readonly windowReports: number;

  // ── queries ────────────────────────────────────────────────────────────────────────────────

  trial(trialId: string): TrialView | undefined {
    const t = this.byId.get(trialId);
    return t && this.view(t);
  }

  allTrials(): TrialView[] {
    return this.trials.map((t) => this.view(t));
  }

  private view(t: Trial): TrialView {
    return {
      trialId: t.id,
      index: t.index,
      learningRate: t.learningRate,
      state: t.state,
      ...(t.reason ? { reason: t.reason } : {}),
      steps: t.steps,
      loss: t.smoothed,
      ...(t.valLoss !== undefined ? { valLoss: t.valLoss } : {}),
      ...(t.valAccuracy !== undefined ? { valAccuracy: t.valAccuracy } : {}),
      ...(t.workerId ? { workerId: t.workerId } : {}),
      rung: t.rung,
      rungValues: Array.from(t.rungValues, (v) => v ?? null),
    };
  }

  /** The trial's current attempt (0 before its first start). */
  attemptOf(trialId: string): number {
    return this.byId.get(trialId)?.attempt ?? 0;
  }

  /** Steps trained by all trials, restarts included. */
  stepsSpent(): number {
    return this.totalStepsSpent;
  }

  fullGridSteps(): number {
    return this.trials.length * this.config.maxSteps;
  }

  /** True when no trial is pending, running or paused. */
  isDone(): boolean {
    return this.pendingByStart.size === 0 && this.runningCount() === 0 && this.pausedCount === 0;
  }

  /**
   * Once no trial can report again (the search is over), forgets the loss curves: nothing reads
   * them any more, and a coordinator keeps many finished sweeps. Views, decisions and the outcome
   * stay. No effect before.
   */
  releaseCurves(): void {
    if (!this.isDone()) return;
    for (const t of this.trials) {
      if (t.history.length === 0 && t.reports.length === 0) continue;
      t.history = new Curve(4);
      t.reports = new ReportWindow(4);
      t.dueDivergences = [];
    }
  }

  private runningCount(): number {
    let n = 0;
    for (const c of this.runningTowards) n += c;
    return n;
  }

  /** Whether this sweep has work for a free slot on `workerId` (without taking it). */
  hasWork(workerId: string): boolean {
    return this.pickJob(workerId) !== undefined;
  }

  // ── events ─────────────────────────────────────────────────────────────────────────────────

  /**
   * A free slot on `workerId` asks for work. ASHA: the best promotable paused trial whose state
   * this worker holds (top rungs first), else the next pending rate. SH: promotions only once a
   * rung is complete. Grid: pending rates only.
   */
  nextJob(workerId: string): Command | undefined {
    const job = this.pickJob(workerId);
    if (!job) return undefined;
    const { trial: t, promotion } = job;
    if (promotion) {
      const fromRung = t.rung;
      t.promotedFrom.add(fromRung);
      t.promotionDue = false;
      t.target = this.rungs[fromRung + 1]!;
      t.state = 'RUNNING';
      this.sync(t);
      const position = this.positionAt(fromRung, t);
      const self = { trialId: t.id, learningRate: t.learningRate, value: t.indexed.keys[fromRung]! };
      this.decide(t, 'promoted', undefined, `lr ${fmt(t.learningRate)} promoted from rung ${fromRung} (${this.rungs[fromRung]} steps) to ${t.target} steps: val loss ${fmt(t.rungValues[fromRung])} ranks ${position + 1} of ${this.ranked[fromRung]!.size}`, {
        rule: 'promotion',
        value: t.rungValues[fromRung] ?? NaN,
        cutoff: this.cutoffAt(fromRung),
        rung: fromRung,
        step: t.steps,
        peers: promotionPeers(this.bestAt(fromRung, PROMOTION_PEERS), self, position),
      });
      t.attempt += 1;
      const fromStep = t.steps;
      t.workerId = workerId;
      this.sync(t);
      return { type: 'resume', trialId: t.id, workerId, learningRate: t.learningRate, untilStep: t.target, attempt: t.attempt, fromStep };
    }
    t.state = 'RUNNING';
    t.workerId = workerId;
    t.attempt += 1;
    this.sync(t);
    if (t.resumePending) {
      t.resumePending = false;
      this.decide(t, 'started', undefined, `lr ${fmt(t.learningRate)} resumed on ${workerId} from its checkpoint at step ${t.steps}, towards ${t.target} steps`, {
        rule: 'start',
        value: t.learningRate,
        cutoff: NaN,
        rung: Math.max(0, this.rungs.indexOf(t.target)),
        step: t.steps,
        peers: [],
      });
      return { type: 'resume', trialId: t.id, workerId, learningRate: t.learningRate, untilStep: t.target, attempt: t.attempt, fromStep: t.steps };
    }
    t.target = this.rungs[0]!;
    this.sync(t);
    this.decide(t, 'started', undefined, `lr ${fmt(t.learningRate)} started on ${workerId} towards ${t.target} steps`, {
      rule: 'start',
      value: t.learningRate,
      cutoff: NaN,
      rung: 0,
      step: 0,
      peers: [],
    });
    return { type: 'start', trialId: t.id, workerId, learningRate: t.learningRate, untilStep: t.target, attempt: t.attempt };
  }

  private pickJob(workerId: string): { trial: Trial; promotion: boolean } | undefined {
    if (this.cancelled) return undefined;
    if (this.config.strategy !== 'grid') {
      // The best due paused trial this worker can resume (its own, or any whose checkpoint is saved), top rungs first.
      for (let k = this.rungs.length - 2; k >= 0; k--) {
        const best = this.config.portable === true ? this.firstResumable(this.dueAt[k]!, workerId) : this.dueByWorker[k]!.get(workerId)?.min();
        if (best) return { trial: this.trials[best.index]!, promotion: true };
      }
    }
    const first = this.pendingByStart.min();
    return first ? { trial: this.trials[first.index]!, promotion: false } : undefined;
  }

  /**
   * The best entry of `due` that `workerId` can resume: its own paused trial (the state is in its
   * memory) or one whose checkpoint at the paused step is saved. Those skipped are the few paused
   * moments ago on other workers, their checkpoints still being written.
   */
  private firstResumable(due: RankedSet, workerId: string): { value: number; index: number } | undefined {
    for (let position = 0; position < due.size; position++) {
      const entry = due.at(position)!;
      const t = this.trials[entry.index]!;
      if (t.workerId === workerId || t.checkpointStep === t.steps) return entry;
    }
    return undefined;
  }

  /**
   * A loss report: the mean training loss of the steps since the last report. Divergence is judged
   * at once (not at the next rung), then the ordered grid, then stagnation. Returns stop commands.
   */
  onLoss(trialId: string, step: number, loss: number, attempt?: number): Command[] {
    const t = this.byId.get(trialId);
    if (!t || t.state !== 'RUNNING' || step <= t.steps || (attempt !== undefined && attempt !== t.attempt)) return [];
    this.account(t, step);
    const beta = this.config.smoothing ?? DEFAULT_SMOOTHING;
    if (Number.isFinite(loss)) {
      t.ema = beta * t.ema + (1 - beta) * loss;
      t.emaCount += 1;
      t.smoothed = t.ema / (1 - beta ** t.emaCount);
      t.lastFiniteSmoothed = t.smoothed;
      t.history.push(step, t.smoothed);
      const first = t.reports.firstStep === undefined;
      // Only the stagnation window's reports are kept (and a copy of it at each checkpoint).
      t.reports.push(step, loss, step - this.config.stagnation.windowSteps);
      if (first) this.startingLoss = Math.min(this.startingLoss ?? Infinity, loss);
    } else {
      t.smoothed = NaN;
    }
    const commands: Command[] = [];
    if (this.config.strategy === 'grid') {
      // The full-budget baseline prunes nothing, but a NaN trial has nothing left to learn.
      if (!Number.isFinite(loss)) this.prune(t, 'diverged', `lr ${fmt(t.learningRate)} stopped at step ${step}: loss is ${loss}`, this.evidence('non-finite', loss, NaN, t), commands);
      return commands;
    }
    if (!Number.isFinite(loss)) {
      this.diverge(t, step, `lr ${fmt(t.learningRate)} diverged at step ${step}: loss is ${loss}`, this.evidence('non-finite', loss, NaN, t), commands);
      this.settle(commands);
      return commands;
    }
    const firstSmoothed = t.history.first!;
    const reference = Math.min(t.best, firstSmoothed, this.startingLoss ?? Infinity);
    const limit = this.config.divergenceFactor * reference;
    if (t.smoothed > limit) {
      const what = reference < Math.min(t.best, firstSmoothed) ? 'the starting loss of the sweep' : 'its best';
      this.diverge(
        t,
        step,
        `lr ${fmt(t.learningRate)} diverged at step ${step}: smoothed loss ${fmt(t.smoothed)} > ${this.config.divergenceFactor} × ${what} ${fmt(reference)}`,
        this.evidence('divergence', t.smoothed, limit, t),
        commands,
      );
      this.settle(commands);
      return commands;
    }
    t.best = Math.min(t.best, t.smoothed);
    this.applyOrderedGrid(t, step, commands);
    if (t.state === 'RUNNING') this.checkStagnation(t, step, commands);
    if (t.state !== 'RUNNING') this.settle(commands);
    return commands;
  }

  /**
   * A trial trained to its budget and evaluated: it pauses at the rung (or completes at the top
   * rung). Rung decisions follow: promotions become due, complete rungs prune their rest.
   */
  onBudgetReached(trialId: string, step: number, valLoss: number, valAccuracy: number, options: { attempt?: number; checkpointed?: boolean } = {}): Command[] {
    const t = this.byId.get(trialId);
    if (!t || t.state !== 'RUNNING' || (options.attempt !== undefined && options.attempt !== t.attempt)) return [];
    this.account(t, step);
    if (options.checkpointed) this.markCheckpoint(t, step);
    const rung = this.rungs.indexOf(t.target);
    t.rung = rung;
    t.rungValues[rung] = valLoss;
    t.rungAccuracies[rung] = valAccuracy;
    t.valLoss = valLoss;
    t.valAccuracy = valAccuracy;
    const commands: Command[] = [];
    if (!Number.isFinite(valLoss)) {
      this.diverge(t, step, `lr ${fmt(t.learningRate)} diverged: validation loss is ${valLoss} at step ${step}`, this.evidence('non-finite', valLoss, NaN, t), commands);
      this.settle(commands);
      return commands;
    }
    if (rung === this.rungs.length - 1) {
      t.state = 'COMPLETED';
      this.sync(t);
      this.decide(t, 'completed', undefined, `lr ${fmt(t.learningRate)} completed ${step} steps: val loss ${fmt(valLoss)}, accuracy ${(valAccuracy * 100).toFixed(1)}%`, {
        ...this.evidence('budget', valLoss, NaN, t),
        rung,
      });
      // A completed trial keeps nothing on its worker.
      if (t.workerId) commands.push({ type: 'release', trialId: t.id, workerId: t.workerId });
    } else {
      t.state = 'PAUSED';
      this.sync(t);
      this.decide(t, 'paused', undefined, `lr ${fmt(t.learningRate)} reached rung ${rung} (${step} steps): val loss ${fmt(valLoss)}`, { ...this.evidence('budget', valLoss, NaN, t), rung });
    }
    this.settle(commands);
    return commands;
  }

  /**
   * The trial's state was saved to the shared checkpoint store at `step`. A running attempt's
   * checkpoints arrive as it trains. The state a trial paused with is saved after its budget is
   * reported (so the freed slot does not wait for the store): it arrives while the trial is
   * paused, or once promoted on the same worker, from the previous attempt at the step resumed
   * from, before the new attempt's first report. Only then is the paused trial portable.
   */
  onCheckpointed(trialId: string, step: number, attempt?: number): void {
    const t = this.byId.get(trialId);
    if (!t) return;
    const current = attempt === undefined || attempt === t.attempt;
    if (t.state === 'RUNNING' && current) {
      this.account(t, step);
      this.markCheckpoint(t, step);
      return;
    }
    // The statistics now are those of that step: nothing has been reported since.
    if (step === t.steps && ((t.state === 'PAUSED' && current) || (t.state === 'RUNNING' && attempt === t.attempt - 1))) this.markCheckpoint(t, step);
  }

  private markCheckpoint(t: Trial, step: number): void {
    if (step < t.checkpointStep) return;
    t.checkpointStep = step;
    t.reports.mark(step, this.config.stagnation.windowSteps);
    t.checkpointStats = { ema: t.ema, emaCount: t.emaCount, best: t.best, smoothed: t.smoothed, lastFiniteSmoothed: t.lastFiniteSmoothed };
  }

  /** The worker reported the trial failed (an exception, not a divergence). */
  onTrialFailed(trialId: string, error: string, attempt?: number): Command[] {
    const t = this.byId.get(trialId);
    if (!t || (t.state !== 'RUNNING' && t.state !== 'PAUSED') || (attempt !== undefined && attempt !== t.attempt)) return [];
    t.state = 'FAILED';
    t.failures += 1;
    this.sync(t);
    this.decide(t, 'failed', undefined, `lr ${fmt(t.learningRate)} failed: ${error}`, this.evidence('error', NaN, NaN, t));
    const commands: Command[] = [];
    this.settle(commands);
    return commands;
  }

  /**
   * A worker is gone. Its running trials continue elsewhere from their last checkpoint (from
   * scratch without one); its paused trials stay paused and resume anywhere when portable, else
   * start again. A trial that has lost more than `maxRetries` workers fails.
   */
  onWorkerLost(workerId: string): Command[] {
    for (const t of this.trials) {
      if (t.workerId !== workerId || (t.state !== 'RUNNING' && t.state !== 'PAUSED')) continue;
      this.requeue(t, `worker ${workerId} left`);
    }
    const commands: Command[] = [];
    this.settle(commands);
    return commands;
  }

  /** A running trial that no worker runs (found when a restarted coordinator reconciles). */
  onTrialLost(trialId: string, attempt: number, why: string, options: { countsAsFailure?: boolean; checkpointMissing?: boolean } = {}): Command[] {
    const t = this.byId.get(trialId);
    if (!t || t.state !== 'RUNNING' || t.attempt !== attempt) return [];
    // A checkpoint that cannot be read is no checkpoint: start again from scratch.
    if (options.checkpointMissing) {
      t.checkpointStep = 0;
      t.checkpointStats = undefined;
    }
    if (options.countsAsFailure === false) t.failures -= 1;
    this.requeue(t, why);
    const commands: Command[] = [];
    this.settle(commands);
    return commands;
  }

  private requeue(t: Trial, why: string): void {
    const portable = this.config.portable === true;
    if (t.state === 'PAUSED' && portable && t.checkpointStep === t.steps) {
      t.workerId = undefined;
      this.sync(t);
      this.decide(t, 'requeued', undefined, `lr ${fmt(t.learningRate)} stays paused at step ${t.steps} (${why}); its checkpoint lets any worker resume it`, this.evidence('worker-lost', t.steps, NaN, t));
      return;
    }
    if (t.state === 'RUNNING') t.failures += 1;
    const retries = this.config.maxRetries ?? 3;
    if (t.failures > retries) {
      t.state = 'FAILED';
      this.sync(t);
      this.decide(t, 'failed', undefined, `lr ${fmt(t.learningRate)} failed: it lost ${t.failures} workers (${why}); the retry budget is ${retries}`, this.evidence('worker-lost', t.failures, retries, t));
      return;
    }
    const from = portable ? t.checkpointStep : 0;
    this.decide(
      t,
      'requeued',
      undefined,
      `lr ${fmt(t.learningRate)} requeued at step ${t.steps} (${why}): ${from > 0 ? `resumes from its checkpoint at step ${from}` : 'starts again from scratch'}`,
      this.evidence('worker-lost', t.steps, from, t),
    );
    t.state = 'PENDING';
    t.workerId = undefined;
    t.promotionDue = false;
    if (from > 0) {
      // Back to the checkpoint: what was learned after it is lost, and will be learned again.
      t.steps = from;
      t.history.truncate(from);
      t.reports.truncate(from);
      t.rungValues = t.rungValues.slice(0, Math.max(0, this.rungs.findIndex((r) => r > from)));
      t.rungAccuracies = t.rungAccuracies.slice(0, t.rungValues.length);
      t.rung = t.rungValues.length - 1;
      if (t.checkpointStats) Object.assign(t, t.checkpointStats);
      t.resumePending = true;
    } else {
      Object.assign(t, freshProgress(this.rungs[0]!, this.curvePoints, this.windowReports), { valLoss: undefined, valAccuracy: undefined });
    }
    // Its curve goes back: every divergence of a smaller rate is judged again as it reports again.
    t.dueDivergences = [];
    for (let i = 0; i < this.divergences.length; i++) if (this.divergences[i]!.learningRate < t.learningRate) this.addDueDivergence(t, i);
    this.sync(t);
  }

  /** Cancels every live trial. */
  cancel(): Command[] {
    this.cancelled = true;
    const commands: Command[] = [];
    for (const t of this.trials) {
      if (t.state === 'RUNNING' && t.workerId) commands.push({ type: 'stop', trialId: t.id, workerId: t.workerId });
      if (t.state === 'PAUSED' && t.workerId) commands.push({ type: 'release', trialId: t.id, workerId: t.workerId });
      if (t.state === 'PENDING' || t.state === 'RUNNING' || t.state === 'PAUSED') {
        t.state = 'CANCELLED';
        this.sync(t);
        this.decide(t, 'cancelled', undefined, `lr ${fmt(t.learningRate)} cancelled at step ${t.steps}`, this.evidence('cancel', t.steps, NaN, t));
      }
    }
    return commands;
  }

  // ── outcome ────────────────────────────────────────────────────────────────────────────────

  outcome(): Outcome {
    // Best: the lowest validation loss at the deepest rung any live-ranked trial reached.
    let best: Outcome['best'] = null;
    for (let k = this.rungs.length - 1; k >= 0 && !best; k--) {
      const ranked = this.trials
        .filter((t) => t.rungValues[k] !== undefined && t.reason !== 'diverged' && Number.isFinite(t.rungValues[k]))
        .sort((a, b) => compareRank(a, b, k));
      const top = ranked[0];
      if (top) best = { trialId: top.id, learningRate: top.learningRate, valLoss: top.rungValues[k]!, valAccuracy: top.rungAccuracies[k] ?? NaN };
    }
    const survivors =
      this.config.strategy === 'grid'
        ? this.trials
            .filter((t) => t.state === 'COMPLETED')
            .sort((a, b) => compareRank(a, b, 0))
            .slice(0, survivorQuota(this.trials.filter((t) => t.state === 'COMPLETED').length, this.config.reductionFactor))
        : this.trials.filter((t) => t.promotedFrom.size > 0 && t.reason !== 'diverged' && t.reason !== 'stagnant');
    // A survivor must also be competitive where it stopped: within RANGE_TOLERANCE of the best
    // validation loss at the deepest rung it reached. Asynchronous promotion lets a rate through
    // rung 0 on few results (e.g. a collapsed network at chance, whose loss still fell from the
    // start), and a range that reaches such a rate ruins the final training that peaks there.
    const deepest = (t: Trial) => {
      for (let k = t.rungValues.length - 1; k >= 0; k--) if (t.rungValues[k] !== undefined) return k;
      return -1;
    };
    const bestAt = (k: number) => Math.min(...this.trials.map((t) => t.rungValues[k]).filter((v): v is number => v !== undefined && Number.isFinite(v)));
    const competitive = survivors.filter((t) => {
      const k = deepest(t);
      return k < 0 || t.rungValues[k]! <= RANGE_TOLERANCE * bestAt(k);
    });
    // The best rate is always inside the range, even when a noisy plateau stopped it as stagnant.
    const rates = [...competitive.map((t) => t.learningRate), ...(best ? [best.learningRate] : [])];
    return { best, range: rates.length > 0 ? { min: Math.min(...rates), max: Math.max(...rates) } : null };
  }

  // ── rules ──────────────────────────────────────────────────────────────────────────────────

  private account(t: Trial, step: number): void {
    const spent = Math.max(0, step - t.steps);
    t.stepsSpent += spent;
    this.totalStepsSpent += spent;
    t.steps = Math.max(t.steps, step);
  }

  private diverge(t: Trial, step: number, summary: string, evidence: Evidence, commands: Command[]): void {
    const loss = Number.isFinite(t.lastFiniteSmoothed) ? Math.max(t.lastFiniteSmoothed, Number.isFinite(t.smoothed) ? t.smoothed : -Infinity) : Infinity;
    this.prune(t, 'diverged', summary, evidence, commands);
    const d = this.divergences.length;
    this.divergences.push({ trialId: t.id, learningRate: t.learningRate, step, loss });
    // Every larger rate that can still run is to be compared with it; those already past this
    // step that do no better are pruned with it now (rates ascend with the index).
    for (let i = t.index + 1; i < this.trials.length; i++) {
      const other = this.trials[i]!;
      if (other.state !== 'PENDING' && other.state !== 'RUNNING' && other.state !== 'PAUSED') continue;
      this.addDueDivergence(other, d);
      if (other.learningRate > t.learningRate && other.state === 'RUNNING' && other.steps >= step) this.applyOrderedGrid(other, other.steps, commands);
    }
  }

  /** Files divergence `d` among those `t` is still to be compared with, by step (then by age). */
  private addDueDivergence(t: Trial, d: number): void {
    const step = this.divergences[d]!.step;
    const due = t.dueDivergences;
    let at = due.length;
    while (at > 0 && this.divergences[due[at - 1]!]!.step > step) at -= 1;
    due.splice(at, 0, d);
  }

  /**
   * The ordered grid: a rate is a point on a line. A larger rate than one that diverged, doing no
   * better at the step where it diverged, goes with it.
   */
  private applyOrderedGrid(t: Trial, step: number, commands: Command[]): void {
    // Each divergence is judged once, at the first report at or past its step: the trial's curve
    // up to that step is final then (until a resume takes it back, which files it again). Of those
    // judged now, the oldest that prunes names the trial's reason, as a full pass in order would.
    const due = t.dueDivergences;
    if (t.state !== 'RUNNING' || due.length === 0 || this.divergences[due[0]!]!.step > step) return;
    let judged = 0;
    let pruning: number | undefined;
    let pruningAt = NaN;
    while (judged < due.length && this.divergences[due[judged]!]!.step <= step) {
      const index = due[judged]!;
      judged += 1;
      const d = this.divergences[index]!;
      const at = t.history.at(d.step);
      if (at !== undefined && !(at < d.loss) && (pruning === undefined || index < pruning)) {
        pruning = index;
        pruningAt = at;
      }
    }
    due.splice(0, judged);
    if (pruning !== undefined) {
      const d = this.divergences[pruning]!;
      const at = pruningAt;
      {
        this.prune(
          t,
          'diverged',
          `lr ${fmt(t.learningRate)} pruned with lr ${fmt(d.learningRate)}, which diverged at step ${d.step}: smoothed loss ${fmt(at)} is no better than its ${fmt(d.loss)}`,
          { ...this.evidence('ordered-grid', at, d.loss, t), step: d.step, peers: [{ trialId: d.trialId, learningRate: d.learningRate, value: d.loss }] },
          commands,
        );
      }
    }
  }

  private checkStagnation(t: Trial, step: number, commands: Command[]): void {
    const { windowSteps, minRelImprovement } = this.config.stagnation;
    if (step < windowSteps) return;
    // The trend over the window, by least squares over its reports: two noisy points would stop a
    // good high rate on one unlucky batch.
    if (t.reports.firstStep === undefined || t.reports.firstStep > step - windowSteps) return;
    const window = t.reports.since(step - windowSteps);
    if (window.length < 3) return;
    const { estimate: improvement, upper } = relativeImprovement(window, windowSteps);
    if (upper >= minRelImprovement) return;
    // A plateau at the lowest loss any rate reached by this step is convergence, not stagnation:
    // only a trial that is both flat and behind a peer is stopped.
    const peers = this.trials
      .filter((o) => o !== t && o.reason !== 'diverged')
      .map((o) => ({ trialId: o.id, learningRate: o.learningRate, value: o.history.at(step) ?? NaN }))
      .filter((p) => Number.isFinite(p.value));
    const leader = peers.reduce<Peer | undefined>((best, p) => (!best || p.value < best.value ? p : best), undefined);
    if (!leader || !(leader.value < t.smoothed)) return;
    {
      this.prune(
        t,
        'stagnant',
        `lr ${fmt(t.learningRate)} stagnant at step ${step}: loss ${improvement >= 0 ? `fell ${(improvement * 100).toFixed(2)}%` : `rose ${(-improvement * 100).toFixed(2)}%`} over ${windowSteps} steps (improvement at best ${(upper * 100).toFixed(2)}% < ${(minRelImprovement * 100).toFixed(2)}%), behind lr ${fmt(leader.learningRate)} (${fmt(leader.value)} < ${fmt(t.smoothed)})`,
        { ...this.evidence('stagnation', improvement, minRelImprovement, t), peers: [leader] },
        commands,
      );
    }
  }

  private prune(t: Trial, reason: PruneReason, summary: string, evidence: Evidence, commands: Command[]): void {
    if (t.workerId && t.state === 'RUNNING') commands.push({ type: 'stop', trialId: t.id, workerId: t.workerId });
    if (t.workerId && t.state === 'PAUSED') commands.push({ type: 'release', trialId: t.id, workerId: t.workerId });
    t.state = 'PRUNED';
    t.reason = reason;
    t.promotionDue = false;
    t.dueDivergences = [];
    this.sync(t);
    this.decide(t, 'pruned', reason, summary, evidence);
  }

  /** Trials that recorded a value at rung k, best first (diverged and non-finite last). */
  /** The first `count` trials ranked at rung k, best first: O(count · log n). */
  private bestAt(k: number, count: number): Peer[] {
    const ranked = this.ranked[k]!;
    const peers: Peer[] = [];
    for (let position = 0; position < Math.min(count, ranked.size); position++) {
      const { value, index } = ranked.at(position)!;
      const t = this.trials[index]!;
      peers.push({ trialId: t.id, learningRate: t.learningRate, value });
    }
    return peers;
  }

  private rankedAt(k: number): Peer[] {
    return this.ranked[k]!.toArray().map(({ value, index }) => {
      const t = this.trials[index]!;
      return { trialId: t.id, learningRate: t.learningRate, value };
    });
  }

  /** 0-based position of `t` among the trials ranked at rung k. */
  private positionAt(k: number, t: Trial): number {
    return this.ranked[k]!.rank(t.indexed.keys[k]!, t.index);
  }

  private cutoffAt(k: number): number {
    const quota = promotionQuota(this.ranked[k]!.size, this.config.reductionFactor);
    return quota > 0 ? this.ranked[k]!.at(quota - 1)!.value : -Infinity;
  }

  /**
   * Rung k is final when nothing more can arrive at it: no pending trial, nothing running towards
   * it or below, no due promotion from below, and every lower rung final. Unrolled, the last
   * clause adds nothing (a lower rung is final under the same conditions, restricted below it):
   * counters answer in O(rungs).
   */
  private rungIsFinal(k: number): boolean {
    if (this.pendingByStart.size > 0 || this.runningTowards[0]! > 0) return false;
    for (let j = 0; j <= k; j++) if (this.runningTowards[j + 1]! > 0) return false;
    for (let j = 0; j < k; j++) if (this.dueAt[j]!.size > 0) return false;
    return true;
  }

  /** Marks due promotions and prunes what complete rungs leave behind, bottom-up. */
  private settle(commands: Command[]): void {
    if (this.config.strategy === 'grid' || this.cancelled) return;
    for (let k = 0; k < this.rungs.length - 1; k++) {
      const final = this.rungIsFinal(k);
      // Synchronous halving decides only on complete rungs; ASHA as soon as a trial is in the top 1/η.
      if (this.config.strategy === 'sh' && !final) break;
      const ranked = this.ranked[k]!;
      const quota = promotionQuota(ranked.size, this.config.reductionFactor);
      // Re-judged every time: a trial due earlier can drop out of the top 1/η as the rung fills.
      // Due: the paused trials ranked in the top `quota`, i.e. at or before the quota-th entry.
      // Only the flags that change are touched: due ones now past the cut, then others now before it.
      const cut = quota > 0 ? ranked.at(quota - 1)! : undefined;
      const before = (e: { value: number; index: number }) => cut !== undefined && (e.value < cut.value || (e.value === cut.value && e.index <= cut.index));
      for (let e = this.dueAt[k]!.max(); e && !before(e); e = this.dueAt[k]!.max()) this.setDue(this.trials[e.index]!, false);
      for (let e = this.notDueAt[k]!.min(); e && before(e); e = this.notDueAt[k]!.min()) this.setDue(this.trials[e.index]!, true);
      if (!final || this.notDueAt[k]!.size === 0) continue;
      // Final: every paused trial not due stops here, in rank order, all with the same peers. A
      // rung that sends none on (fewer than η trials) ends the search: its best paused trial is
      // the winner and completes here.
      const peers = this.rankedAt(k);
      const winner = quota === 0 ? this.notDueAt[k]!.min() : undefined;
      for (const e of this.notDueAt[k]!.toArray()) {
        const t = this.trials[e.index]!;
        const position = ranked.rank(e.value, e.index);
        if (winner?.index === e.index && Number.isFinite(e.value)) {
          this.completeAtRung(t, k, position, ranked.size, peers, commands);
          continue;
        }
        this.prune(t, 'rung', `lr ${fmt(t.learningRate)} stopped at rung ${k} (${this.rungs[k]} steps): val loss ${fmt(t.rungValues[k])} ranks ${position + 1} of ${ranked.size}, ${quota > 0 ? `only the top ${quota} go on` : `too few for any to go on (the top 1/${this.config.reductionFactor})`}`, {
          rule: 'rung',
          value: rankValue(t.rungValues[k], false),
          cutoff: quota > 0 ? peers[quota - 1]!.value : -Infinity,
          rung: k,
          step: t.steps,
          peers,
        }, commands);
      }
    }
  }

  /**
   * The best of a final rung that sends none on: the search's winner, done at this rung. A lone
   * promotion would train it on with nothing to rank it against; the final training that follows
   * trains its rate in full (and guards it against divergence).
   */
  private completeAtRung(t: Trial, k: number, position: number, size: number, peers: Peer[], commands: Command[]): void {
    t.state = 'COMPLETED';
    t.promotionDue = false;
    this.sync(t);
    const value = rankValue(t.rungValues[k], false);
    this.decide(
      t,
      'completed',
      undefined,
      `lr ${fmt(t.learningRate)} completed at rung ${k} (${this.rungs[k]} steps): val loss ${fmt(t.rungValues[k])} ranks ${position + 1} of ${size}, too few for the top 1/${this.config.reductionFactor} to go on, so the search ends here with it as the best`,
      { rule: 'rung', value, cutoff: value, rung: k, step: t.steps, peers },
    );
    // A completed trial keeps nothing on its worker.
    if (t.workerId) commands.push({ type: 'release', trialId: t.id, workerId: t.workerId });
  }

  private setDue(t: Trial, due: boolean): void {
    t.promotionDue = due;
    this.sync(t);
  }

  /**
   * Brings the indexes in line with the trial after a change of its state, target, rung,
   * promotion flag, worker, rung values or divergence: takes out what they held for it and puts
   * in what holds now. O(rungs + log n).
   */
  private sync(t: Trial): void {
    const old = t.indexed;
    const now: Indexed = {
      state: t.state,
      targetRung: t.state === 'RUNNING' ? this.rungs.indexOf(t.target) : -1,
      rung: t.rung,
      due: t.promotionDue,
      workerId: t.workerId,
      keys: this.rungs.map((_, k) => (t.rungValues[k] === undefined ? undefined : rankValue(t.rungValues[k], t.reason === 'diverged'))),
    };
    const same = old.state === now.state && old.targetRung === now.targetRung && old.rung === now.rung && old.due === now.due && old.workerId === now.workerId;
    for (let k = 0; k < this.rungs.length; k++) {
      if (old.keys[k] === now.keys[k]) continue;
      if (old.keys[k] !== undefined) this.ranked[k]!.delete(old.keys[k]!, t.index);
      if (now.keys[k] !== undefined) this.ranked[k]!.insert(now.keys[k]!, t.index);
    }
    const keysSame = old.keys[old.rung] === now.keys[now.rung];
    if (!same || !keysSame) {
      this.unindexState(t, old);
      this.indexState(t, now);
    }
    t.indexed = now;
  }

  private indexState(t: Trial, x: Indexed): void {
    if (x.state === 'PENDING') this.pendingByStart.insert(this.startPosition[t.index]!, t.index);
    else if (x.state === 'RUNNING') this.runningTowards[x.targetRung + 1]! += 1;
    else if (x.state === 'PAUSED') {
      this.pausedCount += 1;
      const key = x.keys[x.rung];
      if (x.rung < 0 || x.rung >= this.rungs.length || key === undefined) return;
      (x.due ? this.dueAt : this.notDueAt)[x.rung]!.insert(key, t.index);
      if (x.due && this.config.portable !== true && x.workerId !== undefined) {
        const byWorker = this.dueByWorker[x.rung]!;
        let set = byWorker.get(x.workerId);
        if (!set) byWorker.set(x.workerId, (set = new RankedSet()));
        set.insert(key, t.index);
      }
    }
  }

  private unindexState(t: Trial, x: Indexed): void {
    if (x.state === 'PENDING') this.pendingByStart.delete(this.startPosition[t.index]!, t.index);
    else if (x.state === 'RUNNING') this.runningTowards[x.targetRung + 1]! -= 1;
    else if (x.state === 'PAUSED') {
      this.pausedCount -= 1;
      const key = x.keys[x.rung];
      if (x.rung < 0 || x.rung >= this.rungs.length || key === undefined) return;
      (x.due ? this.dueAt : this.notDueAt)[x.rung]!.delete(key, t.index);
      if (x.due && this.config.portable !== true && x.workerId !== undefined) {
        const byWorker = this.dueByWorker[x.rung]!;
        const set = byWorker.get(x.workerId);
        set?.delete(key, t.index);
        if (set?.size === 0) byWorker.delete(x.workerId);
      }
    }
  }

  private evidence(rule: Evidence['rule'], value: number, cutoff: number, t: Trial): Evidence {
    return { rule, value, cutoff, rung: Math.max(0, this.rungs.indexOf(t.target)), step: t.steps, peers: [] };
  }

  private decide(t: Trial, kind: DecisionKind, reason: PruneReason | undefined, summary: string, evidence: Evidence): void {
    this.decisions.push({ sequence: this.decisions.length + 1, trialId: t.id, kind, ...(reason ? { reason } : {}), summary, evidence });
  }
}

/** A trial's progress before its first step: what a restart from scratch goes back to. */
function freshProgress(
  firstBudget: number,
  curvePoints: number,
  windowReports: number,
): Omit<Trial, 'id' | 'index' | 'learningRate' | 'state' | 'reason' | 'stepsSpent' | 'failures' | 'attempt' | 'workerId' | 'valLoss' | 'valAccuracy' | 'dueDivergences' | 'indexed'> {
  return {
    steps: 0,
    target: firstBudget,
    rung: -1,
    ema: 0,
    emaCount: 0,
    smoothed: NaN,
    lastFiniteSmoothed: NaN,
    best: Infinity,
    history: new Curve(curvePoints),
    reports: new ReportWindow(windowReports),
    rungValues: [],
    rungAccuracies: [],
    promotedFrom: new Set<number>(),
    promotionDue: false,
    checkpointStep: 0,
    checkpointStats: undefined,
    resumePending: false,
  };
}

/** Ranks by the value at rung k (non-finite and diverged last), ties by the smaller rate. */
function compareRank(a: Trial, b: Trial, k: number): number {
  const va = rankValue(a.rungValues[k], a.reason === 'diverged');
  const vb = rankValue(b.rungValues[k], b.reason === 'diverged');
  if (va !== vb) return va < vb ? -1 : 1;
  return a.index - b.index;
}

/**
 * 0..n−1 in van der Corput order (0, n/2, n/4, 3n/4, ...): every prefix covers the grid evenly.
 * ASHA judges a rung while it fills; starting the rates in grid order would fill the first rungs
 * with the smallest rates only, and promote them for lack of competition.
 */
export function spreadOrder(n: number): number[] {
  const order: number[] = [];
  const seen = new Set<number>();
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(2, n))));
  for (let i = 0; i < 1 << bits; i++) {
    let reversed = 0;
    for (let b = 0; b < bits; b++) if (i & (1 << b)) reversed |= 1 << (bits - 1 - b);
    const index = Math.floor((reversed / (1 << bits)) * n);
    if (!seen.has(index)) {
      seen.add(index);
      order.push(index);
    }
  }
  for (let i = 0; i < n; i++) if (!seen.has(i)) order.push(i);
  return order;
}

/**
 * Relative improvement over `span` steps of a least-squares line through the reports:
 * −slope · span / mean level (positive when the loss falls), and the same at the upper end of the
 * slope's 95% interval: a trial is called stagnant only when even that optimistic reading is flat.
 */
export function relativeImprovement(reports: readonly { step: number; loss: number }[], span: number): { estimate: number; upper: number } {
  const n = reports.length;
  const meanStep = reports.reduce((a, r) => a + r.step, 0) / n;
  const meanLoss = reports.reduce((a, r) => a + r.loss, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const r of reports) {
    covariance += (r.step - meanStep) * (r.loss - meanLoss);
    variance += (r.step - meanStep) ** 2;
  }
  if (variance === 0 || meanLoss === 0) return { estimate: 0, upper: 0 };
  const slope = covariance / variance;
  const intercept = meanLoss - slope * meanStep;
  const residual = reports.reduce((a, r) => a + (r.loss - intercept - slope * r.step) ** 2, 0);
  const slopeError = n > 2 ? Math.sqrt(residual / (n - 2) / variance) : Infinity;
  const scale = span / Math.abs(meanLoss);
  return { estimate: -slope * scale, upper: (-slope + 2 * slopeError) * scale };
}

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 0.01 && Math.abs(n) < 1000 ? Number(n.toPrecision(3)).toString() : n.toExponential(2);
}
