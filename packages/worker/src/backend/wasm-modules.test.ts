import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './select.js';
import { SPARSE_DENSE_WASM_BASE64 } from './sparse-dense-wasm.js';
import { backendModule } from './wasm-modules.js';

interface GenWasm {
  MODULES: { name: string; constant: string }[];
  outPath: (name: string) => string;
  compile: (name: string) => Promise<Buffer>;
  render: (name: string, constant: string, bytes: Buffer) => string;
}

describe('hand-written wasm modules', () => {
  it.each(['sparse-dense', 'conv-filter-grad'])('%s-wasm.ts is what %s.wat compiles to (regenerate: pnpm --filter @lrsweep/worker gen:wasm)', async (name) => {
    const gen = (await import(fileURLToPath(new URL('../../scripts/gen-wasm.mjs', import.meta.url)))) as GenWasm;
    const module = gen.MODULES.find((m) => m.name === name);
    expect(module).toBeDefined();
    expect(readFileSync(gen.outPath(name), 'utf8')).toBe(gen.render(name, module!.constant, await gen.compile(name)));
  });

  it('instantiate once per backend, and only on wasm', async () => {
    await selectBackend('wasm');
    const wasm = tf.backend();
    const first = backendModule(wasm, SPARSE_DENSE_WASM_BASE64);
    expect(first).toBeDefined();
    expect(backendModule(wasm, SPARSE_DENSE_WASM_BASE64)).toBe(first);
    await tf.setBackend('cpu');
    try {
      expect(backendModule(tf.backend(), SPARSE_DENSE_WASM_BASE64)).toBeUndefined();
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
