import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
// Gradient functions are registered by tfjs-layers' Node build.
import '@tensorflow/tfjs-layers';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmMatMulFastPaths } from './wasm-matmul.js';

describe('wasm matMul fast paths', () => {
  beforeAll(async () => {
    setThreadsCount(1);
    await tf.setBackend('wasm');
    registerWasmMatMulFastPaths();
  });

  const values = (t: tf.Tensor) => Array.from(t.dataSync());
  const onCpu = async <T>(f: () => T): Promise<T> => {
    await tf.setBackend('cpu');
    try {
      return f();
    } finally {
      await tf.setBackend('wasm');
    }
  };

  it('is idempotent', () => {
    expect(registerWasmMatMulFastPaths()).toEqual([]);
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('matMul(transposeA=%s, transposeB=%s) equals the cpu backend, batched too, without leaking', async (ta, tb) => {
    const a = [...Array(2 * 5 * 7).keys()].map((i) => Math.sin(i));
    const b = [...Array(2 * 7 * 3).keys()].map((i) => Math.cos(i));
    const shapeA = ta ? [2, 7, 5] : [2, 5, 7];
    const shapeB = tb ? [2, 3, 7] : [2, 7, 3];
    const expected = await onCpu(() => tf.tidy(() => values(tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), ta, tb))));
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => values(tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), ta, tb)));
    expect(tf.memory().numTensors).toBe(before);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    // Fused (bias + relu) and its gradients, as a dense layer uses them.
    const fused = (x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D) => tf.fused.matMul({ a: x, b: w, transposeA: ta, transposeB: tb, bias, activation: 'relu' });
    const x2 = tf.tensor2d(a.slice(0, 35), ta ? [7, 5] : [5, 7]);
    const w2 = tf.tensor2d(b.slice(0, 21), tb ? [3, 7] : [7, 3]);
    const bias = tf.tensor1d([0.1, -0.2, 0.3]);
    const run = () => tf.tidy(() => {
      const [gx, gw] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(fused(p as tf.Tensor2D, q as tf.Tensor2D, bias)))([x2, w2]);
      return [values(fused(x2, w2, bias)), values(gx!), values(gw!)];
    });
    const want = await onCpu(run);
    const have = run();
    have.forEach((arr, k) => arr.forEach((v, i) => expect(v).toBeCloseTo(want[k]![i]!, 4)));
    tf.dispose([x2, w2, bias]);
  });
});
