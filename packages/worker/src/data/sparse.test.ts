import { describe, expect, it } from 'vitest';
import { loadMnist } from './mnist.js';
import { csrOfRows, densityOf, SPARSE_MAX_DENSITY, sparseRows, sparseRowsIfSparse } from './sparse.js';

/** Dense rows back from CSR arrays. */
function densify(csr: { rowPtr: Int32Array; indices: Int32Array; values: Float32Array }, size: number): Float32Array {
  const rows = csr.rowPtr.length - 1;
  const out = new Float32Array(rows * size);
  for (let r = 0; r < rows; r++) for (let j = csr.rowPtr[r]!; j < csr.rowPtr[r + 1]!; j++) out[r * size + csr.indices[j]!] = csr.values[j]!;
  return out;
}

describe('sparse rows', () => {
  const features = new Float32Array([0, 1.5, 0, 0, /**/ 0, 0, 0, 0, /**/ -2, 0, 3, NaN]);

  it('indexes the non-zeros of each row (NaN included) and gives back any rows in any order', () => {
    const index = sparseRows(features, 4);
    expect(Array.from(index.starts)).toEqual([0, 1, 1, 4]);
    expect(Array.from(index.indices)).toEqual([1, 0, 2, 3]);
    expect(index.density).toBe(4 / 12);
    const csr = csrOfRows(index, [2, 0, 1, 2]);
    expect(Array.from(csr.rowPtr)).toEqual([0, 3, 4, 4, 7]);
    const dense = densify(csr, 4);
    expect(Array.from(dense.subarray(0, 4))).toEqual(Array.from(features.subarray(8, 12)));
    expect(Array.from(dense.subarray(4, 8))).toEqual([0, 1.5, 0, 0]);
    expect(Array.from(dense.subarray(8, 12))).toEqual([0, 0, 0, 0]);
    expect(Array.from(dense.subarray(12, 16))).toEqual(Array.from(features.subarray(8, 12)));
  });

  it('refuses features that are not whole rows', () => {
    expect(() => sparseRows(features, 5)).toThrow(/not rows of 5/);
    expect(() => sparseRows(features, 0)).toThrow();
  });

  it('MNIST is sparse enough; dense data is not indexed', () => {
    const mnist = loadMnist();
    const density = densityOf(mnist.features);
    expect(density).toBeGreaterThan(0.15);
    expect(density).toBeLessThan(0.25);
    const index = sparseRowsIfSparse(mnist.features, 784);
    expect(index?.density).toBeCloseTo(density, 10);
    // Remembered per array: the same object comes back.
    expect(sparseRowsIfSparse(mnist.features, 784)).toBe(index);
    const dense = new Float32Array(400).map((_, i) => (i % 4 === 0 ? 0 : i));
    expect(densityOf(dense)).toBeGreaterThan(SPARSE_MAX_DENSITY);
    expect(sparseRowsIfSparse(dense, 4)).toBeUndefined();
  });
});
