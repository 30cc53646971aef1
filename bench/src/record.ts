import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { version_core as tfjsVersion } from '@tensorflow/tfjs-core';
import { loadSpecFile, type SweepSpec } from '@lrsweep/shared';

export const RESULTS = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

/** The machine in one line: cores, CPU model, memory, Node and tfjs versions. */
export function machine(): string {
  const list = cpus();
  return `${list.length} × ${list[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, tfjs ${tfjsVersion}`;
}

/** Appends one result section to bench/RESULTS.md, headed with the date, the machine and the backend. */
export function appendResult(title: string, body: string, backend: string): void {
  appendFileSync(RESULTS, `\n### ${title}, ${new Date().toISOString().slice(0, 10)} (${machine()}; backend ${backend})\n\n${body.trimEnd()}\n`);
}

export const QUICK_SPEC_NOTE = 'smoke run: at most 6 grid rates, 75 search steps, 1 final epoch, 2 range-test seeds of 50 steps';

/** The spec cut down for a smoke run, written to a temporary JSON file (its path is returned). */
export function quickSpecFile(specPath: string): string {
  const spec: SweepSpec = loadSpecFile(specPath);
  const maxSteps = Math.min(spec.search.maxSteps, 75);
  const quick: SweepSpec = {
    ...spec,
    grid: { ...spec.grid, points: Math.min(spec.grid.points, 6) },
    search: { ...spec.search, maxSteps, minSteps: Math.min(spec.search.minSteps, maxSteps) },
    final: { ...spec.final, epochs: 1 },
    rangeTest: { ...spec.rangeTest, steps: Math.min(spec.rangeTest.steps, 50), seeds: Math.min(spec.rangeTest.seeds, 2) },
  };
  const file = join(mkdtempSync(join(tmpdir(), 'lrsweep-bench-quick-')), basename(specPath).replace(/\.(ya?ml|json)$/, '') + '.json');
  writeFileSync(file, JSON.stringify(quick, null, 2));
  return file;
}
