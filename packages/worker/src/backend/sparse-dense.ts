import * as tf from '@tensorflow/tfjs-core';
import { SPARSE_DENSE_WASM_BASE64 } from './sparse-dense-wasm.js';
import { backendModule, type BackendModule } from './wasm-modules.js';

/** A batch of mostly-zero inputs in CSR form, its three arrays held as tensors of the wasm backend. */
export interface CsrBatch {
  readonly kind: 'csr';
  /** Examples in the batch. */
  readonly rows: number;
  /** Features per example (the dense layer's input size). */
  readonly columns: number;
  /** int32 [rows + 1]: row r's entries are rowPtr[r] .. rowPtr[r+1]-1 of indices and values. */
  readonly rowPtr: tf.Tensor1D;
  /** int32 [nnz]: the feature index of each non-zero. */
  readonly indices: tf.Tensor1D;
  /** float32 [nnz]. */
  readonly values: tf.Tensor1D;
}

export const isCsrBatch = (x: unknown): x is CsrBatch => typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'csr';

/** Uploads CSR arrays to the backend as a batch (the caller disposes it with `disposeCsrBatch`). */
export function csrBatch(rows: number, columns: number, rowPtr: Int32Array, indices: Int32Array, values: Float32Array): CsrBatch {
  if (rowPtr.length !== rows + 1 || indices.length !== values.length || rowPtr[rows] !== indices.length) {
    throw new Error(`malformed CSR batch: ${rows} rows, rowPtr of ${rowPtr.length}, ${indices.length} indices, ${values.length} values`);
  }
  return { kind: 'csr', rows, columns, rowPtr: tf.tensor1d(rowPtr, 'int32'), indices: tf.tensor1d(indices, 'int32'), values: tf.tensor1d(values, 'float32') };
}

export function disposeCsrBatch(batch: CsrBatch): void {
  tf.dispose([batch.rowPtr, batch.indices, batch.values]);
}

/**
 * Sparse × dense products on the wasm backend (sparse-dense.wat). They skip the input's zeros, so
 * a layer on MNIST pixels (19% non-zero) does a fifth of a dense matMul's multiply-adds.
 */
export interface SparseDenseKernels {
  /** act(x · w + bias) for x [rows, k] in CSR, w [k, n] and bias [n]; n a multiple of 4. */
  matMul(x: CsrBatch, w: tf.Tensor, bias: tf.Tensor, activation: 'relu' | 'linear'): tf.Tensor2D;
  /** xᵀ · dz, [k, n], for x [rows, k] in CSR and dz [rows, n]: a dense layer's kernel gradient. */
  transposedMatMul(x: CsrBatch, dz: tf.Tensor): tf.Tensor2D;
}

interface SparseDenseExports {
  spmm(rowPtr: number, idx: number, val: number, rows: number, w: number, bias: number, n: number, out: number, relu: number): void;
  spmmT(rowPtr: number, idx: number, val: number, rows: number, dz: number, n: number, k: number, dw: number): void;
}

function kernelsOf(module: BackendModule<SparseDenseExports>): SparseDenseKernels {
  const { exports, offset } = module;
  const output = (shape: [number, number]) => module.output(shape) as tf.Tensor2D;
  const checkFloat = (t: tf.Tensor, what: string) => {
    if (t.dtype !== 'float32') throw new Error(`${what} must be float32, not ${t.dtype}`);
  };
  return {
    matMul(x, w, bias, activation) {
      const [k, n] = w.shape as [number, number];
      if (w.rank !== 2 || k !== x.columns || n % 4 !== 0 || bias.size !== n) {
        throw new Error(`sparse matMul: x [${x.rows}, ${x.columns}] · w [${w.shape.join(', ')}] + bias [${bias.shape.join(', ')}] (units must be a multiple of 4)`);
      }
      checkFloat(w, 'w');
      checkFloat(bias, 'bias');
      const out = output([x.rows, n]);
      exports.spmm(offset(x.rowPtr), offset(x.indices), offset(x.values), x.rows, offset(w), offset(bias), n, offset(out), activation === 'relu' ? 1 : 0);
      return out;
    },
    transposedMatMul(x, dz) {
      const [rows, n] = dz.shape as [number, number];
      if (dz.rank !== 2 || rows !== x.rows || n % 4 !== 0) throw new Error(`sparse transposed matMul: x [${x.rows}, ${x.columns}]ᵀ · dz [${dz.shape.join(', ')}] (units must be a multiple of 4)`);
      checkFloat(dz, 'dz');
      const out = output([x.columns, n]);
      exports.spmmT(offset(x.rowPtr), offset(x.indices), offset(x.values), x.rows, offset(dz), n, x.columns, offset(out));
      return out;
    },
  };
}

const kernelsByModule = new WeakMap<object, SparseDenseKernels>();

/**
 * The kernels for the active backend, or undefined when it is not wasm (or its internals are not
 * the ones these kernels were written against: then the dense path runs, as it always can).
 */
export function sparseDenseKernels(): SparseDenseKernels | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const module = backendModule<SparseDenseExports>(tf.backend(), SPARSE_DENSE_WASM_BASE64);
  if (!module) return undefined;
  let kernels = kernelsByModule.get(module);
  if (!kernels) kernelsByModule.set(module, (kernels = kernelsOf(module)));
  return kernels;
}
