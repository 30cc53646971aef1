import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { csrOfRows, sparseRows } from '../data/sparse.js';
import { normals } from './kernel-test-utils.js';
import { selectBackend } from './select.js';
import { csrBatch, disposeCsrBatch, sparseDenseKernels, type CsrBatch, type SparseDenseKernels } from './sparse-dense.js';

let kernels: SparseDenseKernels;

beforeAll(async () => {
  await selectBackend('wasm');
  const k = sparseDenseKernels();
  expect(k).toBeDefined();
  kernels = k!;
});

/** rows × k values, about `density` of them non-zero, every `emptyEvery`-th row all zeros. */
function sparseValues(rows: number, k: number, density: number, seed: number, emptyEvery = 0): Float32Array {
  const noise = normals(rows * k * 2, seed);
  const out = new Float32Array(rows * k);
  for (let i = 0; i < rows * k; i++) {
    const row = Math.floor(i / k);
    const keep = Math.abs(noise[rows * k + i]!) < density * 1.2533; // P(|N(0,1)| < 1.2533·d) ≈ d for small d
    if (keep && !(emptyEvery > 0 && row % emptyEvery === 0)) out[i] = noise[i]!;
  }
  return out;
}

function asCsr(values: Float32Array, rows: number, k: number): CsrBatch {
  const index = sparseRows(values, k);
  const csr = csrOfRows(index, Array.from({ length: rows }, (_, i) => i));
  return csrBatch(rows, k, csr.rowPtr, csr.indices, csr.values);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('sparse × dense kernels against tf.matMul', () => {
  const cases: { rows: number; k: number; n: number; density: number }[] = [];
  for (const n of [4, 12, 32, 36, 128, 132]) {
    for (const [rows, k] of [[1, 1], [7, 5], [64, 784]] as const) {
      for (const density of [0, 0.19, 1]) cases.push({ rows, k, n, density });
    }
  }

  it.each(cases)('$rows × $k (density $density) · $k × $n', ({ rows, k, n, density }) => {
    const values = sparseValues(rows, k, density, rows * 1000 + k + n, 3);
    const x = tf.tensor2d(values, [rows, k]);
    const csr = asCsr(values, rows, k);
    const w = tf.tensor2d(normals(k * n, 7), [k, n]);
    const bias = tf.tensor1d(normals(n, 8));
    const dz = tf.tensor2d(normals(rows * n, 9), [rows, n]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const scale = Math.max(1, Math.sqrt(k));
      for (const activation of ['linear', 'relu'] as const) {
        const want = tf.add(tf.matMul(x, w), bias);
        const got = kernels.matMul(csr, w, bias, activation);
        expect(got.shape).toEqual([rows, n]);
        expect(maxAbsDiff(got, activation === 'relu' ? tf.relu(want) : want)).toBeLessThan(1e-5 * scale);
      }
      const grad = kernels.transposedMatMul(csr, dz);
      expect(grad.shape).toEqual([k, n]);
      expect(maxAbsDiff(grad, tf.matMul(x, dz, true, false))).toBeLessThan(1e-5 * Math.sqrt(rows));
    });
    expect(tf.memory().numTensors).toBe(before);
    disposeCsrBatch(csr);
    tf.dispose([x, w, bias, dz]);
  });

  it('the kernel gradient starts from zero every time, whatever memory it is given', () => {
    const values = sparseValues(16, 40, 0.3, 3);
    const csr = asCsr(values, 16, 40);
    const dz = tf.tensor2d(normals(16 * 8, 4), [16, 8]);
    const first = kernels.transposedMatMul(csr, dz);
    const expected = Array.from(first.dataSync());
    for (let i = 0; i < 5; i++) {
      // Freed memory of the same size is what the allocator hands out next: fill some with junk.
      tf.fill([40, 8], 1e6).dispose();
      const again = kernels.transposedMatMul(csr, dz);
      expect(Array.from(again.dataSync())).toEqual(expected);
      again.dispose();
    }
    tf.dispose([first, dz]);
    disposeCsrBatch(csr);
  });

  it('a NaN input reaches its row of the output, through relu too', () => {
    const values = new Float32Array([0, NaN, 0, 1, 0, 0, 2, 0]);
    const csr = asCsr(values, 2, 4);
    const w = tf.ones([4, 4]);
    const bias = tf.zeros([4]);
    const out = kernels.matMul(csr, w, bias, 'relu').arraySync();
    expect(out[0]!.every(Number.isNaN)).toBe(true);
    expect(out[1]).toEqual([2, 2, 2, 2]);
    tf.dispose([w, bias]);
    disposeCsrBatch(csr);
  });

  it('refuses shapes it does not compute', () => {
    const csr = asCsr(new Float32Array([1, 0, 0, 2, 0, 0]), 2, 3);
    const w = tf.ones([3, 6]);
    const bias6 = tf.zeros([6]);
    expect(() => kernels.matMul(csr, w, bias6, 'linear')).toThrow(/multiple of 4/);
    const w4 = tf.ones([4, 4]);
    const bias4 = tf.zeros([4]);
    expect(() => kernels.matMul(csr, w4, bias4, 'linear')).toThrow(/x \[2, 3\]/);
    const dz = tf.ones([3, 4]);
    expect(() => kernels.transposedMatMul(csr, dz)).toThrow(/dz \[3, 4\]/);
    expect(() => csrBatch(2, 3, new Int32Array([0, 1]), new Int32Array([0]), new Float32Array([1]))).toThrow(/malformed/);
    expect(() => csrBatch(1, 3, new Int32Array([0, 2]), new Int32Array([0]), new Float32Array([1]))).toThrow(/malformed/);
    tf.dispose([w, bias6, w4, bias4, dz]);
    disposeCsrBatch(csr);
  });
});
