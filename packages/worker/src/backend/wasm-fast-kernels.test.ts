import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle registers all of them.
import '@tensorflow/tfjs-layers';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../models/build.js';
import { expectSameOnBoth, randn, relativeError, run, runKernel, weightedSum, type Pad } from './kernel-test-utils.js';
import { WASM_FAST_KERNEL_NAMES, registerWasmFastKernels } from './wasm-fast-kernels.js';
import { registerWasmGradientKernels } from './wasm-kernels.js';
import { registerWasmMatMulFastPaths } from './wasm-matmul.js';

/** Names of the kernels `fn` runs on wasm, nested ones included (a fast path's own ops show up). */
async function kernelsRun(fn: () => Tensor[]): Promise<string[]> {
  await tf.setBackend('wasm');
  const profile = await tf.profile(() => {
    tf.dispose(tf.tidy(fn));
  });
  return profile.kernels.map((k) => k.name);
}

/** Asserts that wasm's result equals cpu's bit for bit (the fast path computes exactly what cpu does). */
async function expectIdenticalOnBoth(fn: () => Tensor[]): Promise<void> {
  const cpu = await run('cpu', fn);
  const wasm = await run('wasm', fn);
  expect(wasm.shapes).toEqual(cpu.shapes);
  expect(wasm.dtypes).toEqual(cpu.dtypes);
  cpu.values.forEach((expected, i) => expect(Array.from(wasm.values[i] ?? [])).toEqual(Array.from(expected)));
}

beforeAll(async () => {
  // Makes the engine check every kernel for internal data leaks.
  tf.env().set('IS_TEST', true);
  setThreadsCount(1);
  registerWasmGradientKernels();
  registerWasmMatMulFastPaths();
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('registerWasmFastKernels', () => {
  it('wraps each kernel once and is idempotent', async () => {
    expect([...registerWasmFastKernels()].sort()).toEqual([...WASM_FAST_KERNEL_NAMES].sort());
    expect(registerWasmFastKernels()).toEqual([]);
    expect(await tf.setBackend('wasm')).toBe(true);
  });
});

describe('Conv2DBackpropInput on wasm (as a forward conv2d)', () => {
  const configs: { x: number[]; f: number[]; strides: number | [number, number]; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' }[] = [
    { x: [2, 9, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
    { x: [2, 9, 7, 3], f: [3, 3, 3, 4], strides: 1, pad: 'valid' },
    { x: [3, 8, 11, 2], f: [5, 3, 2, 3], strides: 1, pad: 'same' },
    { x: [2, 10, 10, 4], f: [4, 4, 4, 2], strides: 1, pad: 'same' },
    { x: [2, 11, 10, 2], f: [1, 1, 2, 5], strides: 1, pad: 'valid' },
    { x: [2, 9, 9, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
    { x: [2, 10, 10, 3], f: [3, 3, 3, 4], strides: 2, pad: 'same' },
    { x: [3, 13, 13, 1], f: [5, 5, 1, 6], strides: 2, pad: 'valid' },
    { x: [2, 12, 11, 3], f: [5, 5, 3, 3], strides: 3, pad: 'same' },
    { x: [2, 8, 9, 2], f: [3, 5, 2, 3], strides: [2, 1], pad: 'same' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], strides: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
    // Padding larger than the filter: the conv's input is cropped instead of padded.
    { x: [2, 7, 6, 2], f: [3, 3, 2, 3], strides: 1, pad: [[0, 0], [4, 0], [0, 3], [0, 0]] },
    { x: [2, 8, 8, 2], f: [3, 3, 2, 3], strides: 2, pad: 1, dimRoundingMode: 'ceil' },
    { x: [2, 8, 8, 2], f: [3, 3, 2, 3], strides: 3, pad: 2, dimRoundingMode: 'round' },
  ];
  for (const [i, c] of configs.entries()) {
    it(`matches cpu: x=[${c.x.join(',')}] f=[${c.f.join(',')}] strides=${String(c.strides)} pad=${JSON.stringify(c.pad)}`, async () => {
      const fn = () => {
        const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.f as [number, number, number, number], c.strides, 1, c.pad, c.dimRoundingMode);
        const dy = randn(info.outShape, 10 + i);
        const filter = randn(c.f, 20 + i);
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.dimRoundingMode, inputShape: c.x };
        return [runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs)];
      };
      await expectSameOnBoth(fn);
      expect(await kernelsRun(fn)).toContain(tf.Conv2D);
    });
  }

  it('matches cpu as the input gradient of conv2d', async () => {
    await expectSameOnBoth(() => {
      const x = randn([4, 14, 14, 8], 1);
      const f = randn([3, 3, 8, 16], 2);
      return [tf.grad((xx: Tensor) => weightedSum(tf.conv2d(xx as Tensor4D, f as Tensor4D, 1, 'same'), 3))(x)];
    });
  });

  it('takes the original kernel for NCHW and matches cpu', async () => {
    const fn = () => {
      const dy = randn([2, 4, 5, 4], 4);
      const filter = randn([3, 3, 3, 4], 5);
      return [runKernel(tf.Conv2DBackpropInput, { dy, filter }, { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 9, 7] })];
    };
    await expectSameOnBoth(fn);
    expect(await kernelsRun(fn)).not.toContain(tf.Conv2D);
  });

  it('accepts an int32 filter', async () => {
    await expectSameOnBoth(() => {
      const dy = randn([2, 6, 6, 3], 6);
      const filter = tf.tensor4d(Array.from({ length: 3 * 3 * 2 * 3 }, (_, k) => (k % 7) - 3), [3, 3, 2, 3], 'int32');
      return [runKernel(tf.Conv2DBackpropInput, { dy, filter }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 6, 6, 2] })];
    });
  });
});

describe('MaxPoolGrad on wasm', () => {
  const configs: { x: number[]; filter: number | [number, number]; strides: number | [number, number]; pad: Pad }[] = [
    { x: [2, 8, 8, 3], filter: 2, strides: 2, pad: 'valid' },
    { x: [2, 9, 7, 3], filter: 2, strides: 2, pad: 'valid' },
    { x: [2, 9, 7, 3], filter: 2, strides: 2, pad: 'same' },
    { x: [1, 10, 11, 5], filter: 3, strides: 3, pad: 'same' },
    { x: [2, 8, 9, 2], filter: [2, 3], strides: [2, 3], pad: 'valid' },
    { x: [2, 9, 9, 2], filter: 2, strides: 3, pad: 'valid' },
    { x: [2, 9, 9, 2], filter: 2, strides: 3, pad: 'same' },
    { x: [3, 5, 6, 1], filter: 1, strides: 1, pad: 'valid' },
    { x: [2, 28, 28, 8], filter: 2, strides: 2, pad: 'valid' },
    // Overlapping windows: an element can receive several dy, summed in cpu's order.
    { x: [2, 9, 9, 3], filter: 3, strides: 2, pad: 'same' },
    { x: [2, 8, 8, 3], filter: 3, strides: 1, pad: 'valid' },
    { x: [2, 10, 9, 2], filter: [3, 2], strides: [1, 2], pad: 'same' },
    { x: [1, 7, 7, 4], filter: 3, strides: 2, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  ];
  for (const [i, c] of configs.entries()) {
    it(`is identical to cpu: x=[${c.x.join(',')}] filter=${String(c.filter)} strides=${String(c.strides)} ${JSON.stringify(c.pad)}`, async () => {
      await expectIdenticalOnBoth(() => {
        const x = randn(c.x, 30 + i) as Tensor4D;
        // A relu'd input has many windows of equal values (all zero): the tie rule matters.
        const relued = tf.relu(tf.sub(x, 0.5));
        const loss = (xx: Tensor) => weightedSum(tf.maxPool(xx as Tensor4D, c.filter, c.strides, c.pad), 40 + i);
        return [tf.grad(loss)(x), tf.grad(loss)(relued)];
      });
    });
  }

  it('passes on all of dy with overlapping padded windows (the original kernel loses some)', async () => {
    const { values } = await run('wasm', () => {
      const x = randn([2, 9, 9, 3], 1) as Tensor4D;
      const y = tf.maxPool(x, 3, 2, 'same');
      return [tf.sum(runKernel(tf.MaxPoolGrad, { dy: tf.onesLike(y), input: x, output: y }, { filterSize: 3, strides: 2, pad: 'same' }))];
    });
    expect(values[0]?.[0]).toBe(2 * 5 * 5 * 3);
  });

  it('gives the gradient to the first maximum, skips NaN, and passes none for windows without a maximum', async () => {
    // Each entry is one 2x2 window (row-major) of a [1, 2, 2 * windows, 1] input, and its expected dx.
    const windows: [number[], number[]][] = [
      [[1, 1, 1, 1], [1, 0, 0, 0]], // a tie: the first
      [[0, 2, 2, 0], [0, 2, 0, 0]], // a tie across the pairs
      [[0, 1, 2, 2], [0, 0, 3, 0]], // a tie in the second pair
      [[NaN, 3, 1, 3], [0, 4, 0, 0]], // NaN is never greater
      [[-Infinity, -Infinity, -Infinity, -Infinity], [0, 0, 0, 0]], // nothing > -Infinity: no gradient
      [[NaN, NaN, NaN, NaN], [0, 0, 0, 0]],
      [[-Infinity, -5, NaN, -5], [0, 0, 0, 0]], // dy -0 arrives as +0, as on cpu (checked below)
      [[Infinity, -Infinity, 3, Infinity], [8, 0, 0, 0]],
      [[2, Infinity, Infinity, 1], [0, 9, 0, 0]],
      [[-0, 0, -1, 0], [10, 0, 0, 0]],
      [[-2, -1, -1, -3], [0, 11, 0, 0]],
    ];
    const width = 2 * windows.length;
    const dys = windows.map((_, w) => (w === 6 ? -0 : w + 1));
    const fn = () => {
      const grid = new Float32Array(2 * width);
      windows.forEach(([v], w) => {
        grid[2 * w] = v[0]!;
        grid[2 * w + 1] = v[1]!;
        grid[width + 2 * w] = v[2]!;
        grid[width + 2 * w + 1] = v[3]!;
      });
      const x = tf.tensor4d(grid, [1, 2, width, 1]);
      const dy = tf.tensor4d(dys, [1, 1, windows.length, 1]);
      const y = tf.maxPool(x, 2, 2, 'valid');
      return [runKernel(tf.MaxPoolGrad, { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' })];
    };
    await expectIdenticalOnBoth(fn);
    const dx = Array.from((await run('wasm', fn)).values[0] ?? []);
    windows.forEach(([, expected], w) => {
      expect([dx[2 * w], dx[2 * w + 1], dx[width + 2 * w], dx[width + 2 * w + 1]]).toEqual(expected);
    });
  });
});

describe('Sum on wasm (leading axes)', () => {
  const configs: { x: number[]; axis: number | number[]; keepDims: boolean; fast: boolean }[] = [
    { x: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: false, fast: true },
    { x: [4, 5, 6, 3], axis: [2, 0, 1], keepDims: true, fast: true },
    { x: [4, 5, 6, 3], axis: [-4, -3], keepDims: false, fast: true },
    { x: [7, 5], axis: 0, keepDims: false, fast: true },
    { x: [64, 28, 28, 8], axis: [0, 1, 2], keepDims: false, fast: true },
    // The original kernel: not leading axes, all axes, inner axes.
    { x: [4, 5, 6, 3], axis: [1, 2], keepDims: false, fast: false },
    { x: [4, 5, 6, 3], axis: [0, 1, 2, 3], keepDims: true, fast: false },
    { x: [4, 5, 6, 3], axis: -1, keepDims: false, fast: false },
  ];
  for (const [i, c] of configs.entries()) {
    it(`is identical to cpu: x=[${c.x.join(',')}] axis=${JSON.stringify(c.axis)} keepDims=${String(c.keepDims)}`, async () => {
      const fn = () => [tf.sum(randn(c.x, 60 + i), c.axis, c.keepDims)];
      if (c.fast) await expectIdenticalOnBoth(fn);
      else await expectSameOnBoth(fn);
    });
  }

  it('takes the original kernel for int32 and bool input', async () => {
    await expectSameOnBoth(() => {
      const ints = tf.tensor3d(Array.from({ length: 4 * 3 * 2 }, (_, k) => k - 9), [4, 3, 2], 'int32');
      return [tf.sum(ints, [0, 1]), tf.sum(tf.greater(ints, 0), 0)];
    });
  });

  it('matches cpu as the gradient of a bias add', async () => {
    await expectSameOnBoth(() => {
      const x = randn([8, 28, 28, 8], 7);
      const b = randn([8], 8);
      return [tf.grad((bb: Tensor) => weightedSum(tf.add(x, bb), 9))(b)];
    });
  });
});

describe('Add of a bias on wasm', () => {
  const configs: { a: number[]; b: number[] }[] = [
    { a: [64, 28, 28, 8], b: [8] },
    { a: [2, 3, 4, 5], b: [5] },
    { a: [3, 4, 6], b: [1, 1, 6] },
    { a: [7, 3], b: [3] },
    { a: [5], b: [2, 5] },
    { a: [1, 6], b: [4, 3, 6] },
    // Not a bias (or no divisor to tile by): wasm's own kernel.
    { a: [1031, 4], b: [4] },
    { a: [4, 5], b: [4, 1] },
    { a: [4, 5], b: [4, 5] },
    { a: [3, 4, 5], b: [4, 5] },
  ];
  for (const [i, c] of configs.entries()) {
    it(`is identical to cpu: [${c.a.join(',')}] + [${c.b.join(',')}], and its gradients match`, async () => {
      await expectIdenticalOnBoth(() => [tf.add(randn(c.a, 80 + i), randn(c.b, 90 + i))]);
      await expectSameOnBoth(() => {
        const [da, db] = tf.grads((a: Tensor, b: Tensor) => weightedSum(tf.add(a, b), 100 + i))([randn(c.a, 80 + i), randn(c.b, 90 + i)]);
        return [da!, db!];
      });
    });
  }

  it('takes the original kernel for int32', async () => {
    await expectIdenticalOnBoth(() => [tf.add(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), tf.tensor1d([10, 20], 'int32'))]);
  });
});

describe('Identity and same-dtype Cast on wasm', () => {
  it('share the data, which outlives the original', async () => {
    await tf.setBackend('wasm');
    const dataIdsBefore = tf.backend().numDataIds();
    const x = randn([3, 4], 1);
    const expected = Array.from(x.dataSync());
    const copies = [tf.clone(x), tf.cast(x, 'float32'), tf.engine().runKernel<Tensor>(tf.Identity, { x })];
    expect(tf.backend().numDataIds()).toBe(dataIdsBefore + 1);
    x.dispose();
    for (const copy of copies) {
      expect(Array.from(copy.dataSync())).toEqual(expected);
      copy.dispose();
    }
    expect(tf.backend().numDataIds()).toBe(dataIdsBefore);
  });

  it('still converts for a cast to another dtype', async () => {
    await expectIdenticalOnBoth(() => [tf.cast(tf.tensor1d([1.7, -2.2, 0]), 'int32'), tf.cast(tf.tensor1d([3, 0, -1], 'int32'), 'float32')]);
  });
});

describe('a training step of the built-in CNN on wasm', () => {
  it('computes the gradients and the loss that cpu computes', async () => {
    const spec = { builtin: 'cnn' as const, filters: [8, 16], kernelSize: 3, dense: [] as number[] };
    const fn = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const { model } = await buildModel(spec, [28, 28, 1], 10, 5);
      try {
        const xs = tf.sigmoid(randn([16, 28, 28, 1], 70));
        const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, k) => (k * 3) % 10), 'int32'), 10);
        const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(labels, model.apply(xs, { training: true }) as Tensor),
          variables,
        );
        const out = {
          weights: variables.map((v) => Float32Array.from(v.dataSync())),
          loss: value.dataSync()[0] ?? NaN,
          grads: variables.map((v) => Float32Array.from(grads[v.name]!.dataSync())),
        };
        tf.dispose([xs, labels, value, ...Object.values(grads)]);
        return out;
      } finally {
        model.dispose();
      }
    };
    // tfjs's leak check flags softmaxCrossEntropy's custom gradient on cpu; this test is about values.
    tf.env().set('IS_TEST', false);
    const cpu = await fn('cpu');
    const wasm = await fn('wasm');
    tf.env().set('IS_TEST', true);
    expect(wasm.weights).toEqual(cpu.weights);
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5 * Math.abs(cpu.loss));
    expect(wasm.grads.length).toBe(6);
    cpu.grads.forEach((expected, i) => {
      expect(expected.some((v) => v !== 0)).toBe(true);
      expect(relativeError(wasm.grads[i]!, expected)).toBeLessThan(1e-4);
    });
    // The step went through the fast paths.
    const kernels = await kernelsRun(() => {
      const x = tf.sigmoid(randn([2, 28, 28, 1], 1));
      const f = randn([3, 3, 1, 8], 2);
      return [tf.grad((ff: Tensor) => weightedSum(tf.maxPool(tf.conv2d(x as Tensor4D, ff as Tensor4D, 1, 'same'), 2, 2, 'valid'), 3))(f)];
    });
    expect(kernels).toEqual(expect.arrayContaining([tf.MaxPoolGrad, tf.Conv2DBackpropFilter]));
    // The one-channel filter gradient is our direct kernel, not a patch matrix and a matMul.
    expect(kernels).not.toContain(tf.BatchMatMul);
  });
});
