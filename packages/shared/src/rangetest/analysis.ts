import { decadesBetween, logMedian, median } from '../lr/grid.js';
import { zeroPhaseSmooth } from '../lr/smoothing.js';

/** One step of a range test: the rate applied to that step's update and the loss it produced. */
export interface RangeTestPoint {
  step: number;
  learningRate: number;
  /** Raw training loss of the step's batch. */
  loss: number;
  /** Debiased EMA of the raw losses up to this step (what the stop rule sees). */
  smoothed: number;
}

export type RangeTestStopReason = 'completed' | 'diverged' | 'non-finite' | 'cancelled';

export interface RangeTestCurve {
  seed: number;
  points: RangeTestPoint[];
  stopReason: RangeTestStopReason;
}

export interface Suggestions {
  /** fastai's valley: partway down the longest descending stretch of the curve. */
  valley: number | null;
  /** Steepest descent of the loss against log(rate). */
  steep: number | null;
  /** The rate of the lowest loss, divided by 10. */
  minimum: number | null;
}

export interface LearningRateRange {
  /** Where the loss starts to fall: 10% of the total drop is done. */
  min: number;
  /** Where it stops improving: within 10% of the total drop from the lowest loss. */
  max: number;
}

export interface CurveAnalysis {
  suggestions: Suggestions;
  range: LearningRateRange | null;
  /** The despiked, zero-phase smoothed losses of the analysis window (same indices as `window`). */
  trend: number[];
  window: { start: number; end: number };
  warnings: string[];
}

export interface AnalysisOptions {
  /** EMA factor for the zero-phase trend. */
  beta: number;
  /** Planned steps; the first 10% of them are skipped (fastai: `num_it // 10`). */
  plannedSteps: number;
  /** Points dropped at the end, where the loss blows up (fastai: 5). */
  skipEnd?: number;
  /** Share of the total drop that marks the interval's ends. */
  intervalThreshold?: number;
}

const MIN_WINDOW = 6;

/** fastai's valley rule: the longest descending run (LIS-style DP), then 1/3 + 1/6 of the way in. */
export function valleyIndex(losses: readonly number[]): number | null {
  const n = losses.length;
  if (n < 2) return null;
  const lds = new Array<number>(n).fill(1);
  let maxStart = 0;
  let maxEnd = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i]! < losses[j]! && lds[i]! < lds[j]! + 1) lds[i] = lds[j]! + 1;
    }
    if (lds[maxEnd]! < lds[i]!) {
      maxEnd = i;
      maxStart = maxEnd - lds[maxEnd]!;
    }
  }
  if (maxEnd === 0) return null;
  const sections = (maxEnd - maxStart) / 3;
  return Math.min(n - 1, Math.max(0, maxStart + Math.floor(sections) + Math.floor(sections / 2)));
}

/** Index of the most negative slope d(loss)/d(log rate), by central differences. */
export function steepestIndex(losses: readonly number[], rates: readonly number[]): number | null {
  const n = losses.length;
  if (n < 3) return null;
  let best: number | null = null;
  let bestSlope = Infinity;
  for (let i = 1; i < n - 1; i++) {
    const slope = (losses[i + 1]! - losses[i - 1]!) / (Math.log(rates[i + 1]!) - Math.log(rates[i - 1]!));
    if (slope < bestSlope) [best, bestSlope] = [i, slope];
  }
  return bestSlope < 0 ? best : null;
}

const median3 = (a: number, b: number, c: number): number => Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));

/**
 * Running median of 3 (Tukey's end-point rule at the ends). A single-batch spike would otherwise be
 * spread by the EMA over ~1/(1−β) points on each side and move every suggestion; the median removes
 * it and leaves monotone stretches (the falling part of the curve) unchanged.
 */
function despike(values: readonly number[]): number[] {
  const n = values.length;
  if (n < 3) return [...values];
  const out = values.map((v, i) => (i === 0 || i === n - 1 ? v : median3(values[i - 1]!, v, values[i + 1]!)));
  out[0] = median3(values[0]!, out[1]!, 3 * out[1]! - 2 * out[2]!);
  out[n - 1] = median3(values[n - 1]!, out[n - 2]!, 3 * out[n - 2]! - 2 * out[n - 3]!);
  return out;
}

/**
 * Suggestions and interval from one range-test curve. Everything is computed in log-rate space on a
 * zero-phase smoothing of the despiked raw losses, truncated at the first non-finite loss. Returns nulls and a
 * warning, never a made-up number, when the curve cannot support a suggestion.
 */
export function analyzeCurve(points: readonly RangeTestPoint[], options: AnalysisOptions): CurveAnalysis {
  const warnings: string[] = [];
  const none = (window = { start: 0, end: 0 }): CurveAnalysis => ({
    suggestions: { valley: null, steep: null, minimum: null },
    range: null,
    trend: [],
    window,
    warnings,
  });
  const firstBad = points.findIndex((p) => !Number.isFinite(p.loss) || !(p.learningRate > 0));
  const finite = firstBad === -1 ? points : points.slice(0, firstBad);
  const skipEnd = options.skipEnd ?? 5;
  const start = Math.floor(options.plannedSteps / 10);
  // A run that stopped early ended on its blow-up: drop those last points. A full run keeps them
  // (its end is then reported as "still falling" when the minimum sits there).
  const end = Math.max(start, finite.length - (finite.length < options.plannedSteps ? skipEnd : 0));
  if (end - start < MIN_WINDOW) {
    warnings.push(
      `only ${Math.max(0, end - start)} usable points (the loss blew up after ${finite.length} of ${options.plannedSteps} steps): lower rangeTest.max or raise rangeTest.steps`,
    );
    return none({ start, end });
  }
  const window = finite.slice(start, end);
  const rates = window.map((p) => p.learningRate);
  const trend = zeroPhaseSmooth(
    despike(window.map((p) => p.loss)),
    options.beta,
  );

  const minIdx = trend.reduce((best, v, i) => (v < trend[best]! ? i : best), 0);
  const first = trend[0]!;
  const lowest = trend[minIdx]!;
  const drop = first - lowest;
  const steep = steepestIndex(trend, rates);
  const suggestions: Suggestions = { valley: null, steep: steep === null ? null : rates[steep]!, minimum: rates[minIdx]! / 10 };

  let range: LearningRateRange | null = null;
  if (!(drop > 0.02 * Math.abs(first))) {
    warnings.push('the loss never fell by more than 2% over the tested rates: widen rangeTest.min/max or check the model and data');
    suggestions.steep = null;
    suggestions.minimum = null;
  } else {
    const threshold = options.intervalThreshold ?? 0.1;
    const startIdx = Math.max(0, trend.findIndex((v) => v <= first - threshold * drop));
    const endIdx = trend.findIndex((v) => v <= lowest + threshold * drop);
    range = { min: rates[startIdx]!, max: rates[Math.max(startIdx, endIdx)]! };
    // fastai's valley, but only over the descent itself: on the whole window a long, flat and noisy
    // start yields long descending subsequences that drag the valley decades to the left.
    // Bounded by the interval's end too, so the valley always lies inside the reported range.
    const valley = valleyIndex(trend.slice(startIdx, Math.max(startIdx, Math.min(minIdx, endIdx)) + 1));
    suggestions.valley = valley === null ? null : rates[startIdx + valley]!;
    if (minIdx >= trend.length - 2 && finite.length === points.length && points.length >= options.plannedSteps) {
      warnings.push('the loss was still falling at rangeTest.max: raise it, the best rates may lie above the tested range');
    }
    if (startIdx <= 1) warnings.push('the loss was already falling at the start of the window: lower rangeTest.min');
  }
  return { suggestions, range, trend, window: { start, end }, warnings };
}

/** What `summarizeSeeds` needs of each seed's analysis. */
export type SeedAnalysis = Pick<CurveAnalysis, 'suggestions' | 'range' | 'warnings'>;

export interface Spread {
  /** Median on a log axis. */
  median: number;
  min: number;
  max: number;
  /** log10(max/min): how many decades the seeds disagree by. */
  decades: number;
  /** How many seeds gave a value. */
  count: number;
}

export interface RangeTestSummary {
  suggestions: Suggestions;
  range: LearningRateRange | null;
  spread: { valley: Spread | null; steep: Spread | null; minimum: Spread | null; rangeMin: Spread | null; rangeMax: Spread | null };
  /** Share of seeds whose valley falls inside the consensus range (1 = all agree). */
  agreement: number;
  /** Median across seeds at every step that at least half of the seeds reached. */
  curve: { learningRate: number; loss: number; smoothed: number }[];
  warnings: string[];
}

export function spreadOf(values: readonly (number | null)[]): Spread | null {
  const v = values.filter((x): x is number => x !== null && x > 0 && Number.isFinite(x));
  if (v.length === 0) return null;
  const min = Math.min(...v);
  const max = Math.max(...v);
  return { median: logMedian(v), min, max, decades: decadesBetween(min, max), count: v.length };
}

/** Combines the per-seed analyses into consensus suggestions, an interval and its agreement. */
export function summarizeSeeds(curves: readonly RangeTestCurve[], analyses: readonly SeedAnalysis[]): RangeTestSummary {
  const pick = (f: (a: SeedAnalysis) => number | null | undefined) => spreadOf(analyses.map((a) => f(a) ?? null));
  const spread = {
    valley: pick((a) => a.suggestions.valley),
    steep: pick((a) => a.suggestions.steep),
    minimum: pick((a) => a.suggestions.minimum),
    rangeMin: pick((a) => a.range?.min),
    rangeMax: pick((a) => a.range?.max),
  };
  const range = spread.rangeMin && spread.rangeMax && spread.rangeMin.median < spread.rangeMax.median ? { min: spread.rangeMin.median, max: spread.rangeMax.median } : null;
  const valleys = analyses.map((a) => a.suggestions.valley).filter((v): v is number => v !== null);
  const agreement = range && analyses.length > 0 ? valleys.filter((v) => v >= range.min && v <= range.max).length / analyses.length : 0;

  const warnings: string[] = [];
  const seen = new Map<string, number>();
  for (const a of analyses) for (const w of a.warnings) seen.set(w, (seen.get(w) ?? 0) + 1);
  for (const [w, count] of seen) warnings.push(analyses.length > 1 ? `${w} (${count} of ${analyses.length} seeds)` : w);
  if (spread.valley && spread.valley.decades > 1) warnings.push(`the seeds' valleys disagree by ${spread.valley.decades.toFixed(1)} decades: trust the interval, not a point`);

  const longest = Math.max(0, ...curves.map((c) => c.points.length));
  const curve: RangeTestSummary['curve'] = [];
  for (let i = 0; i < longest; i++) {
    const at = curves.map((c) => c.points[i]).filter((p): p is RangeTestPoint => p !== undefined);
    if (at.length * 2 < curves.length) break;
    curve.push({ learningRate: at[0]!.learningRate, loss: median(at.map((p) => p.loss)), smoothed: median(at.map((p) => p.smoothed)) });
  }
  return {
    suggestions: { valley: spread.valley?.median ?? null, steep: spread.steep?.median ?? null, minimum: spread.minimum?.median ?? null },
    range,
    spread,
    agreement,
    curve,
    warnings,
  };
}
