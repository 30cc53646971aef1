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
  Rank,
  Tensor,
  Tensor4D,
  TensorInfo,
  UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
// Registers the wasm backend and its own kernels, so that the check for which kernels are
// missing below sees them. It does not initialise the backend (that happens on setBackend).
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { CONV_FILTER_GRAD_WASM_BASE64 } from './conv-filter-grad-wasm.js';
import { backendModule } from './wasm-modules.js';

const BACKEND = 'wasm';

/** Kernel names this module can supply. */
export const WASM_GRADIENT_KERNEL_NAMES = [
  tf.Conv2DBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.UnsortedSegmentSum,
] as const;

export type Shape4 = [number, number, number, number];
export type Pads = [number, number];

export function shape4(info: TensorInfo, what: string): Shape4 {
  const s = info.shape;
  if (s.length !== 4) throw new Error(`${what}: expected a rank-4 tensor, got shape [${s.join(',')}]`);
  return [s[0] ?? 0, s[1] ?? 0, s[2] ?? 0, s[3] ?? 0];
}

export function input(inputs: NamedTensorInfoMap, name: string, kernel: string): TensorInfo {
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

/** A kernel input as a float32 tensor: as is when it is one (tf.cast would copy it), else cast. */
export function asFloat32<T extends Tensor>(info: TensorInfo, backend: KernelBackend): T {
  const t = asTensor<T>(info, backend);
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}

/**
 * Spreads a gradient by the strides (for the input gradient of a strided conv): row oy moves to
 * oy * strideHeight and column ox to ox * strideWidth, with zeros between (and after). Call in a tidy.
 */
export function spreadByStrides(dy: Tensor4D, strideHeight: number, strideWidth: number): Tensor4D {
  if (strideHeight === 1 && strideWidth === 1) return dy;
  const [batch, height, width, channels] = dy.shape;
  const padded6 = tf.pad(tf.reshape(dy, [batch, height, 1, width, 1, channels]), [
    [0, 0],
    [0, 0],
    [0, strideHeight - 1],
    [0, 0],
    [0, strideWidth - 1],
    [0, 0],
  ]);
  return tf.reshape<Rank.R4>(padded6, [batch, height * strideHeight, width * strideWidth, channels]);
}

/**
 * Pads (positive amounts, with zeros) or crops (negative amounts) axes 1 and 2 of a rank-4
 * tensor: the result has h + top + bottom rows and w + left + right columns.
 */
export function padOrCrop4(x: Tensor4D, [top, bottom]: Pads, [left, right]: Pads): Tensor4D {
  const [n, h, w, c] = x.shape;
  const keptH = h - Math.max(0, -top) - Math.max(0, -bottom);
  const keptW = w - Math.max(0, -left) - Math.max(0, -right);
  if (keptH <= 0 || keptW <= 0) {
    return tf.zeros([n, Math.max(0, h + top + bottom), Math.max(0, w + left + right), c], x.dtype);
  }
  let out = x;
  if (keptH < h || keptW < w) {
    out = tf.slice(out, [0, Math.max(0, -top), Math.max(0, -left), 0], [n, keptH, keptW, c]);
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

/**
 * Pads/crops axes 1 and 2 (the spatial axes) of `x` so that for every output position (oy, ox)
 * and filter tap (kh, kw) the forward convolution described by `info` reads row
 * `oy * strideH + kh * dilationH` and column `ox * strideW + kw * dilationW` of the result, and
 * the result has exactly (outH - 1) * strideH + effectiveFilterH rows (likewise columns). What the
 * forward op treats as padding becomes zeros; rows it never reads are cropped.
 */
function padForWindows(x: Tensor4D, info: tf.backend_util.Conv2DInfo): Tensor4D {
  const needH = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight;
  const needW = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  return padOrCrop4(x, [top, needH - top - info.inHeight], [left, needW - left - info.inWidth]);
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter
// ---------------------------------------------------------------------------------------------

/** Above this many elements (64 MiB of float32) the patch matrix is not built. */
const MAX_PATCH_ELEMENTS = 16 * 1024 * 1024;

/**
 * The patches of the forward convolution `info` (NHWC, one input channel, column stride 1,
 * dilation 1) as a [fH*fW, positions] matrix: row kh*fW + kw, column (n*outH + oy)*outW + ox holds
 * x[n, oy*sH + kh - top, ox + kw - left, 0], zero where that is padding. With one channel and
 * stride 1 each (row, n, oy) is a contiguous run of x: one native copy within the wasm heap.
 */
function singleChannelPatches(x: Tensor4D, info: tf.backend_util.Conv2DInfo, backend: KernelBackend): Tensor {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const wasm = backend as unknown as BackendWasm;
  const out = wasm.makeOutput([filterHeight * filterWidth, batchSize * outHeight * outWidth], 'float32');
  // Views after the allocation (which may grow, and so detach, the heap).
  const xs = wasm.typedArrayFromHeap(x) as Float32Array;
  const patches = wasm.typedArrayFromHeap(out) as Float32Array;
  const heap = new Float32Array(xs.buffer);
  const xAt = xs.byteOffset / 4;
  const patchesAt = patches.byteOffset / 4;
  let k = 0;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      // Output columns whose input column ox + kw - left is inside the image: [oxLo, oxHi).
      const shift = kw - left;
      const oxLo = Math.min(outWidth, Math.max(0, -shift));
      const oxHi = Math.max(oxLo, Math.min(outWidth, inWidth - shift));
      for (let n = 0; n < batchSize; n++) {
        for (let oy = 0; oy < outHeight; oy++) {
          const y = oy * strideHeight + kh - top;
          if (y < 0 || y >= inHeight) {
            patches.fill(0, k, k + outWidth);
            k += outWidth;
            continue;
          }
          const from = xAt + (n * inHeight + y) * inWidth + oxLo + shift;
          patches.fill(0, k, k + oxLo);
          heap.copyWithin(patchesAt + k + oxLo, from, from + oxHi - oxLo);
          patches.fill(0, k + oxHi, k + outWidth);
          k += outWidth;
        }
      }
    }
  }
  return tf.engine().makeTensorFromTensorInfo(out, backend);
}

interface ConvFilterGradExports {
  conv2dFilterGrad(...args: number[]): void;
}

/**
 * The filter gradient of an image layer (one input channel) by our wasm SIMD kernel
 * (conv-filter-grad.wat), which goes over the input once and skips its zeros: for the MNIST
 * CNN's first layer 0.6 ms a step against 2.3 ms for the patch matMul below. With 8 input
 * channels (its second layer) it measured 2.4 ms against 2.2 ms for the XNNPACK path, so layers
 * with several channels keep that one. NHWC, float32, outC a multiple of 4; otherwise undefined.
 */
export function directFilterGrad(xInfo: TensorInfo, dyInfo: TensorInfo, info: tf.backend_util.Conv2DInfo, backend: KernelBackend): Tensor | undefined {
  if (info.inChannels !== 1 || xInfo.dtype !== 'float32' || dyInfo.dtype !== 'float32' || info.outChannels % 4 !== 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const module = backendModule<ConvFilterGradExports>(backend, CONV_FILTER_GRAD_WASM_BASE64);
  if (!module) return undefined;
  const out = module.output([info.filterHeight, info.filterWidth, info.inChannels, info.outChannels]);
  const { top, left } = info.padInfo;
  module.exports.conv2dFilterGrad(
    module.offset(xInfo),
    module.offset(dyInfo),
    module.offset(out),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    top,
    left,
  );
  return out;
}

/**
 * dW[kh, kw, ci, co] = sum over (n, oy, ox) of xPad[n, oy*sH + kh, ox*sW + kw, ci] * dy[n, oy, ox, co].
 *
 * One input channel on wasm with SIMD (NHWC, outC a multiple of 4): our direct kernel
 * (directFilterGrad). Else:
 *
 * One input channel (an image layer), NHWC, column stride 1: one plain matMul (wasm's matMul is
 * fast without transposed operands) of the patch matrix [fH*fW, positions], built with native
 * copies (singleChannelPatches), with dy as [positions, outC]. For the MNIST CNN's first layer
 * this takes under half the time of the convolution below. With more channels the patch matrix
 * has to be gathered element by element, and that is slower than the convolution.
 *
 * Otherwise dW is itself a valid convolution with the batch and channel axes swapped: the input
 * is xPad as [inC, Hp, Wp, N] (inC plays the batch, N the channels), the "filter" is dy as
 * [outH, outW, N, outC], the stride is 1 and the filter dilation is the forward stride. The
 * output [inC, fH, fW, outC] is transposed to [fH, fW, inC, outC]. On wasm this runs as one
 * XNNPACK convolution plus three transposes, far faster than per-tap slices and matMuls.
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
  const { inChannels, outChannels, batchSize, outHeight, outWidth } = info;
  const direct = dataFormat === 'channelsLast' ? directFilterGrad(xInfo, dyInfo, info, backend) : undefined;
  if (direct) return direct;
  return tf.tidy(() => {
    if (batchSize * outHeight * outWidth * inChannels * outChannels === 0) return tf.zeros(a.filterShape, 'float32');
    const x = asFloat32<Tensor4D>(xInfo, backend);
    const dy = asFloat32<Tensor4D>(dyInfo, backend);
    const channelsFirst = dataFormat === 'channelsFirst';
    const positions = batchSize * outHeight * outWidth;
    const taps = info.filterHeight * info.filterWidth;
    if (!channelsFirst && inChannels === 1 && info.strideWidth === 1 && positions * taps <= MAX_PATCH_ELEMENTS) {
      // dW as [fH*fW, outC] = patches [fH*fW, positions] x dy [positions, outC].
      const dW = tf.matMul(singleChannelPatches(x, info, backend), tf.reshape(dy, [positions, outChannels]));
      return tf.reshape(dW, a.filterShape);
    }
    // x as [inC, H, W, N]; dy as [outH, outW, N, outC].
    const xSwapped = padForWindows(tf.transpose(x, channelsFirst ? [1, 2, 3, 0] : [3, 1, 2, 0]), info);
    const dyFilter = tf.transpose(dy, channelsFirst ? [2, 3, 0, 1] : [1, 2, 0, 3]);
    const dW = tf.conv2d(xSwapped, dyFilter, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
    return tf.transpose(dW, [1, 2, 0, 3]);
  });
}

// ---------------------------------------------------------------------------------------------
// DepthwiseConv2dNativeBackpropFilter
// ---------------------------------------------------------------------------------------------

/**
 * dW[kh, kw, c, m] = sum over (n, oy, ox) of
 *   xPad[n, oy*sH + kh*dH, ox*sW + kw*dW, c] * dy[n, oy, ox, c*M + m].
 *
 * The same swap as for conv2d, made depthwise: the input is xPad as [1, Hp, Wp, C*N] (channel
 * c*N + n), the filter is dy as [outH, outW, C*N, M], stride 1, dilation = the forward stride.
 * The output [1, effH, effW, C*N*M] holds every offset 0..effH-1; summing over n and keeping
 * the offsets that are multiples of the filter dilation gives [fH, fW, C, M].
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
  const { inChannels, batchSize, outHeight, outWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  const multiplier = a.filterShape[3];
  return tf.tidy(() => {
    if (batchSize * outHeight * outWidth * inChannels * multiplier === 0) return tf.zeros(a.filterShape, 'float32');
    const x = asFloat32<Tensor4D>(xInfo, backend);
    const dy = asFloat32<Tensor4D>(dyInfo, backend);
    const xPad = padForWindows(x, info);
    const [, hp, wp] = xPad.shape;
    const channels = inChannels * batchSize;
    const xSwapped = tf.reshape<Rank.R4>(tf.transpose(xPad, [1, 2, 3, 0]), [1, hp, wp, channels]);
    const dyFilter = tf.reshape<Rank.R4>(
      tf.transpose(tf.reshape(dy, [batchSize, outHeight, outWidth, inChannels, multiplier]), [1, 2, 3, 0, 4]),
      [outHeight, outWidth, channels, multiplier],
    );
    const allOffsets = tf.depthwiseConv2d(xSwapped, dyFilter, 1, 'valid', 'NHWC', [
      info.strideHeight,
      info.strideWidth,
    ]);
    const summed = tf.sum<Tensor4D>(
      tf.reshape(allOffsets, [effectiveFilterHeight, effectiveFilterWidth, inChannels, batchSize, multiplier]),
      3,
    );
    if (info.dilationHeight === 1 && info.dilationWidth === 1) return summed;
    return tf.stridedSlice(
      summed,
      [0, 0, 0, 0],
      [effectiveFilterHeight, effectiveFilterWidth, inChannels, multiplier],
      [info.dilationHeight, info.dilationWidth, 1, 1],
    ); // ceil(((fH - 1) * dH + 1) / dH) = fH rows, likewise columns
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
    if (batchSize * outHeight * outWidth * channels === 0) return tf.zeros(a.inputShape, 'float32');
    const dy = asFloat32<Tensor4D>(dyInfo, backend);
    const filter = asFloat32<Tensor4D>(filterInfo, backend);
    const spread = spreadByStrides(dy, strideHeight, strideWidth);
    // Full correlation with the flipped filter: dx[y] = sum over kh' of P[y + kh'*dH] * fFlip[kh'],
    // where P is `spread` shifted down by effH - 1 - top rows and has inH + effH - 1 rows.
    const [, spreadH, spreadW] = spread.shape;
    const beginH = info.effectiveFilterHeight - 1 - info.padInfo.top;
    const beginW = info.effectiveFilterWidth - 1 - info.padInfo.left;
    const padded = padOrCrop4(
      spread,
      [beginH, inHeight + info.effectiveFilterHeight - 1 - beginH - spreadH],
      [beginW, inWidth + info.effectiveFilterWidth - 1 - beginW - spreadW],
    );
    const flipped = tf.reshape<Rank.R4>(tf.reverse(filter, [0, 1]), [fH, fW, channels, 1]);
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
    const x2 = tf.reshape<Rank.R2>(tf.cast(asTensor(xInfo, backend), dtype), [m, d]);
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
