// Compiles each src/backend/<name>.wat into src/backend/<name>-wasm.ts (the bytes, base64), so the
// worker needs no WebAssembly toolchain at run time. `--check` exits 1 when a committed file
// differs from what its .wat compiles to.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

/** The hand-written modules: .wat name and the constant its generated file exports. */
export const MODULES = [
  { name: 'sparse-dense', constant: 'SPARSE_DENSE_WASM_BASE64' },
  { name: 'conv-filter-grad', constant: 'CONV_FILTER_GRAD_WASM_BASE64' },
];

const watPath = (name) => fileURLToPath(new URL(`../src/backend/${name}.wat`, import.meta.url));
export const outPath = (name) => fileURLToPath(new URL(`../src/backend/${name}-wasm.ts`, import.meta.url));

export async function compile(name) {
  const wabt = await wabtInit();
  const module = wabt.parseWat(`${name}.wat`, readFileSync(watPath(name), 'utf8'), { simd: true, bulk_memory: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

export function render(name, constant, bytes) {
  const base64 = bytes.toString('base64');
  const lines = base64.match(/.{1,96}/g) ?? [];
  return [
    `// Generated from ${name}.wat by \`pnpm --filter @lrsweep/worker gen:wasm\`; do not edit.`,
    '// wasm-modules.test.ts checks that it matches the .wat.',
    `export const ${constant} =`,
    ...lines.map((line, i) => `  '${line}'${i === lines.length - 1 ? ';' : ' +'}`),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let stale = 0;
  for (const { name, constant } of MODULES) {
    const text = render(name, constant, await compile(name));
    if (!process.argv.includes('--check')) writeFileSync(outPath(name), text);
    else if (readFileSync(outPath(name), 'utf8') !== text) {
      console.error(`${outPath(name)} is stale: run pnpm --filter @lrsweep/worker gen:wasm`);
      stale++;
    }
  }
  if (stale > 0) process.exit(1);
}
