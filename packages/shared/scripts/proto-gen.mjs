#!/usr/bin/env node
// Generates the TypeScript types of proto/lrsweep/v1/*.proto into packages/shared/src/gen/ with
// @grpc/proto-loader's proto-loader-gen-types.
//
//   node packages/shared/scripts/proto-gen.mjs          regenerate src/gen (pnpm proto:gen)
//   node packages/shared/scripts/proto-gen.mjs --check  regenerate into a temp dir and fail if it
//                                                       differs from the committed src/gen (pnpm proto:check)
//
// The generator flags must match LOADER_OPTIONS in src/grpc/loader.ts (the runtime loader):
// keepCase false (camelCase fields), longs Number, enums String, defaults true, oneofs true.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const genDir = join(packageDir, 'src', 'gen');
const PROTO_FILES = ['lrsweep/v1/spec.proto', 'lrsweep/v1/sweep.proto', 'lrsweep/v1/worker.proto'];
const FLAGS = [
  '--longs=Number',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--includeComments',
  '--grpcLib=@grpc/grpc-js',
  // NodeNext: relative imports need their extension.
  '--importFileExtension=.js',
];

const require = createRequire(join(packageDir, 'package.json'));
const generator = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build', 'bin', 'proto-loader-gen-types.js');

function generate(outDir) {
  // Run from the package folder with a relative include dir, so the "Original file:" comments in the
  // output do not depend on where the repository is checked out.
  const result = spawnSync(process.execPath, [generator, ...FLAGS, '-I', '../../proto', '-O', outDir, ...PROTO_FILES], {
    cwd: packageDir,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    console.error(`proto-loader-gen-types failed (exit ${String(result.status ?? result.signal)})`);
    process.exit(1);
  }
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

const temp = mkdtempSync(join(tmpdir(), 'lrsweep-proto-gen-'));
try {
  const fresh = join(temp, 'gen');
  generate(fresh);
  if (process.argv.includes('--check')) {
    const expected = listFiles(fresh);
    const actual = listFiles(genDir);
    const problems = [];
    for (const f of expected) {
      if (!actual.includes(f)) problems.push(`missing:  src/gen/${f}`);
      else if (readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(genDir, f), 'utf8')) problems.push(`outdated: src/gen/${f}`);
    }
    for (const f of actual) if (!expected.includes(f)) problems.push(`stale:    src/gen/${f}`);
    if (problems.length > 0) {
      console.error(
        [
          `proto:check failed: packages/shared/src/gen does not match proto/ (${problems.length} file${problems.length === 1 ? '' : 's'}):`,
          ...problems.map((p) => `  ${p}`),
          'Run `pnpm proto:gen` and commit packages/shared/src/gen.',
        ].join('\n'),
      );
      process.exit(1);
    }
    console.log(`proto:check ok: packages/shared/src/gen matches proto/ (${expected.length} files)`);
  } else {
    rmSync(genDir, { recursive: true, force: true });
    cpSync(fresh, genDir, { recursive: true });
    console.log(`proto:gen: wrote ${listFiles(genDir).length} files to packages/shared/src/gen`);
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
