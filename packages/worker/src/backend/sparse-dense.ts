import * as tf from '@tensorflow/tfjs-core';
import { SPARSE_DENSE_WASM_BASE64 } from './sparse-dense-wasm.js';

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

/** What the kernels need of @tensorflow/tfjs-backend-wasm 4.x beyond its public API. */
interface WasmBackendInternals {
  wasm: { asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

interface SparseDenseExports {
  spmm(rowPtr: number, idx: number, val: number, rows: number, w: number, bias: number, n: number, out: number, relu: number): void;
  spmmT(rowPtr: number, idx: number, val: number, rows: number, dz: number, n: number, k: number, dw: number): void;
}

/** The part of the WebAssembly JS API used here (this project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const instances = new WeakMap<object, SparseDenseKernels | null>();

function internalsOf(backend: unknown): WasmBackendInternals | undefined {
  const b = backend as Partial<WasmBackendInternals>;
  if (!(b.wasm?.asm?.memory instanceof wasmApi.Memory) || typeof b.dataIdMap?.get !== 'function' || typeof b.makeOutput !== 'function') return undefined;
  return b as WasmBackendInternals;
}

function instantiate(internals: WasmBackendInternals): SparseDenseKernels {
  const bytes = Buffer.from(SPARSE_DENSE_WASM_BASE64, 'base64');
  // Small enough to compile synchronously; importing the backend's memory makes tensor offsets our pointers.
  const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory: internals.wasm.asm!.memory } });
  const exports = instance.exports as SparseDenseExports;
  const offset = (t: tf.Tensor): number => {
    const data = internals.dataIdMap.get(t.dataId);
    if (!data) throw new Error(`tensor ${t.id} is not on the wasm backend`);
    return data.memoryOffset;
  };
  const output = (shape: [number, number]): tf.Tensor2D => tf.engine().makeTensorFromTensorInfo(internals.makeOutput(shape, 'float32')) as tf.Tensor2D;
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

/**
 * The kernels for the active backend, or undefined when it is not wasm (or its internals are not
 * the ones these kernels were written against: then the dense path runs, as it always can).
 */
export function sparseDenseKernels(): SparseDenseKernels | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend();
  let kernels = instances.get(backend);
  if (kernels === undefined) {
    const internals = internalsOf(backend);
    try {
      kernels = internals ? instantiate(internals) : null;
    } catch {
      kernels = null; // no wasm SIMD here: the dense path runs
    }
    instances.set(backend, kernels);
  }
  return kernels ?? undefined;
}
