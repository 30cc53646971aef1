import { describe, expect, it } from 'vitest';
import { chooseFinalCandidate, finalCandidateCount, finalCandidates, finalCandidateId } from './final-candidates.js';

describe('finalCandidateCount', () => {
  it('auto follows the slots, 1 to 3', () => {
    expect(finalCandidateCount('auto', 0)).toBe(1);
    expect(finalCandidateCount('auto', 1)).toBe(1);
    expect(finalCandidateCount('auto', 2)).toBe(2);
    expect(finalCandidateCount('auto', 3)).toBe(3);
    expect(finalCandidateCount('auto', 64)).toBe(3);
  });
  it('a number is taken as is, whatever the slots', () => {
    expect(finalCandidateCount(1, 64)).toBe(1);
    expect(finalCandidateCount(5, 1)).toBe(5);
  });
});

describe('finalCandidates', () => {
  it('one candidate is the single final training: the whole range', () => {
    expect(finalCandidates({ min: 0.01, max: 0.5 }, 0.1, 1)).toEqual([{ trialId: 'final', lrMin: 0.01, lrMax: 0.5 }]);
  });

  it('spaces the peaks geometrically from the top down to the best rate', () => {
    const c = finalCandidates({ min: 0.01, max: 1 }, 0.01, 3);
    expect(c.map((x) => x.trialId)).toEqual(['final', 'final-2', 'final-3']);
    expect(c[0]!.lrMax).toBe(1);
    expect(c[1]!.lrMax).toBeCloseTo(0.1, 12);
    expect(c[2]!.lrMax).toBeCloseTo(0.01, 12);
    expect(c.every((x) => x.lrMin === 0.01)).toBe(true);
  });

  it('two candidates: the top and the best', () => {
    const c = finalCandidates({ min: 0.046, max: 0.46 }, 0.1, 2);
    expect(c.map((x) => x.lrMax)).toEqual([0.46, expect.closeTo(0.1, 12) as number]);
  });

  it('reaches down to top/√10 when the best rate is the top or near it', () => {
    for (const best of [0.46, 0.3, 0.5]) {
      const c = finalCandidates({ min: 0.046, max: 0.46 }, best, 2);
      expect(c[1]!.lrMax).toBeCloseTo(0.46 / Math.sqrt(10), 12);
    }
  });

  it('a range of one rate (a swept spread or group) gets peaks below it, each with its own floor', () => {
    const c = finalCandidates({ min: 0.01, max: 0.01 }, 0.01, 3);
    expect(c[0]).toEqual({ trialId: 'final', lrMin: 0.01, lrMax: 0.01 });
    for (const x of c.slice(1)) {
      expect(x.lrMax).toBeLessThan(0.01);
      expect(x.lrMin).toBe(x.lrMax);
    }
    expect(c[2]!.lrMax).toBeCloseTo(0.01 / Math.sqrt(10), 12);
  });

  it('peaks decrease strictly and never leave (0, top]', () => {
    for (let count = 2; count <= 8; count++) {
      const c = finalCandidates({ min: 1e-4, max: 3 }, 0.02, count);
      for (let i = 1; i < c.length; i++) expect(c[i]!.lrMax).toBeLessThan(c[i - 1]!.lrMax);
      expect(c.at(-1)!.lrMax).toBeCloseTo(0.02, 12);
      expect(c.every((x) => x.lrMin <= x.lrMax && x.lrMin > 0)).toBe(true);
    }
  });

  it('refuses a bad range or count', () => {
    expect(() => finalCandidates({ min: 0, max: 1 }, 0.1, 2)).toThrow(RangeError);
    expect(() => finalCandidates({ min: 1, max: 0.5 }, 0.1, 2)).toThrow(RangeError);
    expect(() => finalCandidates({ min: 0.1, max: 1 }, 0.1, 0)).toThrow(RangeError);
    expect(() => finalCandidates({ min: 0.1, max: 1 }, 0.1, 1.5)).toThrow(RangeError);
  });

  it('names candidates final, final-2, ...', () => {
    expect([0, 1, 2].map(finalCandidateId)).toEqual(['final', 'final-2', 'final-3']);
  });
});

describe('chooseFinalCandidate', () => {
  it('takes the lowest validation loss among the finished ones', () => {
    const c = [
      { id: 'a', done: true, valLoss: 0.3 },
      { id: 'b', done: true, valLoss: 0.2 },
      { id: 'c', done: false, valLoss: 0.1 },
    ];
    expect(chooseFinalCandidate(c)?.id).toBe('b');
  });
  it('skips failed (non-finite or missing) losses; ties go to the first', () => {
    expect(chooseFinalCandidate([{ id: 'a', done: true, valLoss: NaN }, { id: 'b', done: true, valLoss: 0.5 }])?.id).toBe('b');
    expect(chooseFinalCandidate([{ id: 'a', done: true, valLoss: 0.5 }, { id: 'b', done: true, valLoss: 0.5 }])?.id).toBe('a');
    expect(chooseFinalCandidate([{ id: 'a', done: true }, { id: 'b', done: false, valLoss: 0.1 }])).toBeUndefined();
  });
});
