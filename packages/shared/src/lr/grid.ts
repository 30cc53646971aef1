/**
 * Log-spaced learning rates: lr_i = min · (max/min)^(i/(n−1)), i = 0..n−1.
 * The ends are exactly `min` and `max` (no floating-point drift at the last point).
 */
export function logGrid(min: number, max: number, points: number): number[] {
  if (!(min > 0) || !(max > min) || !Number.isFinite(max)) throw new RangeError(`logGrid needs 0 < min < max < ∞, got ${min}, ${max}`);
  if (!Number.isInteger(points) || points < 2) throw new RangeError(`logGrid needs at least 2 points, got ${points}`);
  const ratio = Math.log(max / min);
  return Array.from({ length: points }, (_, i) => (i === 0 ? min : i === points - 1 ? max : min * Math.exp((ratio * i) / (points - 1))));
}

/** Decades (powers of ten) between two positive rates; the unit in which spreads are reported. */
export function decadesBetween(a: number, b: number): number {
  return Math.abs(Math.log10(b) - Math.log10(a));
}

/** Geometric mean of positive rates: the centre of a set of rates on a log axis. */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

/** Median of finite values (NaN when there are none). */
export function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Median on a log axis: the geometric counterpart of `median`, for rates. */
export function logMedian(rates: readonly number[]): number {
  return Math.exp(median(rates.filter((r) => r > 0).map(Math.log)));
}
