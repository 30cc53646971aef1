/**
 * Learning-rate schedules as pure functions of the step (0-based). Each returns the rate that is
 * applied to that step's update. They take no clock and hold no state, so a resumed trial gets the
 * same rate at the same step.
 */
import { cycleOf } from './adaptive.js';

export type Schedule = (step: number) => number;

export function constant(rate: number): Schedule {
  return () => rate;
}

/**
 * Exponential ramp of the range test: min at step 0, max at step `steps − 1`,
 * lr = min · (max/min)^(step/(steps−1)). Steps past the end stay at max.
 */
export function exponentialRamp(min: number, max: number, steps: number): Schedule {
  if (steps < 2) throw new RangeError('exponentialRamp needs at least 2 steps');
  const logRatio = Math.log(max / min);
  return (step) => {
    const t = Math.min(Math.max(step, 0), steps - 1) / (steps - 1);
    return t === 1 ? max : min * Math.exp(logRatio * t);
  };
}

/** Cosine interpolation from `start` (t=0) to `end` (t=1), as fastai's `SchedCos`. */
export function cosineInterpolate(start: number, end: number, t: number): number {
  return start + ((end - start) * (1 - Math.cos(Math.PI * Math.min(Math.max(t, 0), 1)))) / 2;
}

export interface OneCycleOptions {
  maxRate: number;
  totalSteps: number;
  /** Share of the steps spent warming up. fastai: 0.25. */
  pctStart?: number;
  /** Start rate = maxRate / div. fastai: 25. */
  div?: number;
  /** End rate = maxRate / divFinal. fastai: 1e5. */
  divFinal?: number;
  /** Start rate, overriding maxRate/div (e.g. the low end of a range-test interval). */
  minRate?: number;
}

/**
 * One-cycle (fastai `fit_one_cycle`): cosine warm-up from the start rate (step 0) to maxRate (step
 * round(totalSteps·pctStart)), then cosine annealing to maxRate/divFinal at the last step (`totalSteps − 1`).
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  const { maxRate, totalSteps, pctStart = 0.25, div = 25, divFinal = 1e5 } = options;
  const startRate = options.minRate ?? maxRate / div;
  const endRate = maxRate / divFinal;
  const warmSteps = Math.max(1, Math.round(totalSteps * pctStart));
  // Anneal over steps warmSteps..totalSteps−1, so the last step applied gets endRate (as `cosine` does).
  const annealSteps = Math.max(1, totalSteps - 1 - warmSteps);
  return (step) =>
    step < warmSteps ? cosineInterpolate(startRate, maxRate, step / warmSteps) : cosineInterpolate(maxRate, endRate, (step - warmSteps) / annealSteps);
}

/** The momentum that one-cycle pairs with its rate: 0.95 → 0.85 → 0.95 (fastai `moms`). */
export function oneCycleMomentum(totalSteps: number, pctStart = 0.25, high = 0.95, low = 0.85): Schedule {
  const warmSteps = Math.max(1, Math.round(totalSteps * pctStart));
  const annealSteps = Math.max(1, totalSteps - 1 - warmSteps);
  return (step) => (step < warmSteps ? cosineInterpolate(high, low, step / warmSteps) : cosineInterpolate(low, high, (step - warmSteps) / annealSteps));
}

/**
 * Triangular cyclical rate (Smith, CLR): linear from base to max over `stepSize` steps and back,
 * repeating every 2·stepSize steps.
 */
export function triangular(baseRate: number, maxRate: number, stepSize: number): Schedule {
  if (stepSize < 1) throw new RangeError('triangular needs stepSize ≥ 1');
  return (step) => {
    const cycle = Math.floor(1 + step / (2 * stepSize));
    const x = Math.abs(step / stepSize - 2 * cycle + 1);
    return baseRate + (maxRate - baseRate) * Math.max(0, 1 - x);
  };
}

/** Cosine annealing from maxRate at step 0 to minRate at the last step (`totalSteps − 1`). */
export function cosine(maxRate: number, minRate: number, totalSteps: number): Schedule {
  const last = Math.max(1, totalSteps - 1);
  return (step) => cosineInterpolate(maxRate, minRate, step / last);
}

/**
 * SGDR (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts"): cosine
 * annealing from maxRate to minRate within each cycle, restarting at maxRate. The first cycle is
 * `firstCycle` steps, each next one `cycleMult` times longer (see restartCycles). Within a cycle of
 * L steps the first step gets maxRate and the last minRate, as `cosine` does over the whole run.
 */
export function cosineRestarts(maxRate: number, minRate: number, firstCycle: number, cycleMult: number): Schedule {
  if (!(Number.isInteger(firstCycle) && firstCycle >= 1)) throw new RangeError('cosineRestarts needs a first cycle of ≥ 1 whole steps');
  if (!(cycleMult >= 1)) throw new RangeError('cosineRestarts needs cycleMult ≥ 1');
  return (step) => {
    const cycle = cycleOf(Math.max(0, step), firstCycle, cycleMult);
    return cosineInterpolate(maxRate, minRate, (step - cycle.start) / Math.max(1, cycle.length - 1));
  };
}

export type ScheduleKind = 'constant' | 'one-cycle' | 'triangular' | 'cosine' | 'cosine-restarts';

/** Cycles of `cosine-restarts`: the first one's length in steps, and the growth of each next one. */
export interface RestartCycles {
  firstCycle: number;
  cycleMult: number;
}

/**
 * The final-training schedule for a surviving range [minRate, maxRate]:
 * constant at maxRate's geometric midpoint with minRate (the safe middle of the range),
 * one-cycle warming from minRate to maxRate, triangular cycles of two per run, cosine from max to min,
 * cosine-restarts (SGDR) from max to min in each of the given cycles.
 */
export function scheduleForRange(kind: ScheduleKind, rangeMin: number, maxRate: number, totalSteps: number, restarts?: RestartCycles): Schedule {
  // A range of one rate (a single survivor) still warms up and anneals: from max/25, fastai's div.
  const minRate = rangeMin < maxRate ? rangeMin : maxRate / 25;
  switch (kind) {
    case 'constant':
      return constant(Math.sqrt(rangeMin * maxRate));
    case 'one-cycle':
      return oneCycle({ maxRate, minRate, totalSteps });
    case 'triangular':
      return triangular(minRate, maxRate, Math.max(1, Math.floor(totalSteps / 4)));
    case 'cosine':
      return cosine(maxRate, minRate, totalSteps);
    case 'cosine-restarts':
      // Without cycles given: restarts every third of the run (cycles of equal length).
      return cosineRestarts(maxRate, minRate, restarts?.firstCycle ?? Math.max(1, Math.ceil(totalSteps / 3)), restarts?.cycleMult ?? 1);
  }
}
