import { describe, expect, it } from 'vitest';
import { constant, cosine, cosineInterpolate, exponentialRamp, oneCycle, oneCycleMomentum, scheduleForRange, triangular } from './schedules.js';
import type { Schedule } from './schedules.js';

const sample = (schedule: Schedule, steps: number): number[] => Array.from({ length: steps }, (_, i) => schedule(i));

/** Relative closeness, for rates spanning many decades. */
const expectRel = (actual: number, expected: number, tol = 1e-12): void => {
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(tol);
};

describe('constant', () => {
  it('returns the same rate at every step', () => {
    const s = constant(0.03);
    expect(sample(s, 5)).toEqual([0.03, 0.03, 0.03, 0.03, 0.03]);
  });
});

describe('exponentialRamp', () => {
  it('starts at min and ends exactly at max on step steps − 1', () => {
    const ramp = exponentialRamp(1e-7, 10, 100);
    expect(ramp(0)).toBe(1e-7);
    expect(ramp(99)).toBe(10);
  });

  it('follows min·(max/min)^(step/(steps−1)) in the middle', () => {
    const ramp = exponentialRamp(1e-7, 10, 100);
    expectRel(ramp(37), 1e-7 * (10 / 1e-7) ** (37 / 99));
    // 1e-6..1e-2 over 5 steps: one decade per step.
    const decades = exponentialRamp(1e-6, 1e-2, 5);
    expectRel(decades(2), 1e-4);
  });

  it('is strictly increasing with a constant ratio', () => {
    const rates = sample(exponentialRamp(1e-7, 10, 100), 100);
    const ratio = (10 / 1e-7) ** (1 / 99);
    for (let i = 1; i < rates.length; i++) {
      expect(rates[i]!).toBeGreaterThan(rates[i - 1]!);
      expectRel(rates[i]! / rates[i - 1]!, ratio, 1e-9);
    }
  });

  it('holds min before step 0 and max past the end', () => {
    const ramp = exponentialRamp(1e-3, 1, 10);
    expect(ramp(-5)).toBe(1e-3);
    expect(ramp(10)).toBe(1);
    expect(ramp(1000)).toBe(1);
  });

  it('needs at least two steps', () => {
    expect(() => exponentialRamp(1e-3, 1, 1)).toThrow(RangeError);
  });
});

describe('cosineInterpolate', () => {
  it('goes from start to end with the midpoint halfway', () => {
    expect(cosineInterpolate(1, 3, 0)).toBe(1);
    expect(cosineInterpolate(1, 3, 1)).toBeCloseTo(3, 15);
    expect(cosineInterpolate(1, 3, 0.5)).toBeCloseTo(2, 15);
    // Slow at the ends: a quarter of the way in, only (1 − cos(π/4))/2 ≈ 14.6% is done.
    expect(cosineInterpolate(0, 1, 0.25)).toBeCloseTo((1 - Math.SQRT1_2) / 2, 15);
  });

  it('clamps t to [0, 1]', () => {
    expect(cosineInterpolate(1, 3, -1)).toBe(1);
    expect(cosineInterpolate(1, 3, 2)).toBeCloseTo(3, 15);
  });
});

describe('oneCycle', () => {
  const total = 100;

  it('starts at maxRate/div', () => {
    expectRel(oneCycle({ maxRate: 0.1, totalSteps: total })(0), 0.1 / 25);
    expectRel(oneCycle({ maxRate: 0.1, totalSteps: total, div: 10 })(0), 0.01);
  });

  it('starts at minRate when given, overriding div', () => {
    expect(oneCycle({ maxRate: 0.1, totalSteps: total, minRate: 1e-3, div: 10 })(0)).toBe(1e-3);
  });

  it('peaks at maxRate exactly at the end of the warm-up', () => {
    const s = oneCycle({ maxRate: 0.1, totalSteps: total });
    expect(s(25)).toBe(0.1);
    expect(s(24)).toBeLessThan(0.1);
    expect(s(26)).toBeLessThan(0.1);
    const custom = oneCycle({ maxRate: 2, totalSteps: 40, pctStart: 0.5 });
    expect(custom(20)).toBe(2);
    const rates = sample(custom, 40);
    expect(rates.indexOf(Math.max(...rates))).toBe(20);
  });

  it('ends at maxRate/divFinal on the last step', () => {
    const s = oneCycle({ maxRate: 0.1, totalSteps: total });
    expectRel(s(total - 1), 0.1 / 1e5, 1e-9);
    expectRel(oneCycle({ maxRate: 0.1, totalSteps: total, divFinal: 100 })(total - 1), 1e-3, 1e-9);
  });

  it('ends at the final rate even on a short run', () => {
    const s = oneCycle({ maxRate: 1, totalSteps: 8, divFinal: 1e4 });
    expect(s(2)).toBe(1);
    expectRel(s(7), 1e-4, 1e-9);
  });

  it('rises monotonically then falls monotonically', () => {
    const rates = sample(oneCycle({ maxRate: 0.1, totalSteps: total }), total);
    for (let i = 1; i <= 25; i++) expect(rates[i]!).toBeGreaterThan(rates[i - 1]!);
    for (let i = 26; i < total; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
  });

  it('uses a cosine warm-up (midpoint of the warm-up is halfway between start and max)', () => {
    const s = oneCycle({ maxRate: 0.1, totalSteps: 100, pctStart: 0.2, minRate: 0.02 });
    expect(s(10)).toBeCloseTo(0.06, 12);
  });
});

describe('oneCycleMomentum', () => {
  it('goes 0.95 → 0.85 at the warm-up end → 0.95 on the last step', () => {
    const m = oneCycleMomentum(100);
    expect(m(0)).toBe(0.95);
    expect(m(25)).toBe(0.85);
    expect(m(99)).toBeCloseTo(0.95, 12);
  });

  it('mirrors the rate: down while the rate rises, up while it falls', () => {
    const moms = sample(oneCycleMomentum(100), 100);
    const rates = sample(oneCycle({ maxRate: 1, totalSteps: 100 }), 100);
    for (let i = 1; i < 100; i++) expect(Math.sign(moms[i]! - moms[i - 1]!)).toBe(-Math.sign(rates[i]! - rates[i - 1]!));
    expect(Math.min(...moms)).toBe(0.85);
  });

  it('takes custom bounds and warm-up share', () => {
    const m = oneCycleMomentum(50, 0.4, 0.99, 0.8);
    expect(m(0)).toBe(0.99);
    expect(m(20)).toBe(0.8);
    expect(m(49)).toBeCloseTo(0.99, 12);
  });
});

describe('triangular', () => {
  const s = triangular(0.01, 0.11, 10);

  it('is at base on step 0 and every 2·stepSize steps', () => {
    for (const step of [0, 20, 40, 60]) expect(s(step)).toBeCloseTo(0.01, 15);
  });

  it('peaks at stepSize (and every period after)', () => {
    for (const step of [10, 30, 50]) expect(s(step)).toBeCloseTo(0.11, 15);
  });

  it('is linear in between', () => {
    expect(s(5)).toBeCloseTo(0.06, 15);
    expect(s(15)).toBeCloseTo(0.06, 15);
    expect(s(2)).toBeCloseTo(0.03, 15);
    expect(s(18)).toBeCloseTo(0.03, 15);
  });

  it('has period 2·stepSize', () => {
    for (let step = 0; step < 40; step++) expect(s(step + 20)).toBeCloseTo(s(step), 14);
  });

  it('needs stepSize ≥ 1', () => {
    expect(() => triangular(0.01, 0.1, 0)).toThrow(RangeError);
  });
});

describe('cosine', () => {
  it('goes from maxRate at step 0 to minRate at the last step', () => {
    const s = cosine(0.1, 0.001, 101);
    expect(s(0)).toBe(0.1);
    expect(s(100)).toBeCloseTo(0.001, 15);
  });

  it('is at the arithmetic midpoint halfway', () => {
    expect(cosine(0.1, 0.001, 101)(50)).toBeCloseTo(0.0505, 15);
  });

  it('decreases monotonically', () => {
    const rates = sample(cosine(0.1, 0.001, 50), 50);
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
  });

  it('survives a single-step run', () => {
    expect(cosine(0.1, 0.001, 1)(0)).toBe(0.1);
  });
});

describe('scheduleForRange', () => {
  const lo = 1e-3;
  const hi = 1e-1;
  const total = 100;

  it('constant: the geometric midpoint of the range', () => {
    const s = scheduleForRange('constant', lo, hi, total);
    expect(s(0)).toBeCloseTo(1e-2, 15);
    expect(s(99)).toBe(s(0));
  });

  it('one-cycle: warms from minRate to maxRate, then anneals', () => {
    const s = scheduleForRange('one-cycle', lo, hi, total);
    expect(s(0)).toBe(lo);
    expect(s(25)).toBe(hi);
    expect(s(99)).toBeLessThan(lo);
    expectRel(s(99), hi / 1e5, 1e-9);
  });

  it('triangular: two cycles per run between minRate and maxRate', () => {
    const s = scheduleForRange('triangular', lo, hi, total);
    expect(s(0)).toBeCloseTo(lo, 15);
    expect(s(25)).toBeCloseTo(hi, 15);
    expect(s(50)).toBeCloseTo(lo, 15);
    expect(s(75)).toBeCloseTo(hi, 15);
    const rates = sample(s, total);
    expect(rates.filter((r) => Math.abs(r - hi) < 1e-12)).toHaveLength(2);
    expect(Math.min(...rates)).toBeGreaterThanOrEqual(lo - 1e-15);
    expect(Math.max(...rates)).toBeLessThanOrEqual(hi + 1e-15);
  });

  it('triangular: a stepSize of at least 1 on tiny runs', () => {
    const s = scheduleForRange('triangular', lo, hi, 2);
    expect(s(0)).toBeCloseTo(lo, 15);
    expect(s(1)).toBeCloseTo(hi, 15);
  });

  it('cosine: from maxRate down to minRate', () => {
    const s = scheduleForRange('cosine', lo, hi, total);
    expect(s(0)).toBe(hi);
    expect(s(99)).toBeCloseTo(lo, 15);
  });

  it('a range of one rate still warms up and anneals, from maxRate/25 (fastai div)', () => {
    const s = scheduleForRange('one-cycle', hi, hi, total);
    expectRel(s(0), hi / 25, 1e-12);
    expect(s(25)).toBe(hi);
    expectRel(scheduleForRange('cosine', hi, hi, total)(99), hi / 25, 1e-12);
    expect(scheduleForRange('constant', hi, hi, total)(50)).toBe(hi);
  });
});
