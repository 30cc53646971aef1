/**
 * Debiased exponential moving average, as fastai's `AvgSmoothLoss`:
 * avg = β·avg + (1−β)·x, reported as avg / (1 − β^n) after n values.
 * Non-finite values are passed through as non-finite (they end a range test; they never
 * poison later points because nothing follows them).
 */
export class DebiasedEma {
  private average = 0;
  private count = 0;
  constructor(readonly beta: number) {
    if (!(beta >= 0 && beta < 1)) throw new RangeError(`beta must be in [0, 1), got ${beta}`);
  }

  push(value: number): number {
    if (!Number.isFinite(value)) return value;
    this.count += 1;
    this.average = this.beta * this.average + (1 - this.beta) * value;
    return this.value;
  }

  get value(): number {
    return this.count === 0 ? NaN : this.average / (1 - this.beta ** this.count);
  }
}

/** The causal debiased EMA of a whole series. */
export function debiasedEma(values: readonly number[], beta: number): number[] {
  const ema = new DebiasedEma(beta);
  return values.map((v) => ema.push(v));
}

/**
 * Zero-phase smoothing: the mean of a forward and a backward debiased EMA. The causal EMA lags the
 * curve by about 1/(1−β) points, which shifts every suggestion towards larger rates (the lag users
 * of pytorch-lr-finder and Lightning complain about); averaging both directions cancels the lag.
 * Expects finite values (truncate at the first non-finite first).
 */
export function zeroPhaseSmooth(values: readonly number[], beta: number): number[] {
  const forward = debiasedEma(values, beta);
  const backward = debiasedEma([...values].reverse(), beta).reverse();
  return forward.map((f, i) => (f + backward[i]!) / 2);
}
