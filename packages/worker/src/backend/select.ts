import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from '@lrsweep/shared';
import { registerWasmFastKernels } from './wasm-fast-kernels.js';
import { registerWasmGradientKernels } from './wasm-kernels.js';
import { registerWasmMatMulFastPaths } from './wasm-matmul.js';

export type BackendChoice = BackendName | 'auto';

export interface BackendInfo {
  name: BackendName;
  /** Why earlier candidates were skipped (e.g. the native addon is not installed). */
  skipped: { name: BackendName; reason: string }[];
  /** Kernels we registered for wasm because the backend lacks them. */
  replacedKernels: string[];
}

let active: BackendInfo | undefined;

async function tryNative(): Promise<void> {
  // The native addon is an optional dependency: its install downloads libtensorflow, which is
  // impossible on offline machines, so its absence is normal and not an error.
  const moduleName = '@tensorflow/tfjs-node';
  await import(moduleName);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialise');
}

async function tryWasm(threads: number): Promise<string[]> {
  setThreadsCount(threads);
  const replaced = registerWasmGradientKernels();
  registerWasmMatMulFastPaths();
  registerWasmFastKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  return replaced;
}

/**
 * Picks the fastest backend that works here: native TensorFlow, else wasm (with our replacements
 * for its missing gradient kernels), else the pure-JS cpu backend. An explicit choice that fails
 * is an error rather than a silent fallback, so a benchmark never measures the wrong thing.
 * Threads default to 1: a worker runs one process per core.
 */
export async function selectBackend(choice: BackendChoice = 'auto', options: { wasmThreads?: number } = {}): Promise<BackendInfo> {
  if (active && (choice === 'auto' || choice === active.name)) return active;
  const order: BackendName[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    try {
      let replacedKernels: string[] = [];
      if (name === 'tensorflow') await tryNative();
      else if (name === 'wasm') replacedKernels = await tryWasm(options.wasmThreads ?? 1);
      else if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
      await tf.ready();
      // The cpu backend greets Node users with advice to install tfjs-node; every result already
      // names its backend, and `skipped` says why the faster ones did not load.
      if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      active = { name, skipped, replacedKernels };
      return active;
    } catch (error) {
      skipped.push({ name, reason: (error as Error).message.split('\n')[0] ?? String(error) });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export function activeBackend(): BackendInfo | undefined {
  return active;
}
