import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle registers all of them.
import '@tensorflow/tfjs-layers';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameOnBoth, normals, randn, relativeError, run, runKernel, weightedSum, type Pad } from './kernel-test-utils.js';
import { directFilterGrad, WASM_GRADIENT_KERNEL_NAMES, registerWasmGradientKernels } from './wasm-kernels.js';

beforeAll(async () => {
  // Makes the engine check every kernel for internal data leaks.
  tf.env().set('IS_TEST', true);
  setThreadsCount(1);
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('registerWasmGradientKernels', () => {
  it('registers the missing kernels once and is idempotent', async () => {
    for (const name of WASM_GRADIENT_KERNEL_NAMES) expect(tf.getKernel(name, 'wasm')).toBeUndefined();
    const first = registerWasmGradientKernels();
    expect([...first].sort()).toEqual([...WASM_GRADIENT_KERNEL_NAMES].sort());
    for (const name of WASM_GRADIENT_KERNEL_NAMES) expect(tf.getKernel(name, 'wasm')).toBeDefined();
    expect(registerWasmGradientKernels()).toEqual([]);
    expect(registerWasmGradientKernels()).toEqual([]);
    expect(await tf.setBackend('wasm')).toBe(true);
  });
});

describe('Conv2DBackpropFilter on wasm', () => {
  const configs: { x: number[]; f: number[]; strides: number | [number, number]; pad: Pad }[] = [
    { x: [2, 9, 9, 1], f: [3, 3, 1, 4], strides: 1, pad: 'same' },
    { x: [2, 9, 9, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
    { x: [2, 10, 10, 3], f: [3, 3, 3, 4], strides: 2, pad: 'same' },
    { x: [2, 11, 7, 3], f: [5, 5, 3, 2], strides: 1, pad: 'valid' },
    { x: [3, 13, 13, 1], f: [5, 5, 1, 6], strides: 2, pad: 'valid' },
    { x: [2, 12, 11, 3], f: [5, 5, 3, 3], strides: 2, pad: 'same' },
    { x: [2, 8, 9, 2], f: [3, 5, 2, 3], strides: [2, 1], pad: 'same' },
  ];
  for (const [i, c] of configs.entries()) {
    it(`matches cpu: x=[${c.x.join(',')}] f=[${c.f.join(',')}] strides=${String(c.strides)} ${String(c.pad)}`, async () => {
      await expectSameOnBoth(() => {
        const x = randn(c.x, 10 + i);
        const f = randn(c.f, 20 + i);
        const loss = (xx: Tensor, ff: Tensor) => weightedSum(tf.conv2d(xx as Tensor4D, ff as Tensor4D, c.strides, c.pad), 30 + i);
        const [dx, df] = tf.grads(loss)([x, f]);
        return [dx!, df!];
      });
    });
  }

  it('matches cpu with explicit padding (filter gradient)', async () => {
    const pad: Pad = [[0, 0], [1, 2], [0, 1], [0, 0]];
    await expectSameOnBoth(() => {
      const x = randn([2, 9, 8, 3], 1);
      const f = randn([3, 3, 3, 4], 2);
      const loss = (ff: Tensor) => weightedSum(tf.conv2d(x as Tensor4D, ff as Tensor4D, 2, pad), 3);
      return [tf.grad(loss)(f)];
    });
  });

  for (const dimRoundingMode of ['floor', 'round', 'ceil'] as const) {
    it(`matches cpu with numeric padding and dimRoundingMode=${dimRoundingMode}`, async () => {
      await expectSameOnBoth(() => {
        const x = randn([2, 8, 8, 2], 4);
        const dyShape = tf.backend_util.computeConv2DInfo([2, 8, 8, 2], [3, 3, 2, 3], 2, 1, 1, dimRoundingMode).outShape;
        const dy = randn(dyShape, 5);
        const attrs = { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode, filterShape: [3, 3, 2, 3] };
        return [runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs)];
      });
    });
  }

  it('matches cpu when every window lies in the padding (all-zero gradient)', async () => {
    await expectSameOnBoth(
      () => {
        const x = randn([1, 2, 3, 1], 8);
        const attrs = { strides: 12, pad: [[0, 0], [10, 0], [0, 0], [0, 0]], dataFormat: 'NHWC', filterShape: [1, 1, 1, 2] };
        const dy = randn([1, 1, 1, 2], 9);
        return [runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs)];
      },
      { allZero: true },
    );
  });

  // One input channel and column stride 1: the patch-matrix path.
  const singleChannel: { x: number[]; f: number[]; strides: number | [number, number]; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' }[] = [
    { x: [3, 10, 9, 1], f: [3, 3, 1, 5], strides: 1, pad: 'valid' },
    { x: [2, 7, 11, 1], f: [5, 3, 1, 2], strides: 1, pad: 'same' },
    { x: [2, 9, 8, 1], f: [4, 4, 1, 3], strides: 1, pad: 'same' },
    { x: [2, 11, 9, 1], f: [3, 3, 1, 4], strides: [2, 1], pad: 'same' },
    { x: [2, 6, 7, 1], f: [3, 3, 1, 2], strides: 1, pad: [[0, 0], [4, 1], [0, 5], [0, 0]] },
    { x: [2, 8, 8, 1], f: [3, 3, 1, 3], strides: [3, 1], pad: 1, dimRoundingMode: 'ceil' },
  ];
  for (const [i, c] of singleChannel.entries()) {
    it(`matches cpu with one input channel: x=[${c.x.join(',')}] f=[${c.f.join(',')}] strides=${String(c.strides)} pad=${JSON.stringify(c.pad)}`, async () => {
      await expectSameOnBoth(() => {
        const x = randn(c.x, 110 + i);
        const dyShape = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.f as [number, number, number, number], c.strides, 1, c.pad, c.dimRoundingMode).outShape;
        const dy = randn(dyShape, 120 + i);
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.dimRoundingMode, filterShape: c.f };
        return [runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs)];
      });
    });
  }

  // One input channel, outC a multiple of 4: our direct SIMD kernel, which skips zero inputs.
  const direct: { x: number[]; f: number[]; strides: number | [number, number]; pad: Pad; zeros: number }[] = [
    { x: [3, 10, 9, 1], f: [3, 3, 1, 4], strides: 1, pad: 'valid', zeros: 0 },
    { x: [2, 7, 11, 1], f: [5, 3, 1, 8], strides: 1, pad: 'same', zeros: 0.8 },
    { x: [2, 9, 8, 1], f: [4, 4, 1, 12], strides: 2, pad: 'same', zeros: 0.5 },
    { x: [2, 11, 9, 1], f: [3, 2, 1, 4], strides: [3, 2], pad: [[0, 0], [2, 1], [0, 3], [0, 0]], zeros: 0.3 },
    { x: [4, 28, 28, 1], f: [3, 3, 1, 8], strides: 1, pad: 'same', zeros: 0.81 },
  ];
  for (const [i, c] of direct.entries()) {
    it(`the direct kernel matches cpu: x=[${c.x.join(',')}] f=[${c.f.join(',')}] strides=${String(c.strides)} pad=${JSON.stringify(c.pad)}, ${c.zeros * 100}% zeros`, async () => {
      const dyShape = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.f as [number, number, number, number], c.strides, 1, c.pad).outShape;
      const values = normals(c.x.reduce((a, b) => a * b, 1), 130 + i);
      const coin = normals(values.length, 140 + i);
      for (let j = 0; j < values.length; j++) if (Math.abs(coin[j]!) < c.zeros * 1.2533) values[j] = 0;
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f };
      const cpu = await run('cpu', () => [runKernel(tf.Conv2DBackpropFilter, { x: tf.tensor(values, c.x), dy: randn(dyShape, 150 + i) }, attrs)]);
      // The kernel itself, called as the registered one calls it: it must take this case.
      const wasm = await run('wasm', () => {
        const x = tf.tensor(values, c.x);
        const dy = randn(dyShape, 150 + i);
        const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.f as [number, number, number, number], c.strides, 1, c.pad);
        const out = directFilterGrad(x, dy, info, tf.backend());
        expect(out).toBeDefined();
        return [out!];
      });
      expect(wasm.shapes).toEqual(cpu.shapes);
      expect(relativeError(wasm.values[0]!, cpu.values[0]!)).toBeLessThan(1e-4);
      expect(cpu.values[0]!.some((v) => v !== 0)).toBe(true);
    });
  }

  it('the direct kernel declines what it does not compute: several input channels, outC not a multiple of 4, NCHW', async () => {
    await run('wasm', () => {
      const info = (x: number[], f: number[], format: 'channelsLast' | 'channelsFirst' = 'channelsLast') =>
        tf.backend_util.computeConv2DInfo(x as [number, number, number, number], f as [number, number, number, number], 1, 1, 'same', undefined, false, format);
      const x8 = tf.zeros([1, 5, 5, 8]);
      const dy = tf.zeros([1, 5, 5, 4]);
      expect(directFilterGrad(x8, dy, info([1, 5, 5, 8], [3, 3, 8, 4]), tf.backend())).toBeUndefined();
      const x1 = tf.zeros([1, 5, 5, 1]);
      const dy3 = tf.zeros([1, 5, 5, 3]);
      expect(directFilterGrad(x1, dy3, info([1, 5, 5, 1], [3, 3, 1, 3]), tf.backend())).toBeUndefined();
      return [];
    });
  });

  it('a NaN input reaches the filter gradient through the direct kernel', async () => {
    const out = await run('wasm', () => {
      const values = new Float32Array(2 * 6 * 6);
      values[14] = NaN;
      const x = tf.tensor(values, [2, 6, 6, 1]);
      const info = tf.backend_util.computeConv2DInfo([2, 6, 6, 1], [3, 3, 1, 4], 1, 1, 'same');
      return [directFilterGrad(x, tf.ones([2, 6, 6, 4]), info, tf.backend())!];
    });
    expect(Array.from(out.values[0]!).every(Number.isNaN)).toBe(true);
  });

  it('matches cpu for an MNIST-sized batch', async () => {
    await expectSameOnBoth(() => {
      const x = randn([8, 28, 28, 1], 11);
      const f = randn([3, 3, 1, 8], 12);
      return [tf.grad((ff: Tensor) => weightedSum(tf.conv2d(x as Tensor4D, ff as Tensor4D, 1, 'same'), 13))(f)];
    });
  });

  it('accepts bare TensorInfo inputs without copying, freeing or leaking them', async () => {
    await tf.setBackend('wasm');
    const x = randn([2, 7, 7, 3], 14);
    const dy = randn([2, 4, 4, 5], 15);
    const expected = tf.tidy(() =>
      runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 5] }).dataSync(),
    );
    const tensorsBefore = tf.memory().numTensors;
    const dataIdsBefore = tf.backend().numDataIds();
    const config = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm');
    const out = tf.tidy(() => {
      const inputs = { x: { dataId: x.dataId, shape: x.shape, dtype: x.dtype }, dy: { dataId: dy.dataId, shape: dy.shape, dtype: dy.dtype } };
      const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 5] };
      return config.kernelFunc({ inputs, backend: tf.backend(), attrs }) as unknown as Tensor;
    });
    expect(relativeError(Float32Array.from(out.dataSync()), Float32Array.from(expected))).toBe(0);
    out.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(tf.backend().numDataIds()).toBe(dataIdsBefore);
    // The inputs are still alive and intact.
    expect(x.dataSync()[0]).toBe(normals(1, 14)[0]);
    expect(Array.from(dy.dataSync().slice(0, 3))).toEqual(Array.from(normals(3, 15)));
    tf.dispose([x, dy]);
  });

  it('matches cpu for NCHW data', async () => {
    await expectSameOnBoth(() => {
      const x = randn([2, 3, 9, 7], 6);
      const dyShape = tf.backend_util.computeConv2DInfo([2, 3, 9, 7], [3, 3, 3, 4], 2, 1, 'same', undefined, false, 'channelsFirst').outShape;
      const dy = randn(dyShape, 7);
      const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
      return [runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs)];
    });
  });
});

describe('UnsortedSegmentSum on wasm (gradient of gather)', () => {
  it('matches cpu for gather along axis 0 with repeated indices', async () => {
    await expectSameOnBoth(() => {
      const x = randn([10, 4], 1);
      const indices = tf.tensor1d([3, 1, 3, 3, 0, 9, 1], 'int32');
      return [tf.grad((xx: Tensor) => weightedSum(tf.gather(xx, indices), 2))(x)];
    });
  });

  it('matches cpu for gather along axis 1 with 2-D indices', async () => {
    await expectSameOnBoth(() => {
      const x = randn([3, 7, 2], 3);
      const indices = tf.tensor2d([[1, 1, 6], [6, 0, 1]], [2, 3], 'int32');
      return [tf.grad((xx: Tensor) => weightedSum(tf.gather(xx, indices, 1), 4))(x)];
    });
  });

  it('drops out-of-range segment ids', async () => {
    await expectSameOnBoth(() => {
      const x = randn([6, 5], 5);
      const ids = tf.tensor1d([0, 4, -1, 2, 2, 0], 'int32');
      return [tf.unsortedSegmentSum(x, ids, 3)];
    });
  });

  it('handles multi-dimensional segment ids', async () => {
    // The cpu kernel cannot broadcast ids of rank > 1, so compare with sums done here.
    const xs = normals(2 * 3 * 5, 6);
    const ids = [0, 4, -1, 2, 2, 0];
    const expected = new Float32Array(3 * 5);
    ids.forEach((id, row) => {
      if (id < 0 || id >= 3) return;
      for (let j = 0; j < 5; j++) expected[id * 5 + j]! += xs[row * 5 + j]!;
    });
    const wasm = await run('wasm', () => [
      runKernel(tf.UnsortedSegmentSum, { x: tf.tensor3d(xs, [2, 3, 5]), segmentIds: tf.tensor2d(ids, [2, 3], 'int32') }, { numSegments: 3 }),
    ]);
    expect(wasm.shapes[0]).toEqual([3, 5]);
    expect(relativeError(wasm.values[0] ?? new Float32Array(), expected)).toBeLessThan(1e-6);
  });

  it('sums int32 data exactly and keeps the int32 dtype', async () => {
    const fn = () => {
      const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], [5, 2], 'int32');
      const ids = tf.tensor1d([2, 0, 2, 7, 0], 'int32');
      return [tf.unsortedSegmentSum(x, ids, 3)];
    };
    const wasm = await expectSameOnBoth(fn);
    expect(wasm.dtypes[0]).toBe('int32');
    expect(Array.from(wasm.values[0] ?? [])).toEqual([12, 14, 0, 0, 6, 8]);
  });
});

describe('DepthwiseConv2dNativeBackpropInput / BackpropFilter on wasm', () => {
  const configs: { x: number[]; f: number[]; strides: number | [number, number]; pad: 'same' | 'valid' }[] = [
    { x: [2, 9, 9, 3], f: [3, 3, 3, 1], strides: 1, pad: 'same' },
    { x: [2, 9, 9, 3], f: [3, 3, 3, 2], strides: 2, pad: 'same' },
    { x: [2, 8, 8, 4], f: [3, 3, 4, 1], strides: 2, pad: 'same' },
    { x: [2, 11, 10, 2], f: [5, 5, 2, 3], strides: 1, pad: 'valid' },
    { x: [1, 13, 13, 1], f: [5, 5, 1, 2], strides: 2, pad: 'valid' },
    { x: [2, 12, 11, 3], f: [5, 5, 3, 1], strides: 2, pad: 'same' },
    { x: [2, 9, 10, 2], f: [3, 5, 2, 2], strides: [1, 2], pad: 'valid' },
  ];
  for (const [i, c] of configs.entries()) {
    it(`matches cpu: x=[${c.x.join(',')}] f=[${c.f.join(',')}] strides=${String(c.strides)} ${c.pad}`, async () => {
      await expectSameOnBoth(() => {
        const x = randn(c.x, 40 + i);
        const f = randn(c.f, 50 + i);
        const loss = (xx: Tensor, ff: Tensor) => weightedSum(tf.depthwiseConv2d(xx as Tensor4D, ff as Tensor4D, c.strides, c.pad), 60 + i);
        const [dx, df] = tf.grads(loss)([x, f]);
        return [dx!, df!];
      });
    });
  }

  const direct: { name: string; pad: Pad; strides: number; dimRoundingMode?: 'floor' | 'round' | 'ceil' }[] = [
    { name: 'explicit padding', pad: [[0, 0], [2, 1], [0, 2], [0, 0]], strides: 2 },
    { name: 'numeric padding, ceil', pad: 1, strides: 2, dimRoundingMode: 'ceil' },
    { name: 'numeric padding, round', pad: 2, strides: 3, dimRoundingMode: 'round' },
  ];
  for (const c of direct) {
    it(`kernels match cpu with ${c.name}`, async () => {
      await expectSameOnBoth(() => {
        const xShape: [number, number, number, number] = [2, 8, 9, 3];
        const filterShape: [number, number, number, number] = [3, 3, 3, 2];
        const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, c.strides, 1, c.pad, c.dimRoundingMode, true);
        const x = randn(xShape, 70);
        const f = randn(filterShape, 71);
        const dy = randn(info.outShape, 72);
        const attrs = { strides: c.strides, dilations: 1, pad: c.pad, dimRoundingMode: c.dimRoundingMode };
        return [
          runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: f }, { ...attrs, inputShape: xShape }),
          runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...attrs, filterShape }),
        ];
      });
    });
  }

  // The gradients of depthwiseConv2d reject dilations > 1 and the cpu kernels ignore them, so
  // check the dilated kernels against the forward op instead: both backprops are adjoints of the
  // (linear) forward map, <dy, conv(x, f)> = <backpropInput(dy, f), x> = <backpropFilter(x, dy), f>.
  for (const pad of ['same', 'valid'] as const) {
    it(`are the adjoints of the dilated forward op (dilations 2, ${pad})`, async () => {
      const [lhs, viaInput, viaFilter] = (
        await run('wasm', () => {
          const x = randn([2, 11, 10, 3], 7) as Tensor4D;
          const f = randn([3, 3, 3, 2], 8) as Tensor4D;
          const y = tf.depthwiseConv2d(x, f, 1, pad, 'NHWC', 2);
          const dy = randn(y.shape, 9);
          const attrs = { strides: 1, dilations: 2, pad };
          const dx = runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: f }, { ...attrs, inputShape: x.shape });
          const df = runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...attrs, filterShape: f.shape });
          return [tf.sum(tf.mul(dy, y)), tf.sum(tf.mul(dx, x)), tf.sum(tf.mul(df, f))];
        })
      ).values.map((v) => v[0] ?? NaN);
      expect(Math.abs(viaInput! - lhs!)).toBeLessThan(1e-4 * Math.abs(lhs!) + 1e-3);
      expect(Math.abs(viaFilter! - lhs!)).toBeLessThan(1e-4 * Math.abs(lhs!) + 1e-3);
    });
  }
});
