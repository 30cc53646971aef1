import * as tf from '@tensorflow/tfjs-core';

/**
 * Our hand-written WebAssembly kernels (the .wat files here) run inside the wasm backend's memory:
 * each module imports it, so a tensor's heap offset is the kernel's pointer and nothing is copied.
 * This is what they need of @tensorflow/tfjs-backend-wasm 4.x beyond its public API; when it is
 * not there (another version, another backend) the kernels are simply not used.
 */
export interface WasmBackendInternals {
  wasm: { asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** The part of the WebAssembly JS API used here (this project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export function wasmInternalsOf(backend: unknown): WasmBackendInternals | undefined {
  const b = backend as Partial<WasmBackendInternals>;
  if (!(b.wasm?.asm?.memory instanceof wasmApi.Memory) || typeof b.dataIdMap?.get !== 'function' || typeof b.makeOutput !== 'function') return undefined;
  return b as WasmBackendInternals;
}

/** A module instantiated on a backend, with the helpers its kernels share. */
export interface BackendModule<Exports> {
  exports: Exports;
  internals: WasmBackendInternals;
  /** The tensor's byte offset in the backend's memory. */
  offset: (t: tf.TensorInfo) => number;
  /** A new float32 tensor on the backend (its contents are the kernel's to write). */
  output: (shape: number[]) => tf.Tensor;
}

const instances = new WeakMap<object, Map<string, BackendModule<unknown> | null>>();

/**
 * The module `base64` instantiated on `backend` (once per backend and module), or undefined when
 * the backend is not wasm with the expected internals, or the module does not compile here (no
 * wasm SIMD).
 */
export function backendModule<Exports>(backend: unknown, base64: string): BackendModule<Exports> | undefined {
  if (typeof backend !== 'object' || backend === null) return undefined;
  let modules = instances.get(backend);
  if (!modules) instances.set(backend, (modules = new Map<string, BackendModule<unknown> | null>()));
  let module = modules.get(base64);
  if (module === undefined) {
    module = null;
    const internals = wasmInternalsOf(backend);
    if (internals) {
      try {
        // Small enough to compile synchronously.
        const instance = new wasmApi.Instance(new wasmApi.Module(Buffer.from(base64, 'base64')), { env: { memory: internals.wasm.asm!.memory } });
        module = {
          exports: instance.exports,
          internals,
          offset: (t) => {
            const data = internals.dataIdMap.get(t.dataId);
            if (!data) throw new Error('tensor is not on the wasm backend');
            return data.memoryOffset;
          },
          output: (shape) => tf.engine().makeTensorFromTensorInfo(internals.makeOutput(shape, 'float32'), backend as tf.KernelBackend),
        };
      } catch {
        module = null;
      }
    }
    modules.set(base64, module);
  }
  return (module as BackendModule<Exports> | null) ?? undefined;
}
