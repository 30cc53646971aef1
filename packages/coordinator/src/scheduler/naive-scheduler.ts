import { promotionPeers, promotionQuota, rankValue, rungBudgets, survivorQuota } from './rungs.js';
import {
  RANGE_TOLERANCE,
  relativeImprovement,
  spreadOrder,
  type Command,
  type Decision,
  type DecisionKind,
  type Evidence,
  type Outcome,
  type Peer,
  type PruneReason,
  type SchedulerConfig,
  type TrialState,
  type TrialView,
} from './scheduler.js';

/**
 * The decision core as first written: every query scans every trial (rungIsFinal is O(n²),
 * promotions and rung cuts sort the whole grid on every event). Kept verbatim as the oracle the
 * tests hold SweepScheduler to: on the same events both must make the same decisions and the same
 * commands. Not used by the product.
 */
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
  /** Smoothed loss by step, for the ordered-grid comparison and peers. */
  history: { step: number; smoothed: number }[];
  /** Raw reports (each the mean loss of its window), for the stagnation trend. */
  reports: { step: number; loss: number }[];
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
}

const DEFAULT_SMOOTHING = 0.5;

export class NaiveSweepScheduler {
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

  constructor(
    readonly config: SchedulerConfig,
    trialIds: readonly string[] = config.learningRates.map((_, i) => `t${String(i).padStart(3, '0')}`),
  ) {
    if (trialIds.length !== config.learningRates.length) throw new RangeError('one trial id per learning rate');
    for (let i = 1; i < config.learningRates.length; i++) {
      if (!(config.learningRates[i]! > config.learningRates[i - 1]!)) throw new RangeError('learning rates must be strictly ascending');
    }
    this.rungs = config.strategy === 'grid' ? [config.maxSteps] : rungBudgets(config.minSteps, config.maxSteps, config.reductionFactor);
    this.trials = config.learningRates.map((learningRate, index) => ({
      id: trialIds[index]!,
      index,
      learningRate,
      state: 'PENDING',
      ...freshProgress(this.rungs[0]!),
      stepsSpent: 0,
      failures: 0,
      attempt: 0,
    }));
    for (const t of this.trials) this.byId.set(t.id, t);
    this.startOrder = spreadOrder(this.trials.length);
  }

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
    return this.trials.reduce((n, t) => n + t.stepsSpent, 0);
  }

  fullGridSteps(): number {
    return this.trials.length * this.config.maxSteps;
  }

  /** True when no trial is pending, running or paused. */
  isDone(): boolean {
    return this.trials.every((t) => t.state !== 'PENDING' && t.state !== 'RUNNING' && t.state !== 'PAUSED');
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
      const ranked = this.rankedAt(fromRung);
      const position = ranked.findIndex((p) => p.trialId === t.id);
      this.decide(t, 'promoted', undefined, `lr ${fmt(t.learningRate)} promoted from rung ${fromRung} (${this.rungs[fromRung]} steps) to ${t.target} steps: val loss ${fmt(t.rungValues[fromRung])} ranks ${position + 1} of ${ranked.length}`, {
        rule: 'promotion',
        value: t.rungValues[fromRung] ?? NaN,
        cutoff: this.cutoffAt(fromRung),
        rung: fromRung,
        step: t.steps,
        peers: promotionPeers(ranked, ranked[position]!, position),
      });
      t.attempt += 1;
      const fromStep = t.steps;
      t.workerId = workerId;
      return { type: 'resume', trialId: t.id, workerId, learningRate: t.learningRate, untilStep: t.target, attempt: t.attempt, fromStep };
    }
    t.state = 'RUNNING';
    t.workerId = workerId;
    t.attempt += 1;
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
      for (let k = this.rungs.length - 2; k >= 0; k--) {
        const promotable = this.trials
          .filter((t) => t.state === 'PAUSED' && t.rung === k && t.promotionDue && (t.workerId === workerId || (this.config.portable === true && t.checkpointStep === t.steps)))
          .sort((a, b) => compareRank(a, b, k));
        if (promotable[0]) return { trial: promotable[0], promotion: true };
      }
    }
    for (const index of this.startOrder) {
      const t = this.trials[index]!;
      if (t.state === 'PENDING') return { trial: t, promotion: false };
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
      t.history.push({ step, smoothed: t.smoothed });
      t.reports.push({ step, loss });
      if (t.reports.length === 1) this.startingLoss = Math.min(this.startingLoss ?? Infinity, loss);
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
    const reference = Math.min(t.best, t.history[0]!.smoothed, this.startingLoss ?? Infinity);
    const limit = this.config.divergenceFactor * reference;
    if (t.smoothed > limit) {
      const what = reference < Math.min(t.best, t.history[0]!.smoothed) ? 'the starting loss of the sweep' : 'its best';
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
      this.decide(t, 'completed', undefined, `lr ${fmt(t.learningRate)} completed ${step} steps: val loss ${fmt(valLoss)}, accuracy ${(valAccuracy * 100).toFixed(1)}%`, {
        ...this.evidence('budget', valLoss, NaN, t),
        rung,
      });
      // A completed trial keeps nothing on its worker.
      if (t.workerId) commands.push({ type: 'release', trialId: t.id, workerId: t.workerId });
    } else {
      t.state = 'PAUSED';
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
    t.checkpointStats = { ema: t.ema, emaCount: t.emaCount, best: t.best, smoothed: t.smoothed, lastFiniteSmoothed: t.lastFiniteSmoothed };
  }

  /** The worker reported the trial failed (an exception, not a divergence). */
  onTrialFailed(trialId: string, error: string, attempt?: number): Command[] {
    const t = this.byId.get(trialId);
    if (!t || (t.state !== 'RUNNING' && t.state !== 'PAUSED') || (attempt !== undefined && attempt !== t.attempt)) return [];
    t.state = 'FAILED';
    t.failures += 1;
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
      this.decide(t, 'requeued', undefined, `lr ${fmt(t.learningRate)} stays paused at step ${t.steps} (${why}); its checkpoint lets any worker resume it`, this.evidence('worker-lost', t.steps, NaN, t));
      return;
    }
    if (t.state === 'RUNNING') t.failures += 1;
    const retries = this.config.maxRetries ?? 3;
    if (t.failures > retries) {
      t.state = 'FAILED';
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
      t.history = t.history.filter((h) => h.step <= from);
      t.reports = t.reports.filter((r) => r.step <= from);
      t.rungValues = t.rungValues.slice(0, Math.max(0, this.rungs.findIndex((r) => r > from)));
      t.rungAccuracies = t.rungAccuracies.slice(0, t.rungValues.length);
      t.rung = t.rungValues.length - 1;
      if (t.checkpointStats) Object.assign(t, t.checkpointStats);
      t.resumePending = true;
      return;
    }
    Object.assign(t, freshProgress(this.rungs[0]!), { valLoss: undefined, valAccuracy: undefined });
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
    // Competitive where it stopped: within RANGE_TOLERANCE of the best at its deepest rung.
    const competitive = survivors.filter((t) => {
      let k = t.rungValues.length - 1;
      while (k >= 0 && t.rungValues[k] === undefined) k--;
      if (k < 0) return true;
      const bestAtK = Math.min(...this.trials.map((o) => o.rungValues[k]).filter((v): v is number => v !== undefined && Number.isFinite(v)));
      return t.rungValues[k]! <= RANGE_TOLERANCE * bestAtK;
    });
    // The best rate is always inside the range, even when a noisy plateau stopped it as stagnant.
    const rates = [...competitive.map((t) => t.learningRate), ...(best ? [best.learningRate] : [])];
    return { best, range: rates.length > 0 ? { min: Math.min(...rates), max: Math.max(...rates) } : null };
  }

  // ── rules ──────────────────────────────────────────────────────────────────────────────────

  private account(t: Trial, step: number): void {
    t.stepsSpent += Math.max(0, step - t.steps);
    t.steps = Math.max(t.steps, step);
  }

  private diverge(t: Trial, step: number, summary: string, evidence: Evidence, commands: Command[]): void {
    const loss = Number.isFinite(t.lastFiniteSmoothed) ? Math.max(t.lastFiniteSmoothed, Number.isFinite(t.smoothed) ? t.smoothed : -Infinity) : Infinity;
    this.prune(t, 'diverged', summary, evidence, commands);
    this.divergences.push({ trialId: t.id, learningRate: t.learningRate, step, loss });
    // Larger rates already past this step that do no better are pruned with it.
    for (const other of this.trials) {
      if (other.learningRate > t.learningRate && other.state === 'RUNNING' && other.steps >= step) this.applyOrderedGrid(other, other.steps, commands);
    }
  }

  /**
   * The ordered grid: a rate is a point on a line. A larger rate than one that diverged, doing no
   * better at the step where it diverged, goes with it.
   */
  private applyOrderedGrid(t: Trial, step: number, commands: Command[]): void {
    for (const d of this.divergences) {
      if (!(d.learningRate < t.learningRate) || step < d.step || t.state !== 'RUNNING') continue;
      const at = smoothedAt(t.history, d.step);
      if (at === undefined) continue;
      if (!(at < d.loss)) {
        this.prune(
          t,
          'diverged',
          `lr ${fmt(t.learningRate)} pruned with lr ${fmt(d.learningRate)}, which diverged at step ${d.step}: smoothed loss ${fmt(at)} is no better than its ${fmt(d.loss)}`,
          { ...this.evidence('ordered-grid', at, d.loss, t), step: d.step, peers: [{ trialId: d.trialId, learningRate: d.learningRate, value: d.loss }] },
          commands,
        );
        return;
      }
    }
  }

  private checkStagnation(t: Trial, step: number, commands: Command[]): void {
    const { windowSteps, minRelImprovement } = this.config.stagnation;
    if (step < windowSteps) return;
    // The trend over the window, by least squares over its reports: two noisy points would stop a
    // good high rate on one unlucky batch.
    if (t.reports.length === 0 || t.reports[0]!.step > step - windowSteps) return;
    const window = t.reports.filter((r) => r.step > step - windowSteps);
    if (window.length < 3) return;
    const { estimate: improvement, upper } = relativeImprovement(window, windowSteps);
    if (upper >= minRelImprovement) return;
    // A plateau at the lowest loss any rate reached by this step is convergence, not stagnation:
    // only a trial that is both flat and behind a peer is stopped.
    const peers = this.trials
      .filter((o) => o !== t && o.reason !== 'diverged')
      .map((o) => ({ trialId: o.id, learningRate: o.learningRate, value: smoothedAt(o.history, step) ?? NaN }))
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
    this.decide(t, 'pruned', reason, summary, evidence);
  }

  /** Trials that recorded a value at rung k, best first (diverged and non-finite last). */
  private rankedAt(k: number): Peer[] {
    return this.trials
      .filter((t) => t.rungValues[k] !== undefined)
      .sort((a, b) => compareRank(a, b, k))
      .map((t) => ({ trialId: t.id, learningRate: t.learningRate, value: rankValue(t.rungValues[k], t.reason === 'diverged') }));
  }

  private cutoffAt(k: number): number {
    const ranked = this.rankedAt(k);
    const quota = promotionQuota(ranked.length, this.config.reductionFactor);
    return quota > 0 ? ranked[quota - 1]!.value : -Infinity;
  }

  /**
   * Rung k is final when nothing more can arrive at it: no pending trial, nothing running towards
   * it or below, no due promotion from below, and every lower rung final.
   */
  private rungIsFinal(k: number): boolean {
    if (this.trials.some((t) => t.state === 'PENDING')) return false;
    for (const t of this.trials) {
      if (t.state === 'RUNNING' && this.rungs.indexOf(t.target) <= k) return false;
      if (t.state === 'PAUSED' && t.rung < k && (t.promotionDue || !this.rungIsFinal(t.rung))) return false;
    }
    return true;
  }

  /** Marks due promotions and prunes what complete rungs leave behind, bottom-up. */
  private settle(commands: Command[]): void {
    if (this.config.strategy === 'grid' || this.cancelled) return;
    for (let k = 0; k < this.rungs.length - 1; k++) {
      const final = this.rungIsFinal(k);
      // Synchronous halving decides only on complete rungs; ASHA as soon as a trial is in the top 1/η.
      if (this.config.strategy === 'sh' && !final) break;
      const ranked = this.trials.filter((t) => t.rungValues[k] !== undefined).sort((a, b) => compareRank(a, b, k));
      const quota = promotionQuota(ranked.length, this.config.reductionFactor);
      // A final rung that sends none on ends the search: its best paused trial wins and completes.
      const winner = final && quota === 0 ? ranked.find((t) => t.state === 'PAUSED' && t.rung === k) : undefined;
      ranked.forEach((t, position) => {
        if (t.state !== 'PAUSED' || t.rung !== k) return;
        // Re-judged every time: a trial due earlier can drop out of the top 1/η as the rung fills.
        t.promotionDue = position < quota;
        if (t === winner && Number.isFinite(rankValue(t.rungValues[k], t.reason === 'diverged'))) {
          const peers = this.rankedAt(k);
          const value = rankValue(t.rungValues[k], false);
          t.state = 'COMPLETED';
          this.decide(t, 'completed', undefined, `lr ${fmt(t.learningRate)} completed at rung ${k} (${this.rungs[k]} steps): val loss ${fmt(t.rungValues[k])} ranks ${position + 1} of ${ranked.length}, too few for the top 1/${this.config.reductionFactor} to go on, so the search ends here with it as the best`, { rule: 'rung', value, cutoff: value, rung: k, step: t.steps, peers });
          if (t.workerId) commands.push({ type: 'release', trialId: t.id, workerId: t.workerId });
          return;
        }
        if (!t.promotionDue && final) {
          const peers = this.rankedAt(k);
          this.prune(t, 'rung', `lr ${fmt(t.learningRate)} stopped at rung ${k} (${this.rungs[k]} steps): val loss ${fmt(t.rungValues[k])} ranks ${position + 1} of ${ranked.length}, ${quota > 0 ? `only the top ${quota} go on` : `too few for any to go on (the top 1/${this.config.reductionFactor})`}`, {
            rule: 'rung',
            value: rankValue(t.rungValues[k], false),
            cutoff: quota > 0 ? peers[quota - 1]!.value : -Infinity,
            rung: k,
            step: t.steps,
            peers,
          }, commands);
        }
      });
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
function freshProgress(firstBudget: number): Omit<Trial, 'id' | 'index' | 'learningRate' | 'state' | 'reason' | 'stepsSpent' | 'failures' | 'attempt' | 'workerId' | 'valLoss' | 'valAccuracy'> {
  return {
    steps: 0,
    target: firstBudget,
    rung: -1,
    ema: 0,
    emaCount: 0,
    smoothed: NaN,
    lastFiniteSmoothed: NaN,
    best: Infinity,
    history: [],
    reports: [],
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

/** The smoothed loss at the last report at or before `step`. */
function smoothedAt(history: readonly { step: number; smoothed: number }[], step: number): number | undefined {
  let found: number | undefined;
  for (const h of history) {
    if (h.step > step) break;
    found = h.smoothed;
  }
  return found;
}

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 0.01 && Math.abs(n) < 1000 ? Number(n.toPrecision(3)).toString() : n.toExponential(2);
}
