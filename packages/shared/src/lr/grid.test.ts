import { describe, expect, it } from 'vitest';
import { decadesBetween, geometricMean, logGrid, logMedian, median } from './grid.js';

describe('logGrid', () => {
  it('has exactly min and max at its ends', () => {
    // 1e-4..10 over 16 points is the default sweep grid; 0.1·3 is not exactly 0.3 in floating point,
    // so exact ends must not come from exp(log(...)).
    const grid = logGrid(1e-4, 10, 16);
    expect(grid).toHaveLength(16);
    expect(grid[0]).toBe(1e-4);
    expect(grid[15]).toBe(10);
    const odd = logGrid(0.3, 7.1, 9);
    expect(odd[0]).toBe(0.3);
    expect(odd[8]).toBe(7.1);
  });

  it('is log-uniform: a constant ratio between neighbours', () => {
    const grid = logGrid(1e-4, 10, 16);
    const expected = 10 ** (5 / 15);
    for (let i = 1; i < grid.length; i++) expect(grid[i]! / grid[i - 1]!).toBeCloseTo(expected, 10);
  });

  it('puts one point per decade on a decade grid', () => {
    const grid = logGrid(1e-6, 1, 7);
    grid.forEach((v, i) => expect(Math.log10(v)).toBeCloseTo(-6 + i, 12));
  });

  it('is strictly increasing', () => {
    const grid = logGrid(1e-7, 10, 100);
    for (let i = 1; i < grid.length; i++) expect(grid[i]!).toBeGreaterThan(grid[i - 1]!);
  });

  it('works with two points', () => {
    expect(logGrid(0.01, 1, 2)).toEqual([0.01, 1]);
  });

  it.each([
    [0, 1, 4],
    [-1, 1, 4],
    [1, 1, 4],
    [2, 1, 4],
    [1e-3, Infinity, 4],
    [NaN, 1, 4],
    [1e-3, NaN, 4],
  ])('rejects min=%s max=%s', (min, max, points) => {
    expect(() => logGrid(min, max, points)).toThrow(RangeError);
  });

  it.each([1, 0, -3, 2.5, NaN])('rejects %s points', (points) => {
    expect(() => logGrid(1e-3, 1, points)).toThrow(/at least 2 points/);
  });
});

describe('median', () => {
  it('takes the middle of an odd count, regardless of order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('sorts numerically, not as strings', () => {
    expect(median([10, 9, 100])).toBe(10);
  });

  it('ignores non-finite values', () => {
    expect(median([1, NaN, 3, Infinity, 2, -Infinity])).toBe(2);
  });

  it('is NaN when there is nothing finite', () => {
    expect(median([])).toBeNaN();
    expect(median([NaN, Infinity])).toBeNaN();
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('logMedian', () => {
  it('is the median on a log axis', () => {
    expect(logMedian([1e-3, 1e-1, 1e-2])).toBeCloseTo(1e-2, 15);
  });

  it('takes the geometric midpoint of the two middle rates', () => {
    // Arithmetic would give 0.505; on a log axis the midpoint of 0.01 and 1 is 0.1.
    expect(logMedian([0.01, 1])).toBeCloseTo(0.1, 12);
    expect(logMedian([1e-4, 1e-2, 1, 100])).toBeCloseTo(0.1, 12);
  });

  it('ignores non-positive rates and is NaN without any', () => {
    expect(logMedian([0, -1, 1e-3])).toBeCloseTo(1e-3, 15);
    expect(logMedian([])).toBeNaN();
    expect(logMedian([0, -2])).toBeNaN();
  });
});

describe('decadesBetween', () => {
  it('counts powers of ten, in either order', () => {
    expect(decadesBetween(1e-4, 1e-1)).toBeCloseTo(3, 12);
    expect(decadesBetween(1e-1, 1e-4)).toBeCloseTo(3, 12);
    expect(decadesBetween(2, 20)).toBeCloseTo(1, 12);
    expect(decadesBetween(1, Math.sqrt(10))).toBeCloseTo(0.5, 12);
    expect(decadesBetween(0.3, 0.3)).toBe(0);
  });
});

describe('geometricMean', () => {
  it('is the centre on a log axis', () => {
    expect(geometricMean([1e-4, 1e-2])).toBeCloseTo(1e-3, 15);
    expect(geometricMean([2, 8])).toBeCloseTo(4, 12);
    expect(geometricMean([])).toBeNaN();
  });
});
