// Compiles src/backend/sparse-dense.wat into src/backend/sparse-dense-wasm.ts (the bytes, base64),
// so the worker needs no WebAssembly toolchain at run time. `--check` exits 1 when the committed
// file differs from what the .wat compiles to.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const watPath = fileURLToPath(new URL('../src/backend/sparse-dense.wat', import.meta.url));
const outPath = fileURLToPath(new URL('../src/backend/sparse-dense-wasm.ts', import.meta.url));

export async function compileSparseDense() {
  const wabt = await wabtInit();
  const module = wabt.parseWat('sparse-dense.wat', readFileSync(watPath, 'utf8'), { simd: true, bulk_memory: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

export function render(bytes) {
  const base64 = bytes.toString('base64');
  const lines = base64.match(/.{1,96}/g) ?? [];
  return [
    '// Generated from sparse-dense.wat by `pnpm --filter @lrsweep/worker gen:wasm`; do not edit.',
    '// sparse-dense-wasm.test.ts checks that it matches the .wat.',
    'export const SPARSE_DENSE_WASM_BASE64 =',
    ...lines.map((line, i) => `  '${line}'${i === lines.length - 1 ? ';' : ' +'}`),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = render(await compileSparseDense());
  if (process.argv.includes('--check')) {
    if (readFileSync(outPath, 'utf8') !== text) {
      console.error(`${outPath} is stale: run pnpm --filter @lrsweep/worker gen:wasm`);
      process.exit(1);
    }
  } else {
    writeFileSync(outPath, text);
  }
}
