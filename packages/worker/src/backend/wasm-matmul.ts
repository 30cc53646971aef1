import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

const BACKEND = 'wasm';
const WRAPPED = Symbol.for('lrsweep.wasm-matmul-fast-path');

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * wasm's matMul is about 10× slower when an operand is transposed (6.3 ms against 0.6 ms for
 * 784×64 · 64×128 on this machine), and every dense backward pass asks for exactly that. These
 * wrappers transpose the operand explicitly with wasm's own Transpose kernel, then run the plain
 * kernel. Same numbers, same gradients (the op and its gradient are unchanged, only the kernel).
 */
function fastPath(kernelName: 'BatchMatMul' | '_FusedMatMul'): boolean {
  const original = tf.getKernel(kernelName, BACKEND);
  const transpose = tf.getKernel('Transpose', BACKEND);
  if (!original || !transpose || (original as unknown as Record<symbol, boolean>)[WRAPPED]) return false;
  const kernelFunc = (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
    const inputs = { ...args.inputs } as Record<string, tf.TensorInfo>;
    const made: tf.TensorInfo[] = [];
    const flip = (name: 'a' | 'b') => {
      const x = inputs[name]!;
      const perm = [...x.shape.keys()];
      [perm[perm.length - 1], perm[perm.length - 2]] = [perm[perm.length - 2]!, perm[perm.length - 1]!];
      const flipped = transpose.kernelFunc({ inputs: { x }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
      made.push(flipped);
      inputs[name] = flipped;
    };
    if (attrs.transposeA) flip('a');
    if (attrs.transposeB) flip('b');
    try {
      return original.kernelFunc({ inputs, backend: args.backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const info of made) (args.backend as tf.KernelBackend).disposeData(info.dataId);
    }
  };
  tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({ ...original, kernelFunc: Object.assign(kernelFunc, { [WRAPPED]: true }) });
  Object.assign(tf.getKernel(kernelName, BACKEND), { [WRAPPED]: true });
  return true;
}

/** Installs the fast paths (idempotent); returns the kernels it wrapped. */
export function registerWasmMatMulFastPaths(): string[] {
  return (['BatchMatMul', '_FusedMatMul'] as const).filter((name) => fastPath(name));
}
