import { describe, expect, it } from 'vitest';
import { decadesBetween } from '../lr/grid.js';
import { exponentialRamp } from '../lr/schedules.js';
import { DebiasedEma } from '../lr/smoothing.js';
import { SeededRandom } from '../rng.js';
import { analyzeCurve, spreadOf, steepestIndex, summarizeSeeds, valleyIndex } from './analysis.js';
import type { AnalysisOptions, CurveAnalysis, RangeTestCurve, RangeTestPoint } from './analysis.js';

const PLANNED = 100;
const OPTIONS: AnalysisOptions = { beta: 0.9, plannedSteps: PLANNED };

/**
 * A synthetic range-test loss as a function of x = log10(lr): flat at 2.3 below 1e-4, a cosine fall
 * to 0.3 between 1e-4 and 1e-2 (steepest at 1e-3), a gentle bowl up to lr = 1, then a blow-up.
 */
function lossAt(lr: number): number {
  const x = Math.log10(lr);
  if (x <= -4) return 2.3;
  if (x <= -2) return 0.3 + (1 + Math.cos((Math.PI * (x + 4)) / 2));
  if (x <= 0) return 0.3 + 0.15 * (x + 2) ** 2;
  return 0.9 * 10 ** (3 * x);
}

/**
 * Runs a simulated range test the way a worker does: an exponential ramp 1e-7..10, the debiased
 * EMA of the loss, and a stop once the smoothed loss exceeds `divergenceFactor` times its minimum
 * (so a blowing-up curve has fewer points than planned).
 */
function simulate(loss: (lr: number, step: number) => number, steps = PLANNED, divergenceFactor = 4): RangeTestPoint[] {
  const ramp = exponentialRamp(1e-7, 10, steps);
  const ema = new DebiasedEma(0.9);
  const points: RangeTestPoint[] = [];
  let best = Infinity;
  for (let step = 0; step < steps; step++) {
    const learningRate = ramp(step);
    const value = loss(learningRate, step);
    const smoothed = ema.push(value);
    points.push({ step, learningRate, loss: value, smoothed });
    if (!Number.isFinite(smoothed)) break;
    best = Math.min(best, smoothed);
    if (smoothed > divergenceFactor * best) break;
  }
  return points;
}

const log10 = (v: number | null | undefined): number => {
  expect(v).toBeTypeOf('number');
  return Math.log10(v!);
};

/** Asserts that a rate lies within [10^lo, 10^hi]. */
function expectDecadeIn(rate: number | null | undefined, lo: number, hi: number): void {
  const x = log10(rate);
  expect(x, `log10(rate) = ${x.toFixed(2)}`).toBeGreaterThanOrEqual(lo);
  expect(x, `log10(rate) = ${x.toFixed(2)}`).toBeLessThanOrEqual(hi);
}

/** Asserts that two rates are within `decades` of each other. */
function expectNear(actual: number | null | undefined, expected: number | null | undefined, decades: number): void {
  expect(actual).toBeTypeOf('number');
  expect(expected).toBeTypeOf('number');
  const d = decadesBetween(actual!, expected!);
  expect(d, `${actual} vs ${expected}: ${d.toFixed(2)} decades apart`).toBeLessThanOrEqual(decades);
}

const clean = simulate(lossAt);
const cleanAnalysis = analyzeCurve(clean, OPTIONS);

describe('the synthetic curve', () => {
  it('blows up and stops before the planned steps, past lr = 1', () => {
    expect(clean.length).toBeLessThan(PLANNED);
    expect(clean.length).toBeGreaterThan(85);
    expect(clean.at(-1)!.learningRate).toBeGreaterThan(1);
    expect(clean[0]!.learningRate).toBe(1e-7);
  });
});

describe('analyzeCurve on a clean curve', () => {
  const { suggestions, range, window, trend, warnings } = cleanAnalysis;

  it('puts valley, steep and minimum in the falling region (1e-4..1e-2)', () => {
    expectDecadeIn(suggestions.valley, -4.25, -1.75);
    expectDecadeIn(suggestions.steep, -4.25, -1.75);
    expectDecadeIn(suggestions.minimum, -4.25, -1.75);
  });

  it('finds the steepest descent at the middle of the fall (1e-3)', () => {
    expectNear(suggestions.steep, 1e-3, 0.25);
  });

  it('starts the range near where the fall starts and ends it near the bottom', () => {
    expect(range).not.toBeNull();
    expectNear(range!.min, 1e-4, 0.5);
    expectNear(range!.max, 1e-2, 0.5);
    expect(range!.min).toBeLessThan(range!.max);
    // The suggestions are rates inside the interval, or at least not above its top.
    expect(suggestions.steep!).toBeGreaterThan(range!.min);
    expect(suggestions.steep!).toBeLessThan(range!.max);
    expect(suggestions.valley!).toBeGreaterThanOrEqual(range!.min);
    expect(suggestions.valley!).toBeLessThanOrEqual(range!.max);
  });

  it('skips the first 10% of the planned steps and, after a blow-up, the last 5 points', () => {
    expect(window).toEqual({ start: 10, end: clean.length - 5 });
    expect(trend).toHaveLength(window.end - window.start);
  });

  it('has no warnings', () => {
    expect(warnings).toEqual([]);
  });

  it('reports the suggestions as rates of the curve (minimum divided by 10)', () => {
    const rates = new Set(clean.map((p) => p.learningRate));
    expect(rates.has(suggestions.valley!)).toBe(true);
    expect(rates.has(suggestions.steep!)).toBe(true);
    expect(rates.has(suggestions.minimum! * 10)).toBe(true);
    expect(rates.has(range!.min)).toBe(true);
    expect(rates.has(range!.max)).toBe(true);
  });

  it('is deterministic and leaves the points alone', () => {
    const copy = structuredClone(clean);
    expect(analyzeCurve(clean, OPTIONS)).toEqual(cleanAnalysis);
    expect(clean).toEqual(copy);
  });

  it('honours skipEnd', () => {
    expect(analyzeCurve(clean, { ...OPTIONS, skipEnd: 0 }).window.end).toBe(clean.length);
    expect(analyzeCurve(clean, { ...OPTIONS, skipEnd: 10 }).window.end).toBe(clean.length - 10);
  });

  it('narrows the range with a larger intervalThreshold', () => {
    const wide = analyzeCurve(clean, { ...OPTIONS, intervalThreshold: 0.05 }).range!;
    const narrow = analyzeCurve(clean, { ...OPTIONS, intervalThreshold: 0.3 }).range!;
    expect(narrow.min).toBeGreaterThan(range!.min);
    expect(narrow.max).toBeLessThan(range!.max);
    expect(wide.min).toBeLessThan(range!.min);
    expect(wide.max).toBeGreaterThan(range!.max);
  });
});

describe('analyzeCurve truncates at the first non-finite loss', () => {
  const at = 55;
  const withNaN = clean.map((p, i) => (i === at ? { ...p, loss: NaN } : p));

  it('is the analysis of the points before the NaN', () => {
    const result = analyzeCurve(withNaN, OPTIONS);
    expect(result).toEqual(analyzeCurve(clean.slice(0, at), OPTIONS));
    // An early stop: the last 5 finite points are dropped as the blow-up.
    expect(result.window).toEqual({ start: 10, end: at - 5 });
  });

  it('uses nothing after the NaN', () => {
    const garbageAfter = withNaN.map((p, i) => (i > at ? { ...p, loss: i % 2 === 0 ? 0.001 : 1e6 } : p));
    expect(analyzeCurve(garbageAfter, OPTIONS)).toEqual(analyzeCurve(withNaN, OPTIONS));
    expect(analyzeCurve(garbageAfter, OPTIONS).trend.every(Number.isFinite)).toBe(true);
  });

  it('treats Infinity and a non-positive rate the same way', () => {
    const expected = analyzeCurve(clean.slice(0, at), OPTIONS);
    expect(analyzeCurve(clean.map((p, i) => (i === at ? { ...p, loss: Infinity } : p)), OPTIONS)).toEqual(expected);
    expect(analyzeCurve(clean.map((p, i) => (i === at ? { ...p, learningRate: 0 } : p)), OPTIONS)).toEqual(expected);
  });

  it('moves nothing beyond the truncation point', () => {
    const result = analyzeCurve(withNaN, OPTIONS);
    const lastRate = clean[at - 1]!.learningRate;
    for (const rate of [result.suggestions.valley, result.suggestions.steep, result.range?.max]) {
      if (rate !== null && rate !== undefined) expect(rate).toBeLessThanOrEqual(lastRate);
    }
  });
});

describe('analyzeCurve with a single huge spike', () => {
  it.each([30, 40, 45, 50, 55, 65, 75])('barely moves the suggestions when step %i spikes 10×', (at) => {
    const spiked = clean.map((p, i) => (i === at ? { ...p, loss: p.loss * 10 } : p));
    const result = analyzeCurve(spiked, OPTIONS);
    expectNear(result.suggestions.valley, cleanAnalysis.suggestions.valley, 0.1);
    expectNear(result.suggestions.steep, cleanAnalysis.suggestions.steep, 0.2);
    expectNear(result.suggestions.minimum, cleanAnalysis.suggestions.minimum, 0.2);
    expectNear(result.range?.min, cleanAnalysis.range?.min, 0.2);
    expectNear(result.range?.max, cleanAnalysis.range?.max, 0.2);
  });

  it('barely moves the suggestions when the first or last point of the window spikes', () => {
    const { start, end } = cleanAnalysis.window;
    for (const at of [start, end - 1]) {
      const spiked = clean.map((p, i) => (i === at ? { ...p, loss: p.loss * 10 } : p));
      const result = analyzeCurve(spiked, OPTIONS);
      expectNear(result.suggestions.valley, cleanAnalysis.suggestions.valley, 0.1);
      expectNear(result.suggestions.steep, cleanAnalysis.suggestions.steep, 0.2);
      expectNear(result.range?.min, cleanAnalysis.range?.min, 0.2);
    }
  });
});

describe('analyzeCurve with deterministic noise', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('keeps the suggestions within half a decade (seed %i)', (seed) => {
    const rng = new SeededRandom(seed);
    const noisy = simulate((lr) => lossAt(lr) + 0.05 * rng.normal());
    const result = analyzeCurve(noisy, OPTIONS);
    expectNear(result.suggestions.valley, cleanAnalysis.suggestions.valley, 0.5);
    expectNear(result.suggestions.steep, cleanAnalysis.suggestions.steep, 0.5);
    expectNear(result.suggestions.minimum, cleanAnalysis.suggestions.minimum, 0.5);
    expectNear(result.range?.min, cleanAnalysis.range?.min, 0.5);
    expectNear(result.range?.max, cleanAnalysis.range?.max, 0.5);
    expect(result.range!.min).toBeLessThan(result.range!.max);
  });
});

describe('analyzeCurve refuses to guess', () => {
  it('gives no valley, steep or range on a flat curve, with a warning', () => {
    const flat = simulate(() => 2.3);
    expect(flat).toHaveLength(PLANNED);
    const result = analyzeCurve(flat, OPTIONS);
    expect(result.suggestions.valley).toBeNull();
    expect(result.suggestions.steep).toBeNull();
    expect(result.suggestions.minimum).toBeNull();
    expect(result.range).toBeNull();
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/never fell by more than 2%/);
  });

  it('gives no valley, steep or range on a flat noisy curve', () => {
    const rng = new SeededRandom(1);
    const result = analyzeCurve(
      simulate(() => 2.3 + 0.02 * rng.normal()),
      OPTIONS,
    );
    expect(result.suggestions.valley).toBeNull();
    expect(result.suggestions.steep).toBeNull();
    expect(result.suggestions.minimum).toBeNull();
    expect(result.range).toBeNull();
    expect(result.warnings.some((w) => /never fell/.test(w))).toBe(true);
  });

  it('gives nulls and a warning when the run stopped after a handful of points', () => {
    const result = analyzeCurve(clean.slice(0, 14), OPTIONS);
    expect(result.suggestions).toEqual({ valley: null, steep: null, minimum: null });
    expect(result.range).toBeNull();
    expect(result.trend).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/only 0 usable points/);
    expect(result.warnings[0]).toContain('after 14 of 100 steps');
    expect(result.warnings[0]).toMatch(/rangeTest\.max|rangeTest\.steps/);
  });

  it('needs at least 6 points in the window', () => {
    // Early stop: window = [10, length − 5).
    expect(analyzeCurve(clean.slice(0, 20), OPTIONS).range).toBeNull();
    expect(analyzeCurve(clean.slice(0, 20), OPTIONS).warnings[0]).toMatch(/only 5 usable points/);
    expect(analyzeCurve(clean.slice(0, 21), OPTIONS).trend).toHaveLength(6);
  });

  it('handles an empty curve', () => {
    const result = analyzeCurve([], OPTIONS);
    expect(result.suggestions).toEqual({ valley: null, steep: null, minimum: null });
    expect(result.warnings).toHaveLength(1);
  });
});

describe('analyzeCurve warnings', () => {
  it('warns when the loss was still falling at rangeTest.max', () => {
    const falling = simulate((lr) => 2.3 - 0.25 * (Math.log10(lr) + 7));
    expect(falling).toHaveLength(PLANNED);
    const result = analyzeCurve(falling, OPTIONS);
    expect(result.warnings.some((w) => /still falling at rangeTest\.max/.test(w))).toBe(true);
    expect(result.range).not.toBeNull();
    // The range reaches into the last decade tested.
    expect(result.range!.max).toBeGreaterThan(1);
    expect(result.suggestions.minimum).toBe(10 / 10);
  });

  it('does not warn "still falling" when the curve stopped early', () => {
    const falling = simulate((lr) => 2.3 - 0.25 * (Math.log10(lr) + 7));
    const result = analyzeCurve(falling.slice(0, 80), OPTIONS);
    expect(result.warnings.some((w) => /still falling/.test(w))).toBe(false);
  });

  it('warns when the loss was already falling at the start of the window', () => {
    const early = simulate((lr) => {
      const x = Math.log10(lr);
      return x < 0 ? 0.3 + 2 * Math.exp(-(x + 7) * 4) : 0.3 * 10 ** (3 * x);
    });
    const result = analyzeCurve(early, OPTIONS);
    expect(result.warnings.some((w) => /already falling at the start/.test(w))).toBe(true);
    expect(cleanAnalysis.warnings.some((w) => /already falling/.test(w))).toBe(false);
  });
});

describe('valleyIndex', () => {
  it('is null without a descent', () => {
    expect(valleyIndex([])).toBeNull();
    expect(valleyIndex([1])).toBeNull();
    expect(valleyIndex([1, 2, 3])).toBeNull();
    expect(valleyIndex([2, 2, 2])).toBeNull();
  });

  it('follows fastai: start + ⌊L/3⌋ + ⌊L/6⌋ with start = end − L of the longest descent', () => {
    // Longest descent 12..1 at indices 3..14 (L = 12): start = 14 − 12 = 2, sections = 4 → 2 + 4 + 2.
    const losses = [0, 0, 0, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    expect(valleyIndex(losses)).toBe(8);
  });

  it('clamps at 0 when the descent starts at the first point', () => {
    // L = 3 from index 0: start = −1, sections = 1 → −1 + 1 + 0 = 0.
    expect(valleyIndex([3, 2, 1])).toBe(0);
    // L = 6 from index 0: start = −1, sections = 2 → −1 + 2 + 1 = 2.
    expect(valleyIndex([5, 4, 3, 2, 1, 0, 1, 2])).toBe(2);
  });

  it('counts strict decreases only', () => {
    // [3, 3, 2, 2, 1]: the longest strict descent has length 3, ending at index 4.
    expect(valleyIndex([3, 3, 2, 2, 1])).toBe(2);
  });

  it('picks the longer of two descents', () => {
    const short = [5, 4, 3];
    const long = [9, 8, 7, 6, 5, 4, 3, 2, 1];
    // A rise between them, so the long one is not a continuation of the short one.
    const index = valleyIndex([...short, 10, ...long]);
    // L = 10 (10, 9, ..., 1), ending at index 12: start = 2, sections = 10/3 → 2 + 3 + 1.
    expect(index).toBe(6);
  });
});

describe('steepestIndex', () => {
  it('is null with fewer than 3 points', () => {
    expect(steepestIndex([], [])).toBeNull();
    expect(steepestIndex([2, 1], [1, 10])).toBeNull();
  });

  it('finds the most negative central difference', () => {
    expect(steepestIndex([3, 2.5, 0, -0.2], [1, 10, 100, 1000])).toBe(1);
    expect(steepestIndex([3, 2.9, 2.8, 0, -0.1], [1, 10, 100, 1000, 10000])).toBe(2);
  });

  it('measures the slope against log(rate), not the index', () => {
    // Equal loss steps, but the rates around index 2 are much closer on a log axis.
    expect(steepestIndex([4, 3, 2, 1], [1, 1e3, 1e4, 1.1e4])).toBe(2);
    expect(steepestIndex([4, 3, 2, 1], [1, 10, 100, 1e5])).toBe(1);
  });

  it('is null when nothing falls', () => {
    expect(steepestIndex([1, 2, 3], [1, 10, 100])).toBeNull();
    expect(steepestIndex([1, 1, 1], [1, 10, 100])).toBeNull();
  });
});

describe('spreadOf', () => {
  it('takes the log-axis median, the extremes and their distance in decades', () => {
    const s = spreadOf([1e-3, 1e-1, 1e-2]);
    expect(s).not.toBeNull();
    expect(s!.median).toBeCloseTo(1e-2, 12);
    expect(s!.min).toBe(1e-3);
    expect(s!.max).toBe(1e-1);
    expect(s!.decades).toBeCloseTo(2, 12);
    expect(s!.count).toBe(3);
  });

  it('ignores nulls and non-positive or non-finite values', () => {
    const s = spreadOf([null, 1e-2, 0, -1, NaN, Infinity, 1e-4]);
    expect(s!.count).toBe(2);
    expect(s!.median).toBeCloseTo(1e-3, 12);
    expect(spreadOf([null, null])).toBeNull();
    expect(spreadOf([])).toBeNull();
  });
});

/** A per-seed analysis with the given suggestions, range and warnings. */
function analysis(valley: number | null, steep: number | null, minimum: number | null, range: [number, number] | null, warnings: string[] = []): CurveAnalysis {
  return {
    suggestions: { valley, steep, minimum },
    range: range && { min: range[0], max: range[1] },
    trend: [],
    window: { start: 0, end: 0 },
    warnings,
  };
}

/** A curve of `length` points on the shared ramp whose loss is `offset + step`. */
function curve(seed: number, length: number, offset: number): RangeTestCurve {
  const ramp = exponentialRamp(1e-7, 10, 20);
  return {
    seed,
    points: Array.from({ length }, (_, step) => ({ step, learningRate: ramp(step), loss: offset + step, smoothed: offset + step + 0.5 })),
    stopReason: length < 20 ? 'diverged' : 'completed',
  };
}

describe('summarizeSeeds', () => {
  const analyses = [
    analysis(2e-3, 2e-3, 1e-3, [1e-4, 1e-2], ['W1']),
    analysis(1e-2, 8e-3, 1e-2, [1e-3, 1e-1], ['W1', 'W2']),
    analysis(1, null, 1e-1, [1e-2, 1]),
  ];
  const curves = [curve(1, 10, 0), curve(2, 6, 10), curve(3, 3, 20)];
  const summary = summarizeSeeds(curves, analyses);

  it('takes medians on a log axis', () => {
    expect(summary.suggestions.valley).toBeCloseTo(1e-2, 12);
    // Only two seeds have a steep: the geometric midpoint of 2e-3 and 8e-3.
    expect(summary.suggestions.steep).toBeCloseTo(4e-3, 12);
    expect(summary.suggestions.minimum).toBeCloseTo(1e-2, 12);
    expect(summary.range!.min).toBeCloseTo(1e-3, 12);
    expect(summary.range!.max).toBeCloseTo(1e-1, 12);
  });

  it('reports the spread in decades and how many seeds gave a value', () => {
    expect(summary.spread.valley!.decades).toBeCloseTo(Math.log10(1 / 2e-3), 12);
    expect(summary.spread.valley!.min).toBe(2e-3);
    expect(summary.spread.valley!.max).toBe(1);
    expect(summary.spread.valley!.count).toBe(3);
    expect(summary.spread.steep!.count).toBe(2);
    expect(summary.spread.steep!.decades).toBeCloseTo(Math.log10(4), 12);
    expect(summary.spread.rangeMin!.decades).toBeCloseTo(2, 12);
    expect(summary.spread.rangeMax!.decades).toBeCloseTo(2, 12);
  });

  it("counts the share of seeds whose valley is inside the consensus range", () => {
    // Range [1e-3, 1e-1]: 2e-3 and 1e-2 are inside, 1 is not.
    expect(summary.agreement).toBeCloseTo(2 / 3, 12);
  });

  it('builds the median curve over the steps at least half of the seeds reached', () => {
    // Lengths 10, 6, 3 of 3 seeds: steps 0–2 have 3 seeds, 3–5 have 2, 6+ only 1 (fewer than half).
    expect(summary.curve).toHaveLength(6);
    // Median of 3 values, then the mean of the middle two of 2.
    expect(summary.curve[0]).toEqual({ learningRate: curves[0]!.points[0]!.learningRate, loss: 10, smoothed: 10.5 });
    expect(summary.curve[2]!.loss).toBe(12);
    expect(summary.curve[4]).toEqual({ learningRate: curves[0]!.points[4]!.learningRate, loss: 9, smoothed: 9.5 });
  });

  it('keeps steps that exactly half of the seeds reached', () => {
    const four = [curve(1, 10, 0), curve(2, 8, 0), curve(3, 5, 0), curve(4, 2, 0)];
    const s = summarizeSeeds(four, four.map(() => analysis(null, null, null, null)));
    // Steps 5–7 are reached by 2 of 4 seeds (kept); steps 8–9 by 1 (dropped).
    expect(s.curve).toHaveLength(8);
  });

  it('merges the warnings with how many seeds gave each, and flags disagreeing valleys', () => {
    expect(summary.warnings).toEqual([
      'W1 (2 of 3 seeds)',
      'W2 (1 of 3 seeds)',
      "the seeds' valleys disagree by 2.7 decades: trust the interval, not a point",
    ]);
  });

  it('passes a single seed through without counts', () => {
    const s = summarizeSeeds([curves[0]!], [analyses[1]!]);
    expect(s.warnings).toEqual(['W1', 'W2']);
    expect(s.suggestions.valley).toBeCloseTo(1e-2, 12);
    expect(s.range!.min).toBeCloseTo(1e-3, 12);
    expect(s.agreement).toBe(1);
    expect(s.curve).toHaveLength(10);
    expect(s.curve.map((p) => p.loss)).toEqual(curves[0]!.points.map((p) => p.loss));
  });

  it('does not flag valleys that agree within a decade', () => {
    const close = [analysis(1e-3, 1e-3, 1e-3, [1e-4, 1e-2]), analysis(3e-3, 1e-3, 1e-3, [1e-4, 1e-2])];
    expect(summarizeSeeds([curves[0]!, curves[1]!], close).warnings).toEqual([]);
  });

  it('has no range, and no agreement, when no seed has a range', () => {
    const none = [analysis(null, null, 1e-3, null, ['flat']), analysis(null, null, 1e-2, null, ['flat'])];
    const s = summarizeSeeds([curves[0]!, curves[1]!], none);
    expect(s.range).toBeNull();
    expect(s.agreement).toBe(0);
    expect(s.suggestions.valley).toBeNull();
    expect(s.suggestions.steep).toBeNull();
    expect(s.spread.valley).toBeNull();
    expect(s.warnings).toEqual(['flat (2 of 2 seeds)']);
  });

  it('has no range when the median ends cross', () => {
    const crossed = [analysis(1e-3, null, null, [1e-2, 1e-1]), analysis(1e-3, null, null, [1e-2, 1e-3])];
    // Medians: min = 1e-2, max = √(1e-1·1e-3) = 1e-2: not a usable interval.
    const s = summarizeSeeds([curves[0]!, curves[1]!], crossed);
    expect(s.range).toBeNull();
    expect(s.agreement).toBe(0);
  });

  it('handles no seeds at all', () => {
    const s = summarizeSeeds([], []);
    expect(s.suggestions).toEqual({ valley: null, steep: null, minimum: null });
    expect(s.range).toBeNull();
    expect(s.agreement).toBe(0);
    expect(s.curve).toEqual([]);
    expect(s.warnings).toEqual([]);
  });

  it('agrees with itself on simulated noisy seeds', () => {
    const seeds = [11, 12, 13];
    const runs: RangeTestCurve[] = seeds.map((seed) => {
      const rng = new SeededRandom(seed);
      const points = simulate((lr) => lossAt(lr) + 0.05 * rng.normal());
      return { seed, points, stopReason: points.length < PLANNED ? 'diverged' : 'completed' };
    });
    const s = summarizeSeeds(
      runs,
      runs.map((r) => analyzeCurve(r.points, OPTIONS)),
    );
    expectNear(s.suggestions.valley, cleanAnalysis.suggestions.valley, 0.5);
    expectNear(s.suggestions.steep, cleanAnalysis.suggestions.steep, 0.5);
    expectNear(s.range?.min, cleanAnalysis.range?.min, 0.5);
    expectNear(s.range?.max, cleanAnalysis.range?.max, 0.5);
    expect(s.agreement).toBe(1);
    expect(s.spread.valley!.decades).toBeLessThan(0.5);
    expect(s.warnings).toEqual([]);
    // The median curve runs as far as the second-longest seed.
    const lengths = runs.map((r) => r.points.length).sort((a, b) => a - b);
    expect(s.curve).toHaveLength(lengths[1]!);
  });
});

describe('analyzeCurve: the valley lies inside the range', () => {
  it('holds for a fast early fall followed by a long slow tail', () => {
    // Falls hard between 1e-6 and 1e-5, then keeps creeping down until the blow-up near 1.
    const rates = Array.from({ length: 100 }, (_, i) => 1e-7 * (10 / 1e-7) ** (i / 99));
    const points = rates.map((learningRate, step) => {
      const x = Math.log10(learningRate);
      const fast = x < -6 ? 2.3 : x < -5 ? 2.3 - 1.5 * (x + 6) : 0.8;
      const tail = x > -5 ? (-0.1 * (x + 5)) / 6 : 0;
      return { step, learningRate, loss: fast + tail, smoothed: fast + tail };
    });
    const result = analyzeCurve(points, { beta: 0.9, plannedSteps: 100 });
    expect(result.range).not.toBeNull();
    expect(result.suggestions.valley).not.toBeNull();
    expect(result.suggestions.valley!).toBeGreaterThanOrEqual(result.range!.min);
    expect(result.suggestions.valley!).toBeLessThanOrEqual(result.range!.max);
  });
});
