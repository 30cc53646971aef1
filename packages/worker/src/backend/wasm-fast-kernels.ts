/**
 * Faster paths for wasm kernels that a small CNN spends its time in.
 *
 * `@tensorflow/tfjs-backend-wasm@4.22.0` has these kernels, but for the shapes of a CNN training
 * step several are scalar loops, or reach XNNPACK in an inefficient form:
 *
 * - Conv2DBackpropInput (the input gradient of conv2d) is a direct loop, about 10x slower than the
 *   forward convolution with as many multiply-adds. It becomes a forward conv2d (XNNPACK) of dy,
 *   spread by the strides, with the spatially flipped, in/out-swapped filter.
 * - MaxPoolGrad rescans windows for every input element (and loses gradient at padded edges when
 *   windows overlap). One pass over the windows in JavaScript, on the wasm heap, does the cpu
 *   backend's computation exactly.
 * - Sum over leading axes (a bias gradient: dy [N, H, W, C] summed to [C]) transposes the whole
 *   tensor first; adding rows in place does not need to.
 * - Add of a bias ([N, H, W, C] + [C]) runs XNNPACK one row of C elements at a time; viewed as
 *   rows of about a thousand elements (the bias tiled to match) it is ten times faster.
 * - Identity (the engine clones every tensor it saves for the backward pass) and Cast to the same
 *   dtype copy the data; they share it instead, as on the cpu backend.
 *
 * Each wrapper checks that its fast path applies and otherwise calls the original kernel, so every
 * other case keeps its behaviour. MaxPoolGrad, Sum and Add compute exactly what the cpu backend
 * computes (tests compare bit for bit); Conv2DBackpropInput adds the same products in another
 * order (float32 rounding differs slightly, as between any two convolution implementations). Only
 * kernels change, never ops or their gradient functions.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type {
  CastAttrs,
  Conv2DBackpropInputAttrs,
  KernelBackend,
  MaxPoolGradAttrs,
  SumAttrs,
  Tensor4D,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { asFloat32, input, padOrCrop4, shape4, spreadByStrides } from './wasm-kernels.js';

const BACKEND = 'wasm';
const WRAPPED = Symbol.for('lrsweep.wasm-fast-kernel');

type KernelArgs = Parameters<tf.KernelFunc>[0];
/**
 * A fast path: the result, or null when it does not apply (the original kernel then runs). It may
 * call the original kernel itself.
 */
type FastPath = (args: KernelArgs, original: tf.KernelFunc) => TensorInfo | null;

/**
 * The float32 contents of a tensor on the wasm heap. The view is only valid until the next
 * allocation on the heap (which may grow the memory and detach it): take views after allocating.
 */
function heapF32(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropInput
// ---------------------------------------------------------------------------------------------

/** g[k, l, co, ci] = f[fH-1-k, fW-1-l, ci, co]: one small loop instead of a Reverse and a Transpose. */
function flippedFilter(filter: Tensor4D, backend: BackendWasm): Tensor4D {
  const [fH, fW, inC, outC] = filter.shape;
  const out = backend.makeOutput([fH, fW, outC, inC], 'float32');
  const f = heapF32(backend, filter);
  const g = heapF32(backend, out);
  for (let k = 0, o = 0; k < fH; k++) {
    for (let l = 0; l < fW; l++) {
      const tap = ((fH - 1 - k) * fW + (fW - 1 - l)) * inC * outC;
      for (let co = 0; co < outC; co++) {
        for (let ci = 0; ci < inC; ci++, o++) g[o] = f[tap + ci * outC + co]!;
      }
    }
  }
  return tf.engine().makeTensorFromTensorInfo(out, backend) as Tensor4D;
}

/**
 * dx[n, y, x, ci] = sum over output positions (oy, ox) and taps (kh, kw) with
 * oy*sH + kh - top = y and ox*sW + kw - left = x, of dy[n, oy, ox, co] * f[kh, kw, ci, co].
 *
 * Spread dy by the strides (row oy moves to oy*sH, zeros between), call it S; then with
 * g[k, l, co, ci] = f[fH-1-k, fW-1-l, ci, co] (flipped, in/out swapped) this is
 * dx[y] = sum over k of P[y + k] g[k], where P is S shifted down by fH-1-top rows: a stride-1
 * 'valid' conv2d of P with g, which wasm runs with XNNPACK. The shift becomes the conv's explicit
 * padding when it is non-negative (always for 'same' and 'valid'); otherwise P is cropped first.
 * NCHW (which wasm's conv2d does not support) and empty tensors take the original kernel.
 */
const conv2DBackpropInput: FastPath = ({ inputs, backend, attrs }) => {
  const kernel = tf.Conv2DBackpropInput;
  const a = attrs as unknown as Conv2DBackpropInputAttrs;
  const dyInfo = input(inputs, 'dy', kernel);
  const filterInfo = input(inputs, 'filter', kernel);
  if (tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC') !== 'channelsLast') return null;
  const filterShape = shape4(filterInfo, kernel);
  const info = tf.backend_util.computeConv2DInfo(a.inputShape, filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth } = info;
  if (batchSize * inHeight * inWidth * inChannels * outHeight * outWidth * outChannels === 0) return null;
  const [fH, fW] = filterShape;
  return tf.tidy(() => {
    const dy = asFloat32<Tensor4D>(dyInfo, backend as KernelBackend);
    const filter = asFloat32<Tensor4D>(filterInfo, backend as KernelBackend);
    const spread = spreadByStrides(dy, strideHeight, strideWidth);
    const [, spreadH, spreadW] = spread.shape;
    const top = fH - 1 - info.padInfo.top;
    const left = fW - 1 - info.padInfo.left;
    const bottom = inHeight + fH - 1 - top - spreadH;
    const right = inWidth + fW - 1 - left - spreadW;
    const g = flippedFilter(filter, backend as unknown as BackendWasm);
    if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) {
      return tf.conv2d(spread, g, 1, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    }
    return tf.conv2d(padOrCrop4(spread, [top, bottom], [left, right]), g, 1, 'valid');
  });
};

// ---------------------------------------------------------------------------------------------
// MaxPoolGrad
// ---------------------------------------------------------------------------------------------

/**
 * Adds `dy` at the argmax of one channel of one window (`start`: its first element; `height` rows
 * `rowStride` apart, `width` elements `channels` apart), as the cpu backend picks it: the first
 * element in row-major order that is greater than every earlier one, starting from -Infinity (NaN
 * is never greater). A window without one (all -Infinity or NaN) passes nothing.
 */
function addAtArgmax(
  xs: Float32Array,
  sums: Float32Array | Float64Array,
  dy: number,
  start: number,
  height: number,
  width: number,
  rowStride: number,
  channels: number,
): void {
  let best = -Infinity;
  let at = -1;
  for (let y = 0, row = start; y < height; y++, row += rowStride) {
    for (let x = 0, i = row; x < width; x++, i += channels) {
      const v = xs[i]!;
      if (v > best) {
        best = v;
        at = i;
      }
    }
  }
  if (at >= 0) sums[at]! += dy;
}

/**
 * The cpu backend's algorithm in one pass over the windows, on the wasm heap: dy is added at each
 * window's argmax (addAtArgmax), windows in row-major order, starting from 0: the additions cpu
 * makes for each input element, in the same order and in float64 (so -0 becomes +0 as on cpu).
 * When windows do not overlap (filterSize <= strides, e.g. 2x2 pooling with stride 2) each element
 * gets at most one addition, which float32 holds exactly.
 *
 * The original kernel scans each element's windows again for every input element, and loses
 * gradient at the padded edge for overlapping 'same' windows (3x3, stride 2: dx sums to less than
 * dy); this one replaces it for float32 input.
 */
const maxPoolGrad: FastPath = ({ inputs, backend, attrs }) => {
  const kernel = tf.MaxPoolGrad;
  const a = attrs as unknown as MaxPoolGradAttrs;
  const xInfo = input(inputs, 'input', kernel);
  const dyInfo = input(inputs, 'dy', kernel);
  if (xInfo.dtype !== 'float32' || dyInfo.dtype !== 'float32') return null;
  const info = tf.backend_util.computePool2DInfo(shape4(xInfo, kernel), a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  if (dyInfo.shape.join(',') !== info.outShape.join(',')) return null;
  const wasm = backend as unknown as BackendWasm;
  const out = wasm.makeOutput(xInfo.shape, 'float32');
  const xs = heapF32(wasm, xInfo);
  const dys = heapF32(wasm, dyInfo);
  const dx = heapF32(wasm, out);
  const overlapping = filterHeight > strideHeight || filterWidth > strideWidth;
  const sums = overlapping ? new Float64Array(dx.length) : dx.fill(0);
  const { top, left } = info.padInfo;
  const channels = inChannels;
  const rowStride = inWidth * channels;
  let o = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = Math.max(0, oy * strideHeight - top);
      const height = Math.min(inHeight, oy * strideHeight - top + filterHeight) - y0;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = Math.max(0, ox * strideWidth - left);
        const width = Math.min(inWidth, ox * strideWidth - left + filterWidth) - x0;
        const corner = ((n * inHeight + y0) * inWidth + x0) * channels;
        if (height !== 2 || width !== 2) {
          for (let c = 0; c < channels; c++, o++) addAtArgmax(xs, sums, dys[o]!, corner + c, height, width, rowStride, channels);
          continue;
        }
        // A whole 2x2 window (the common pooling), without data-dependent branches (comparisons
        // of random data mispredict): the first maximum of each pair in row-major order, then the
        // second pair's only if strictly greater: the scan's element, unless a value is NaN
        // (then the sum is NaN and the window is scanned). +(a > b) is 0 or 1 without a branch.
        for (let c = 0; c < channels; c++, o++) {
          const i0 = corner + c;
          const i2 = i0 + rowStride;
          const v0 = xs[i0]!;
          const v1 = xs[i0 + channels]!;
          const v2 = xs[i2]!;
          const v3 = xs[i2 + channels]!;
          const total = v0 + v1 + v2 + v3;
          if (total !== total) {
            addAtArgmax(xs, sums, dys[o]!, i0, 2, 2, rowStride, channels);
            continue;
          }
          const first = i0 + +(v1 > v0) * channels;
          const second = i2 + +(v3 > v2) * channels;
          const at = first + +(xs[second]! > xs[first]!) * (second - first);
          if (xs[at]! > -Infinity) sums[at]! += dys[o]!;
        }
      }
    }
  }
  if (overlapping) dx.set(sums);
  return out;
};

// ---------------------------------------------------------------------------------------------
// Sum over leading axes
// ---------------------------------------------------------------------------------------------

/**
 * out[j] = sum over i of x[i, j] for x viewed as [outer, inner], when the reduced axes are exactly
 * the leading ones (a bias gradient). wasm would transpose x to put them last; one pass adding
 * rows does not need to. Accumulates in float64 in row order, as the cpu backend does.
 */
const sumLeadingAxes: FastPath = ({ inputs, backend, attrs }) => {
  const x = input(inputs, 'x', tf.Sum);
  const { axis, keepDims } = attrs as unknown as SumAttrs;
  if (x.dtype !== 'float32' || x.shape.length < 2) return null;
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
  if (axes.length === 0 || axes.length === x.shape.length || axes.some((ax, i) => ax !== i)) return null;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const innerShape = x.shape.slice(axes.length);
  const inner = tf.util.sizeFromShape(innerShape);
  if (outer * inner === 0) return null;
  const wasm = backend as unknown as BackendWasm;
  const out = wasm.makeOutput(keepDims ? [...axes.map(() => 1), ...innerShape] : innerShape, 'float32');
  const xs = heapF32(wasm, x);
  const sums = heapF32(wasm, out);
  // Four columns at a time in local float64 accumulators (an accumulator array is several times
  // slower); each column still adds its rows in order.
  for (let j = 0; j < inner; j += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const end = outer * inner;
    if (j + 4 <= inner) {
      for (let k = j; k < end; k += inner) {
        s0 += xs[k]!;
        s1 += xs[k + 1]!;
        s2 += xs[k + 2]!;
        s3 += xs[k + 3]!;
      }
      sums[j + 3] = s3;
    } else {
      for (let k = j; k < end; k += inner) {
        s0 += xs[k]!;
        if (j + 1 < inner) s1 += xs[k + 1]!;
        if (j + 2 < inner) s2 += xs[k + 2]!;
      }
    }
    sums[j] = s0;
    if (j + 1 < inner) sums[j + 1] = s1;
    if (j + 2 < inner) sums[j + 2] = s2;
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Add of a bias
// ---------------------------------------------------------------------------------------------

/** The length of `b` if it broadcasts along the last axis of `a` only ([C], [1, C], ...); else 0. */
function biasLength(a: TensorInfo, b: TensorInfo): number {
  const channels = b.shape.at(-1) ?? 1;
  if (b.shape.length > a.shape.length || a.shape.length < 2 || a.shape.at(-1) !== channels) return 0;
  return b.shape.slice(0, -1).every((d) => d === 1) ? channels : 0;
}

/** Rows of this many elements make XNNPACK's broadcasting add fast. */
const BIAS_ROW = 1024;

/**
 * x + bias with bias broadcast along the last axis, as conv and dense layers add their bias while
 * gradients are recorded. wasm's Add (XNNPACK) handles a broadcast [N, H, W, C] + [C] one row of C
 * elements at a time, ten times slower than a same-shape add. So x is viewed as [rows, C*k] (k a
 * divisor of its row count, C*k at most BIAS_ROW) and the bias tiled k times: the same additions,
 * by the same kernel, in rows of about a thousand elements.
 */
const addBias: FastPath = ({ inputs, backend, attrs }, original) => {
  const a = input(inputs, 'a', tf.Add);
  const b = input(inputs, 'b', tf.Add);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const biasIsB = biasLength(a, b) > 0;
  if (!biasIsB && biasLength(b, a) === 0) return null;
  const [x, bias] = biasIsB ? [a, b] : [b, a];
  const channels = biasLength(x, bias);
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  if (rows === 0) return null;
  let k = Math.floor(BIAS_ROW / channels);
  while (k > 1 && rows % k !== 0) k--;
  if (k <= 1) return null;
  const wasm = backend as unknown as BackendWasm;
  const tiled = wasm.makeOutput([channels * k], 'float32');
  const bs = heapF32(wasm, bias);
  const ts = heapF32(wasm, tiled);
  for (let i = 0; i < k; i++) ts.set(bs, i * channels);
  const view: TensorInfo = { dataId: x.dataId, shape: [rows / k, channels * k], dtype: 'float32' };
  try {
    const out = original({ inputs: biasIsB ? { a: view, b: tiled } : { a: tiled, b: view }, backend, attrs }) as TensorInfo;
    return { dataId: out.dataId, shape: x.shape, dtype: out.dtype };
  } finally {
    wasm.disposeData(tiled.dataId);
  }
};

// ---------------------------------------------------------------------------------------------
// Identity, and Cast to the same dtype
// ---------------------------------------------------------------------------------------------

/**
 * The engine clones (Identity) every tensor it saves for the backward pass, and a gradient casts
 * float32 to float32 (relu's); wasm copies the data each time. Tensors are immutable, so the clone
 * can share the data, as on the cpu backend (and as wasm's own Reshape does).
 */
function share(x: TensorInfo, backend: BackendWasm): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const identity: FastPath = ({ inputs, backend }) => {
  const x = input(inputs, 'x', tf.Identity);
  return x.dtype === 'string' ? null : share(x, backend as unknown as BackendWasm);
};

const castToSameDtype: FastPath = ({ inputs, backend, attrs }) => {
  const x = input(inputs, 'x', tf.Cast);
  return x.dtype === 'string' || (attrs as unknown as CastAttrs).dtype !== x.dtype ? null : share(x, backend as unknown as BackendWasm);
};

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

const FAST_PATHS: readonly [string, FastPath][] = [
  [tf.Conv2DBackpropInput, conv2DBackpropInput],
  [tf.MaxPoolGrad, maxPoolGrad],
  [tf.Sum, sumLeadingAxes],
  [tf.Add, addBias],
  [tf.Identity, identity],
  [tf.Cast, castToSameDtype],
];

/** Kernel names that get a fast path. */
export const WASM_FAST_KERNEL_NAMES = FAST_PATHS.map(([name]) => name);

function wrap(kernelName: string, fast: FastPath): boolean {
  const original = tf.getKernel(kernelName, BACKEND);
  if (!original || (original.kernelFunc as unknown as Record<symbol, boolean>)[WRAPPED]) return false;
  const kernelFunc = (args: KernelArgs): TensorInfo | TensorInfo[] => fast(args, original.kernelFunc) ?? original.kernelFunc(args);
  tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({ ...original, kernelFunc: Object.assign(kernelFunc, { [WRAPPED]: true }) });
  return true;
}

/**
 * Wraps wasm's kernels in WASM_FAST_KERNEL_NAMES with their fast paths (idempotent: a kernel
 * already wrapped is left alone). Returns the kernels wrapped by this call.
 */
export function registerWasmFastKernels(): string[] {
  return FAST_PATHS.filter(([name, fast]) => wrap(name, fast)).map(([name]) => name);
}
