import { describe, expect, it } from 'vitest';
import { DebiasedEma, debiasedEma, zeroPhaseSmooth } from './smoothing.js';

describe('DebiasedEma', () => {
  it('reports the first value unchanged (the debias undoes the zero start)', () => {
    const ema = new DebiasedEma(0.9);
    expect(ema.value).toBeNaN();
    expect(ema.push(5)).toBeCloseTo(5, 14);
  });

  it('matches hand-computed values', () => {
    // β = 0.5: raw 0.5·2 = 1 → 1/(1 − 0.5) = 2;
    // raw 0.5·1 + 0.5·4 = 2.5 → 2.5/(1 − 0.25) = 10/3;
    // raw 0.5·2.5 + 0.5·8 = 5.25 → 5.25/(1 − 0.125) = 6.
    const ema = new DebiasedEma(0.5);
    expect(ema.push(2)).toBeCloseTo(2, 14);
    expect(ema.push(4)).toBeCloseTo(10 / 3, 14);
    expect(ema.push(8)).toBeCloseTo(6, 14);
    expect(ema.value).toBeCloseTo(6, 14);
  });

  it('matches hand-computed values for β = 0.9', () => {
    // raw: 0.1·1 = 0.1, then 0.09 + 0.3 = 0.39; debiased 0.39/0.19.
    const ema = new DebiasedEma(0.9);
    ema.push(1);
    expect(ema.push(3)).toBeCloseTo(0.39 / 0.19, 14);
  });

  it('with β = 0 is the raw series', () => {
    expect(debiasedEma([3, 1, 4, 1, 5], 0)).toEqual([3, 1, 4, 1, 5]);
  });

  it('is unbiased on a constant series', () => {
    for (const v of debiasedEma(Array.from({ length: 20 }, () => 2.3), 0.98)) expect(v).toBeCloseTo(2.3, 12);
  });

  it('passes non-finite values through without poisoning the average', () => {
    const ema = new DebiasedEma(0.5);
    ema.push(2);
    expect(ema.push(NaN)).toBeNaN();
    expect(ema.push(Infinity)).toBe(Infinity);
    // As if the non-finite values never happened: same as pushing 2 then 4.
    expect(ema.push(4)).toBeCloseTo(10 / 3, 14);
  });

  it.each([-0.1, 1, 1.5, NaN])('rejects beta = %s', (beta) => {
    expect(() => new DebiasedEma(beta)).toThrow(RangeError);
  });
});

describe('zeroPhaseSmooth', () => {
  const beta = 0.9;

  it('has no lag on a linear ramp (away from the ends), unlike the causal EMA', () => {
    const ramp = Array.from({ length: 400 }, (_, i) => i * 0.5);
    const smooth = zeroPhaseSmooth(ramp, beta);
    const causal = debiasedEma(ramp, beta);
    for (let i = 100; i < 300; i++) {
      // Only the debias transients (n·βⁿ, < 1e-3 here) remain; the lag itself cancels.
      expect(Math.abs(smooth[i]! - ramp[i]!)).toBeLessThan(1e-3);
      // The causal EMA trails the ramp by β/(1 − β) = 9 points · slope 0.5.
      expect(ramp[i]! - causal[i]!).toBeCloseTo(4.5, 2);
    }
  });

  it('crosses the half-way point of a step at the step, the causal EMA several points later', () => {
    const at = 50;
    const step = Array.from({ length: 100 }, (_, i) => (i < at ? 0 : 1));
    const crossing = (values: number[]) => values.findIndex((v) => v >= 0.5);
    const smooth = zeroPhaseSmooth(step, beta);
    const causal = debiasedEma(step, beta);
    expect(crossing(smooth)).toBe(at);
    expect(smooth[at - 1]!).toBeLessThan(0.5);
    // 1 − 0.9^n ≥ 0.5 first at n = 7 values of 1, i.e. step at + 6.
    expect(crossing(causal)).toBe(at + 6);
  });

  it('is symmetric: smoothing a reversed series gives the reversed smoothing', () => {
    const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
    const forward = zeroPhaseSmooth(values, 0.7);
    const backward = zeroPhaseSmooth([...values].reverse(), 0.7).reverse();
    forward.forEach((v, i) => expect(v).toBeCloseTo(backward[i]!, 12));
  });

  it('keeps the length, the ends exact for β = 0 and a constant series constant', () => {
    expect(zeroPhaseSmooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    for (const v of zeroPhaseSmooth(Array.from({ length: 30 }, () => 0.7), 0.95)) expect(v).toBeCloseTo(0.7, 12);
    expect(zeroPhaseSmooth([], 0.9)).toEqual([]);
  });

  it('reduces noise', () => {
    const noisy = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const smooth = zeroPhaseSmooth(noisy, 0.9);
    for (let i = 10; i < 90; i++) expect(Math.abs(smooth[i]!)).toBeLessThan(0.2);
  });

  it('does not modify its input', () => {
    const values = [1, 2, 3, 4];
    zeroPhaseSmooth(values, 0.5);
    expect(values).toEqual([1, 2, 3, 4]);
  });
});
