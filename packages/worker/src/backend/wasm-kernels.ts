/**
 * Replacement kernels for the tfjs wasm backend.
 *
 * `@tensorflow/tfjs-backend-wasm@4.22.0` lacks a few kernels that training needs for gradients
 * (the filter gradient of conv2d, both gradients of depthwiseConv2d, and the gradient of
 * `tf.gather`, which is an UnsortedSegmentSum). This module implements them with ordinary tf
 * ops that the wasm backend does have, and registers them for the `wasm` backend.
 *
 * A registered kernel may return a `Tensor` (the engine takes a returned tensor as is), so each
 * kernel below runs its ops inside `tf.tidy` and returns the result; every intermediate is
 * disposed and nothing is added to the tape (the engine does not record ops run inside kernels).
 */
import * as tf from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  Tensor,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  TensorInfo,
  UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
// Registers the wasm backend and its own kernels, so that the check for which kernels are
// missing below sees them. It does not initialise the backend (that happens on setBackend).
import '@tensorflow/tfjs-backend-wasm';

const BACKEND = 'wasm';

/** Kernel names this module can supply. */
export const WASM_GRADIENT_KERNEL_NAMES = [
  tf.Conv2DBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.UnsortedSegmentSum,
] as const;

/**
 * Largest number of elements of the stacked-patches tensor built at once by the filter-gradient
 * kernels (16M floats = 64 MiB); larger problems are done in groups of filter taps.
 */
const MAX_PATCH_ELEMENTS = 1 << 24;

type Shape4 = [number, number, number, number];
type Pads = [number, number];

function shape4(info: TensorInfo, what: string): Shape4 {
  const s = info.shape;
  if (s.length !== 4) throw new Error(`${what}: expected a rank-4 tensor, got shape [${s.join(',')}]`);
  return [s[0] ?? 0, s[1] ?? 0, s[2] ?? 0, s[3] ?? 0];
}

function input(inputs: NamedTensorInfoMap, name: string, kernel: string): TensorInfo {
  const t = inputs[name];
  if (t == null) throw new Error(`${kernel}: missing input '${name}'`);
  return t;
}

/**
 * A `Tensor` for a kernel input. Inputs reaching a kernel through `runKernel` are normally
 * tensors already and are used as is (never disposed here). A bare TensorInfo is wrapped without
 * copying; the wrapper takes its own reference on the backend data so that disposing it (by the
 * enclosing tidy) only drops that reference.
 */
function asTensor<T extends Tensor>(info: TensorInfo, backend: KernelBackend): T {
  if (info instanceof tf.Tensor) return info as T;
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend) as T;
}

/** Pads (positive amounts) or crops (negative amounts) axes 1 and 2 of an NHWC tensor. */
function padOrCrop4(x: Tensor4D, [top, bottom]: Pads, [left, right]: Pads): Tensor4D {
  const [n, h, w, c] = x.shape;
  let out = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t = Math.max(0, -top);
    const l = Math.max(0, -left);
    const hh = h - t - Math.max(0, -bottom);
    const ww = w - l - Math.max(0, -right);
    out = tf.slice(out, [0, t, l, 0], [n, Math.max(0, hh), Math.max(0, ww), c]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = tf.pad(out, [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ]);
  }
  return out;
}

interface TapGeometry {
  outHeight: number;
  outWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
}

/**
 * Pads/crops NHWC `x` so that the window of output position (oy, ox) and filter tap (kh, kw)
 * reads row `oy * strideH + kh * dilationH` (and likewise for columns) of the result, for every
 * output position and tap; rows a forward convolution treats as padding become zeros.
 */
function padForTaps(x: Tensor4D, info: tf.backend_util.Conv2DInfo): Tensor4D {
  const needH = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight;
  const needW = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  return padOrCrop4(x, [top, needH - top - info.inHeight], [left, needW - left - info.inWidth]);
}

/** The [N, outH, outW, C] view of padded `xPad` read by filter tap (kh, kw). */
function tap(xPad: Tensor4D, g: TapGeometry, kh: number, kw: number): Tensor4D {
  const [n, , , c] = xPad.shape;
  const r0 = kh * g.dilationHeight;
  const c0 = kw * g.dilationWidth;
  if (g.strideHeight === 1 && g.strideWidth === 1) {
    return tf.slice(xPad, [0, r0, c0, 0], [n, g.outHeight, g.outWidth, c]);
  }
  return tf.stridedSlice(
    xPad,
    [0, r0, c0, 0],
    [n, r0 + (g.outHeight - 1) * g.strideHeight + 1, c0 + (g.outWidth - 1) * g.strideWidth + 1, c],
    [1, g.strideHeight, g.strideWidth, 1],
  ) as Tensor4D;
}

/**
 * Runs `fn` for consecutive groups of filter taps (each group small enough that stacking its
 * taps stays under MAX_PATCH_ELEMENTS) and concatenates the per-group results along axis 0.
 */
function overTapGroups(
  numTaps: number,
  elementsPerTap: number,
  fn: (first: number, count: number) => Tensor,
): Tensor {
  const groupSize = Math.max(1, Math.min(numTaps, Math.floor(MAX_PATCH_ELEMENTS / Math.max(1, elementsPerTap))));
  if (groupSize >= numTaps) return fn(0, numTaps);
  const parts: Tensor[] = [];
  for (let first = 0; first < numTaps; first += groupSize) {
    parts.push(fn(first, Math.min(groupSize, numTaps - first)));
  }
  return tf.concat(parts, 0);
}

/** Taps `first .. first+count-1` (row-major over (kh, kw)) stacked: [count, N, outH, outW, C]. */
function stackTaps(xPad: Tensor4D, g: TapGeometry, filterWidth: number, first: number, count: number): Tensor {
  const taps: Tensor4D[] = [];
  for (let k = first; k < first + count; k++) {
    taps.push(tap(xPad, g, Math.floor(k / filterWidth), k % filterWidth));
  }
  return taps.length === 1 && taps[0] ? tf.expandDims(taps[0], 0) : tf.stack(taps, 0);
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter
// ---------------------------------------------------------------------------------------------

/**
 * dW[kh, kw, ci, co] = sum over (n, oy, ox) of xPad[n, oy*sH + kh, ox*sW + kw, ci] * dy[n, oy, ox, co].
 *
 * With P = N*outH*outW: dyT = dy as [outC, P] (one transpose of dy), taps stacked as
 * [K, P, inC] (K = fH*fW; stacking along a new leading axis is a plain copy), and one batched
 * matMul [1, outC, P] x [K, P, inC] -> [K, outC, inC], then a small transpose to
 * [fH, fW, inC, outC]. No big transpose of x and no transposeA matMul (slow on wasm).
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): Tensor {
  const kernel = tf.Conv2DBackpropFilter;
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  const xInfo = input(inputs, 'x', kernel);
  const dyInfo = input(inputs, 'dy', kernel);
  const dataFormat = tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC');
  const info = tf.backend_util.computeConv2DInfo(
    shape4(xInfo, kernel),
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    dataFormat,
  );
  const { filterHeight, filterWidth, inChannels, outChannels, batchSize, outHeight, outWidth } = info;
  return tf.tidy(() => {
    let x = tf.cast(asTensor<Tensor4D>(xInfo, backend), 'float32');
    let dy = tf.cast(asTensor<Tensor4D>(dyInfo, backend), 'float32');
    if (dataFormat === 'channelsFirst') {
      x = tf.transpose(x, [0, 2, 3, 1]);
      dy = tf.transpose(dy, [0, 2, 3, 1]);
    }
    const numTaps = filterHeight * filterWidth;
    const p = batchSize * outHeight * outWidth;
    if (p === 0 || inChannels === 0 || outChannels === 0) return tf.zeros(a.filterShape, 'float32');
    const xPad = padForTaps(x, info);
    const dyT = tf.reshape(tf.transpose(tf.reshape(dy, [p, outChannels])), [1, outChannels, p]) as Tensor3D;
    const byTap = overTapGroups(numTaps, p * inChannels, (first, count) => {
      const stacked = tf.reshape(stackTaps(xPad, info, filterWidth, first, count), [count, p, inChannels]) as Tensor3D;
      return tf.matMul(dyT, stacked); // [count, outC, inC]
    });
    return tf.reshape(tf.transpose(byTap, [0, 2, 1]), a.filterShape);
  });
}

// ---------------------------------------------------------------------------------------------
// DepthwiseConv2dNativeBackpropFilter
// ---------------------------------------------------------------------------------------------

/**
 * dW[kh, kw, c, m] = sum over (n, oy, ox) of
 *   xPad[n, oy*sH + kh*dH, ox*sW + kw*dW, c] * dy[n, oy, ox, c*M + m].
 *
 * Per channel c this is a [K, P] x [P, M] product: taps stacked [K, P, C] -> transposed to
 * [C, K, P]; dy [P, C, M] -> [C, P, M]; batched matMul -> [C, K, M] -> [K, C, M].
 */
function depthwiseConv2dNativeBackpropFilter({ inputs, backend, attrs }: KernelArgs): Tensor {
  const kernel = tf.DepthwiseConv2dNativeBackpropFilter;
  const a = attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const xInfo = input(inputs, 'x', kernel);
  const dyInfo = input(inputs, 'dy', kernel);
  const info = tf.backend_util.computeConv2DInfo(
    shape4(xInfo, kernel),
    a.filterShape,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    true,
  );
  const { filterHeight, filterWidth, inChannels, batchSize, outHeight, outWidth } = info;
  const multiplier = a.filterShape[3];
  return tf.tidy(() => {
    const x = tf.cast(asTensor<Tensor4D>(xInfo, backend), 'float32');
    const dy = tf.cast(asTensor<Tensor4D>(dyInfo, backend), 'float32');
    const numTaps = filterHeight * filterWidth;
    const p = batchSize * outHeight * outWidth;
    if (p === 0 || inChannels === 0 || multiplier === 0) return tf.zeros(a.filterShape, 'float32');
    const xPad = padForTaps(x, info);
    const dyC = tf.transpose(tf.reshape(dy, [p, inChannels, multiplier]), [1, 0, 2]) as Tensor3D; // [C, P, M]
    const byTap = overTapGroups(numTaps, p * inChannels, (first, count) => {
      const stacked = tf.reshape(stackTaps(xPad, info, filterWidth, first, count), [count, p, inChannels]);
      const perChannel = tf.transpose(stacked, [2, 0, 1]) as Tensor3D; // [C, count, P]
      return tf.transpose(tf.matMul(perChannel, dyC), [1, 0, 2]); // [count, C, M]
    });
    return tf.reshape(byTap, a.filterShape);
  });
}

// ---------------------------------------------------------------------------------------------
// DepthwiseConv2dNativeBackpropInput
// ---------------------------------------------------------------------------------------------

/**
 * dx[n, y, x, c] = sum over (kh, kw, m) and output positions (oy, ox) with
 * oy*sH + kh*dH - top = y, ox*sW + kw*dW - left = x, of dy[n, oy, ox, c*M + m] * f[kh, kw, c, m].
 *
 * This is a stride-1 correlation of dy "dilated" by the strides (s-1 zeros between rows /
 * columns), padded so that it is full, with the spatially flipped filter: a depthwiseConv2d over
 * the C*M channels of dy with multiplier 1 (filter [fH, fW, C*M, 1], same filter dilations),
 * followed by a sum over the M channels that belong to each input channel.
 */
function depthwiseConv2dNativeBackpropInput({ inputs, backend, attrs }: KernelArgs): Tensor {
  const kernel = tf.DepthwiseConv2dNativeBackpropInput;
  const a = attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const dyInfo = input(inputs, 'dy', kernel);
  const filterInfo = input(inputs, 'filter', kernel);
  const filterShape = shape4(filterInfo, kernel);
  const info = tf.backend_util.computeConv2DInfo(
    a.inputShape,
    filterShape,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const [fH, fW, , multiplier] = filterShape;
  const channels = inChannels * multiplier;
  return tf.tidy(() => {
    const dy = tf.cast(asTensor<Tensor4D>(dyInfo, backend), 'float32');
    const filter = tf.cast(asTensor<Tensor4D>(filterInfo, backend), 'float32');
    if (outHeight === 0 || outWidth === 0 || batchSize === 0 || channels === 0) {
      return tf.zeros(a.inputShape, 'float32');
    }
    // Dilate dy by the strides: [N, (oH-1)*sH+1, (oW-1)*sW+1, C*M].
    let dil: Tensor4D = dy;
    if (strideHeight > 1 || strideWidth > 1) {
      const spread = tf.pad(tf.reshape(dy, [batchSize, outHeight, 1, outWidth, 1, channels]), [
        [0, 0],
        [0, 0],
        [0, strideHeight - 1],
        [0, 0],
        [0, strideWidth - 1],
        [0, 0],
      ]);
      dil = tf.slice(
        tf.reshape(spread, [batchSize, outHeight * strideHeight, outWidth * strideWidth, channels]) as Tensor4D,
        [0, 0, 0, 0],
        [batchSize, (outHeight - 1) * strideHeight + 1, (outWidth - 1) * strideWidth + 1, channels],
      );
    }
    const dilH = (outHeight - 1) * strideHeight + 1;
    const dilW = (outWidth - 1) * strideWidth + 1;
    const beginH = info.effectiveFilterHeight - 1 - info.padInfo.top;
    const beginW = info.effectiveFilterWidth - 1 - info.padInfo.left;
    // Full-correlation padding: the padded length is inH + effH - 1.
    const padded = padOrCrop4(dil, [beginH, inHeight + info.effectiveFilterHeight - 1 - beginH - dilH], [
      beginW,
      inWidth + info.effectiveFilterWidth - 1 - beginW - dilW,
    ]);
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [fH, fW, channels, 1]) as Tensor4D;
    const conv = tf.depthwiseConv2d(padded, flipped, 1, 'valid', 'NHWC', [
      info.dilationHeight,
      info.dilationWidth,
    ]);
    if (multiplier === 1) return conv;
    return tf.sum(tf.reshape(conv, [batchSize, inHeight, inWidth, inChannels, multiplier]), 4);
  });
}

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum
// ---------------------------------------------------------------------------------------------

/**
 * out[s, ...] = sum of x[i, ...] over the (flattened) positions i with segmentIds[i] == s.
 * Implemented as a scatterND (which sums duplicate indices) of the rows of x reshaped to
 * [M, D]; rows whose id is outside [0, numSegments) are zeroed and sent to segment 0, so they
 * are dropped. O(M*D) work, unlike a oneHot matMul's O(M*numSegments*D). The result has x's
 * dtype for int32 data (as TensorFlow); other non-float dtypes are summed as float32.
 */
function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): Tensor {
  const kernel = tf.UnsortedSegmentSum;
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const xInfo = input(inputs, 'x', kernel);
  const idsInfo = input(inputs, 'segmentIds', kernel);
  const idsRank = idsInfo.shape.length;
  const rest = xInfo.shape.slice(idsRank);
  const m = tf.util.sizeFromShape(idsInfo.shape);
  const d = tf.util.sizeFromShape(rest);
  const dtype = xInfo.dtype === 'int32' ? 'int32' : 'float32';
  return tf.tidy(() => {
    const outShape = [numSegments, ...rest];
    if (m === 0 || d === 0 || numSegments === 0) return tf.zeros(outShape, dtype);
    const x2 = tf.reshape(tf.cast(asTensor(xInfo, backend), dtype), [m, d]) as Tensor2D;
    const ids = tf.reshape(tf.cast(asTensor(idsInfo, backend), 'int32'), [m]);
    const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments));
    const safeIds = tf.where(valid, ids, tf.zerosLike(ids));
    const rows = tf.where(tf.reshape(valid, [m, 1]), x2, tf.zerosLike(x2));
    const summed = tf.scatterND(tf.reshape(safeIds, [m, 1]), rows, [numSegments, d]);
    return tf.reshape(summed, outShape);
  });
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs: NamedAttrMap;
}

function kernelFunc(impl: (args: KernelArgs) => Tensor): KernelFunc {
  return ({ inputs, backend, attrs }) => impl({ inputs, backend: backend as KernelBackend, attrs: attrs ?? {} });
}

const CONFIGS: readonly KernelConfig[] = [
  { kernelName: tf.Conv2DBackpropFilter, backendName: BACKEND, kernelFunc: kernelFunc(conv2DBackpropFilter) },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
    backendName: BACKEND,
    kernelFunc: kernelFunc(depthwiseConv2dNativeBackpropFilter),
  },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropInput,
    backendName: BACKEND,
    kernelFunc: kernelFunc(depthwiseConv2dNativeBackpropInput),
  },
  { kernelName: tf.UnsortedSegmentSum, backendName: BACKEND, kernelFunc: kernelFunc(unsortedSegmentSum) },
];

/**
 * Registers, for the wasm backend, replacements for those of WASM_GRADIENT_KERNEL_NAMES that it
 * has no kernel for. Idempotent: a kernel already registered (natively or by an earlier call) is
 * left alone. Returns the names registered by this call (empty on later calls).
 */
export function registerWasmGradientKernels(): string[] {
  const registered: string[] = [];
  for (const config of CONFIGS) {
    if (tf.getKernel(config.kernelName, BACKEND) != null) continue;
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}
