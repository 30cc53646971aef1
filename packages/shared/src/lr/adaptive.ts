/**
 * The decisions of a final training that adapts its rate: a divergence guard (roll back to the last
 * good snapshot and lower the rate), reduce-on-plateau (Keras `ReduceLROnPlateau`) and the restart
 * positions of SGDR warm restarts. Pure: no clock, no I/O, no tensors. The caller trains, takes the
 * snapshots this asks for, and applies `schedule(step) × multiplier`, the multiplier this owns.
 *
 * Protocol, for the guard:
 *  1. Before training, take a snapshot and call {@link RateController.checkpointed} with its step:
 *     the state training starts from is the first rollback target.
 *  2. Call {@link RateController.onReport} with every window loss. On `continue` with
 *     `checkpoint: true`, snapshot and call `checkpointed(step)`. Keep the snapshots of
 *     {@link RateController.retainedSteps} (at most two) and drop the others.
 *  3. On `rollback`, stop training, restore the snapshot of `toStep` and go on (the multiplier is
 *     already lowered). On `fail`, stop: the retries are spent.
 *
 * A snapshot becomes a rollback target ("confirmed") only once a later window was good: the weights
 * of a step whose own window looked fine may already be the ones that blow up in the next window.
 */

export type RateChangeCause = 'non-finite' | 'divergence' | 'plateau' | 'warm-restart';

/** One change of the final training's rate, with why. Applied rate = schedule(step) × multiplier. */
export interface RateChange {
  /** The step at which it was decided (a report, an evaluation, a cycle's start). */
  step: number;
  cause: RateChangeCause;
  fromMultiplier: number;
  toMultiplier: number;
  /** Divergence guard: training went on from the snapshot of this step. */
  rolledBackTo?: number;
  /** The loss that triggered it (NaN for a non-finite loss; NaN for a restart). */
  value: number;
  /** The limit it crossed (divergence: factor × best; plateau: best − minDelta); NaN where none. */
  threshold: number;
  /** Divergence guard: the how-manieth rollback this is (1-based). */
  retry?: number;
  /** One line a person can read. */
  reason: string;
}

export interface DivergenceGuardConfig {
  /** A smoothed window loss above this many times the best smoothed loss so far is a divergence. */
  divergenceFactor: number;
  /** Each rollback multiplies the rate by this (0 < factor < 1) for the rest of training. */
  factor: number;
  /** Rollbacks allowed; the next divergence fails the training. */
  maxRetries: number;
  /** Snapshot at the first report at least this many steps after the previous snapshot. */
  checkpointEvery: number;
  /** β of the debiased EMA of window losses. Default 0.9. */
  smoothing?: number;
  /**
   * The loss before the first step (e.g. the validation loss at step 0). It counts as the best so
   * far until a smoothed loss beats it, so a blow-up in the very first window is caught too.
   */
  initialLoss?: number;
}

export interface PlateauConfig {
  /** Evaluations without improvement before the rate is cut. */
  patience: number;
  /** The cut: multiplier × factor (0 < factor < 1). */
  factor: number;
  /** An improvement must lower the best value by more than this (absolute, as Keras). */
  minDelta: number;
  /** Evaluations after a cut during which no new plateau is counted. */
  cooldown: number;
  /** Never cut below this rate (at the step of the decision); no cut once the rate is at or below it. */
  minRate?: number;
}

export interface RateControllerConfig {
  /** Absent: no guard (a non-finite loss ends the training, as without this module). */
  guard?: DivergenceGuardConfig;
  /** Absent: no reduce-on-plateau. */
  plateau?: PlateauConfig;
}

export type ReportVerdict =
  | { action: 'continue'; checkpoint: boolean }
  | { action: 'rollback'; toStep: number; change: RateChange }
  | { action: 'fail'; step: number; value: number; reason: string };

/** The guard's smoothing state, saved with each snapshot and restored by a rollback. */
interface SmoothingState {
  average: number;
  count: number;
  best: number;
}

const DEFAULT_SMOOTHING = 0.9;

const fmtNumber = (x: number): string => (!Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e6 ? x.toExponential(2) : Number(x.toPrecision(3)).toString());

export class RateController {
  private multiplierValue = 1;
  // Guard
  private smoothing: SmoothingState = { average: 0, count: 0, best: Infinity };
  private confirmed: { step: number; state: SmoothingState } | undefined;
  private candidate: { step: number; state: SmoothingState } | undefined;
  private lastCheckpointStep = -Infinity;
  private reported = false;
  private retriesUsed = 0;
  // Plateau
  private plateauBest = Infinity;
  private plateauWait = 0;
  private cooldownLeft = 0;
  private lastJudgedStep = -Infinity;

  constructor(readonly config: RateControllerConfig) {
    const { guard, plateau } = config;
    if (guard) {
      if (!(guard.divergenceFactor > 1)) throw new RangeError(`divergenceFactor must be > 1, got ${guard.divergenceFactor}`);
      if (!(guard.factor > 0 && guard.factor < 1)) throw new RangeError(`guard factor must be in (0, 1), got ${guard.factor}`);
      if (!(Number.isInteger(guard.maxRetries) && guard.maxRetries >= 0)) throw new RangeError(`maxRetries must be an integer ≥ 0, got ${guard.maxRetries}`);
      if (!(guard.checkpointEvery >= 1)) throw new RangeError(`checkpointEvery must be ≥ 1, got ${guard.checkpointEvery}`);
      const beta = guard.smoothing ?? DEFAULT_SMOOTHING;
      if (!(beta >= 0 && beta < 1)) throw new RangeError(`smoothing must be in [0, 1), got ${beta}`);
      if (guard.initialLoss !== undefined && Number.isFinite(guard.initialLoss) && guard.initialLoss > 0) this.smoothing.best = guard.initialLoss;
    }
    if (plateau) {
      if (!(plateau.factor > 0 && plateau.factor < 1)) throw new RangeError(`plateau factor must be in (0, 1), got ${plateau.factor}`);
      if (!(Number.isInteger(plateau.patience) && plateau.patience >= 0)) throw new RangeError(`patience must be an integer ≥ 0, got ${plateau.patience}`);
      if (!(Number.isInteger(plateau.cooldown) && plateau.cooldown >= 0)) throw new RangeError(`cooldown must be an integer ≥ 0, got ${plateau.cooldown}`);
      if (!(plateau.minDelta >= 0)) throw new RangeError(`minDelta must be ≥ 0, got ${plateau.minDelta}`);
    }
  }

  /** The factor on the schedule's rate, 1 until something lowers it. */
  get multiplier(): number {
    return this.multiplierValue;
  }

  /** Rollbacks made so far. */
  get retries(): number {
    return this.retriesUsed;
  }

  /** The smoothed loss the guard judges by (NaN before the first finite report). */
  get smoothedLoss(): number {
    const beta = this.config.guard?.smoothing ?? DEFAULT_SMOOTHING;
    return this.smoothing.count === 0 ? NaN : this.smoothing.average / (1 - beta ** this.smoothing.count);
  }

  /** The best smoothed loss so far (Infinity before the first finite report). */
  get bestSmoothedLoss(): number {
    return this.smoothing.best;
  }

  /** Steps whose snapshots the caller must keep: the rollback target, and the candidate after it. */
  retainedSteps(): number[] {
    return [this.confirmed?.step, this.candidate?.step].filter((s): s is number => s !== undefined);
  }

  /** The step a rollback would return to now (undefined before the first snapshot). */
  get rollbackStep(): number | undefined {
    return this.confirmed?.step;
  }

  /**
   * The caller took a snapshot at `step`. Before any report (the starting state) it is a rollback
   * target at once; otherwise it becomes one after the next good report.
   */
  checkpointed(step: number): void {
    if (!this.config.guard) return;
    const entry = { step, state: { ...this.smoothing } };
    if (!this.reported || this.confirmed === undefined) this.confirmed = entry;
    else this.candidate = entry;
    this.lastCheckpointStep = step;
  }

  /** A window loss (the mean training loss of the steps up to `step` since the previous report). */
  onReport(step: number, loss: number): ReportVerdict {
    const guard = this.config.guard;
    if (!guard) return { action: 'continue', checkpoint: false };
    this.reported = true;
    const beta = guard.smoothing ?? DEFAULT_SMOOTHING;
    const before = { ...this.smoothing };
    if (!Number.isFinite(loss)) return this.diverged(step, loss, 'non-finite', NaN, `window loss ${fmtNumber(loss)} at step ${step}`);
    this.smoothing.average = beta * this.smoothing.average + (1 - beta) * loss;
    this.smoothing.count += 1;
    const smoothed = this.smoothedLoss;
    const limit = guard.divergenceFactor * before.best;
    if (Number.isFinite(before.best) && smoothed > limit) {
      return this.diverged(step, smoothed, 'divergence', limit, `smoothed loss ${fmtNumber(smoothed)} > ${guard.divergenceFactor} × best ${fmtNumber(before.best)} at step ${step}`, before);
    }
    this.smoothing.best = Math.min(this.smoothing.best, smoothed);
    // A good window after the candidate: its weights trained on without trouble.
    if (this.candidate && step > this.candidate.step) {
      this.confirmed = this.candidate;
      this.candidate = undefined;
    }
    // Snapshot on schedule, but not on a window that is itself a spike (its weights are suspect).
    const spike = loss > guard.divergenceFactor * this.smoothing.best;
    const checkpoint = !this.candidate && step - this.lastCheckpointStep >= guard.checkpointEvery && !spike;
    return { action: 'continue', checkpoint };
  }

  private diverged(step: number, value: number, cause: 'non-finite' | 'divergence', threshold: number, what: string, before?: SmoothingState): ReportVerdict {
    const guard = this.config.guard!;
    if (before) this.smoothing = before;
    if (this.confirmed === undefined) {
      return { action: 'fail', step, value, reason: `${what}, and no snapshot to roll back to` };
    }
    if (this.retriesUsed >= guard.maxRetries) {
      return {
        action: 'fail',
        step,
        value,
        reason: `${what}, after ${this.retriesUsed} rollback(s) with the rate lowered to ×${fmtNumber(this.multiplierValue)}: divergenceGuard.maxRetries (${guard.maxRetries}) spent`,
      };
    }
    const from = this.multiplierValue;
    const to = from * guard.factor;
    const toStep = this.confirmed.step;
    this.retriesUsed += 1;
    this.multiplierValue = to;
    this.smoothing = { ...this.confirmed.state };
    this.candidate = undefined;
    this.lastCheckpointStep = toStep;
    const change: RateChange = {
      step,
      cause,
      fromMultiplier: from,
      toMultiplier: to,
      rolledBackTo: toStep,
      value,
      threshold,
      retry: this.retriesUsed,
      reason: `${cause === 'non-finite' ? 'loss not finite' : 'loss diverged'}: ${what}; rolled back to step ${toStep}, rate ×${fmtNumber(guard.factor)} (now ×${fmtNumber(to)} of the schedule), retry ${this.retriesUsed} of ${guard.maxRetries}`,
    };
    return { action: 'rollback', toStep, change };
  }

  /**
   * An SGDR cycle starts again at its max rate: its loss is meant to rise above the last cycle's
   * best, which is no divergence. From here the guard judges against the loss before training (when
   * it is known and higher) until the new cycle sets its own best; the smoothing starts afresh.
   */
  onCycleStart(): void {
    const guard = this.config.guard;
    if (!guard) return;
    const initial = guard.initialLoss !== undefined && Number.isFinite(guard.initialLoss) && guard.initialLoss > 0 ? guard.initialLoss : -Infinity;
    this.smoothing = { average: 0, count: 0, best: Math.max(this.smoothing.best, initial) };
  }

  /**
   * A validation result at `step`, as Keras ReduceLROnPlateau judges it at an epoch's end.
   * `scheduledRate` is the schedule's rate at the next step, before the multiplier (for minRate).
   * Each step is judged once: an evaluation repeated after a rollback does not count again.
   */
  onValidation(step: number, valLoss: number, scheduledRate: number): RateChange | undefined {
    const plateau = this.config.plateau;
    if (!plateau || step <= this.lastJudgedStep) return undefined;
    this.lastJudgedStep = step;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft -= 1;
      this.plateauWait = 0;
    }
    const threshold = this.plateauBest - plateau.minDelta;
    if (Number.isFinite(valLoss) && valLoss < threshold) {
      this.plateauBest = valLoss;
      this.plateauWait = 0;
      return undefined;
    }
    if (this.cooldownLeft > 0) return undefined;
    this.plateauWait += 1;
    if (this.plateauWait < Math.max(1, plateau.patience)) return undefined;
    const from = this.multiplierValue;
    const oldRate = scheduledRate * from;
    if (plateau.minRate !== undefined && !(oldRate > plateau.minRate)) return undefined;
    let to = from * plateau.factor;
    if (plateau.minRate !== undefined && scheduledRate > 0) to = Math.min(from, Math.max(to, plateau.minRate / scheduledRate));
    if (!(to < from)) return undefined;
    this.multiplierValue = to;
    this.cooldownLeft = plateau.cooldown;
    const waited = this.plateauWait;
    this.plateauWait = 0;
    const floor = plateau.minRate !== undefined && to > from * plateau.factor ? ` (floored at minRate ${fmtNumber(plateau.minRate)})` : '';
    return {
      step,
      cause: 'plateau',
      fromMultiplier: from,
      toMultiplier: to,
      value: valLoss,
      threshold,
      reason: `val loss plateaued: ${fmtNumber(valLoss)} not below best ${fmtNumber(this.plateauBest)} − ${fmtNumber(plateau.minDelta)} for ${waited} evaluation(s) at step ${step}; rate ×${fmtNumber(to / from)}${floor} (now ×${fmtNumber(to)} of the schedule)`,
    };
  }
}

// ── SGDR warm restarts ───────────────────────────────────────────────────────────────────────

/**
 * Start and length of each cycle of SGDR (Loshchilov & Hutter): the first `firstCycle` steps long,
 * each next one `cycleMult` times longer, until `totalSteps` is covered (the last may be cut short).
 */
export function restartCycles(firstCycle: number, cycleMult: number, totalSteps: number): { start: number; length: number }[] {
  if (!(Number.isInteger(firstCycle) && firstCycle >= 1)) throw new RangeError(`the first cycle must be a whole number of steps ≥ 1, got ${firstCycle}`);
  if (!(cycleMult >= 1)) throw new RangeError(`cycleMult must be ≥ 1, got ${cycleMult}`);
  const cycles: { start: number; length: number }[] = [];
  let start = 0;
  let length = firstCycle;
  while (start < totalSteps) {
    cycles.push({ start, length });
    start += length;
    length = Math.max(1, Math.round(length * cycleMult));
  }
  return cycles;
}

/** Steps at which a new cycle begins and the rate jumps back to its maximum (not 0). */
export function restartSteps(firstCycle: number, cycleMult: number, totalSteps: number): number[] {
  return restartCycles(firstCycle, cycleMult, totalSteps)
    .map((c) => c.start)
    .filter((s) => s > 0);
}

/** The cycle that `step` falls in (the last one for steps past its start), 0-based. */
export function cycleOf(step: number, firstCycle: number, cycleMult: number): { index: number; start: number; length: number } {
  let start = 0;
  let length = firstCycle;
  let index = 0;
  while (step >= start + length) {
    start += length;
    length = Math.max(1, Math.round(length * cycleMult));
    index += 1;
  }
  return { index, start, length };
}

/** The event a warm restart at `step` is shown as (the multiplier does not change). */
export function warmRestartChange(step: number, firstCycle: number, cycleMult: number, multiplier: number, maxRate: number): RateChange {
  const cycle = cycleOf(step, firstCycle, cycleMult);
  return {
    step,
    cause: 'warm-restart',
    fromMultiplier: multiplier,
    toMultiplier: multiplier,
    value: NaN,
    threshold: NaN,
    reason: `warm restart at step ${step}: cycle ${cycle.index + 1} (${cycle.length} steps) starts again at the max rate ${fmtNumber(maxRate * multiplier)}`,
  };
}
