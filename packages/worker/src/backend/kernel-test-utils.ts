/** Helpers for the tests that compare wasm kernels with the cpu backend's. */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

export type Backend = 'cpu' | 'wasm';
export type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Deterministic standard-normal values (mulberry32 + Box-Muller), independent of the backend. */
export function normals(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

export function randn(shape: number[], seed: number): Tensor {
  return tf.tensor(normals(tf.util.sizeFromShape(shape), seed), shape, 'float32');
}

export interface Result {
  shapes: number[][];
  values: Float32Array[];
  dtypes: string[];
}

/**
 * Runs `fn` (which builds its inputs itself) on `backend` inside a tidy, reading back every output.
 * On wasm also checks that nothing leaks: the engine's tensor count and the backend's data ids.
 */
export async function run(backend: Backend, fn: () => Tensor[]): Promise<Result> {
  await tf.setBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const dataIdsBefore = tf.backend().numDataIds();
  const result = tf.tidy(() => {
    const outs = fn();
    return {
      shapes: outs.map((t) => t.shape),
      values: outs.map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>)),
      dtypes: outs.map((t) => t.dtype as string),
    };
  });
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(tf.backend().numDataIds()).toBe(dataIdsBefore);
  return result;
}

export function relativeError(actual: Float32Array, expected: Float32Array): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((actual[i] ?? NaN) - (expected[i] ?? NaN)));
    maxRef = Math.max(maxRef, Math.abs(expected[i] ?? 0));
  }
  return maxDiff / Math.max(maxRef, 1e-6);
}

/** Runs `fn` on cpu and on wasm and asserts the outputs match to `tolerance` (1e-4) relative. */
export async function expectSameOnBoth(fn: () => Tensor[], { allZero = false, tolerance = 1e-4 } = {}): Promise<Result> {
  const cpu = await run('cpu', fn);
  const wasm = await run('wasm', fn);
  expect(wasm.shapes).toEqual(cpu.shapes);
  cpu.values.forEach((expected, i) => {
    const actual = wasm.values[i] ?? new Float32Array();
    expect(actual.length).toBe(expected.length);
    expect(relativeError(actual, expected)).toBeLessThan(tolerance);
    // Gradients of random data are not all zero; guard against trivially passing.
    expect(expected.some((v) => v !== 0)).toBe(!allZero);
  });
  return wasm;
}

/** sum(f(...) * r) for a fixed random r, so that dy is random rather than all ones. */
export function weightedSum(y: Tensor, seed: number): Tensor {
  return tf.sum(tf.mul(y, randn(y.shape, seed)));
}

export function runKernel(name: string, inputs: Record<string, Tensor>, attrs: object): Tensor {
  return tf.engine().runKernel<Tensor>(name, inputs, attrs as NamedAttrMap);
}
