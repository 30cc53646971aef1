import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RangeTestReport } from '@lrsweep/shared';
import { runCli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lrsweep-e2e-'));

describe('lrsweep range-test (real processes, real MNIST)', () => {
  it('--json: 4 seeds in worker processes, suggestions where SGD trains this MLP, an SVG plot', async () => {
    const plot = join(dir, 'range.svg');
    const run = await runCli(['range-test', 'examples/mnist-mlp-sgd.yaml', '--json', '--plot', plot]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RangeTestReport;
    expect(['tensorflow', 'wasm', 'cpu']).toContain(report.backend);
    expect(report.seeds).toBe(4);
    expect(new Set(report.runs.map((r) => r.seed)).size).toBe(4);
    // Different seeds, different curves.
    expect(report.runs[0]!.curve[5]!.loss).not.toBe(report.runs[1]!.curve[5]!.loss);
    // Plain SGD trains this MLP well from about 0.02 to 1 and diverges at 2 (measured; see README).
    for (const rate of [report.suggestions.valley, report.suggestions.minimum]) {
      expect(rate).not.toBeNull();
      expect(rate!).toBeGreaterThan(0.005);
      expect(rate!).toBeLessThan(1);
    }
    expect(report.range).not.toBeNull();
    expect(report.range!.min).toBeLessThan(report.range!.max);
    expect(report.range!.max).toBeLessThan(2);
    expect(report.spread.valley!.count).toBe(4);
    // The ramp is exact: first rate is rangeTest.min, and each curve point's rate follows the ramp.
    const curve = report.runs[0]!.curve;
    expect(curve[0]!.lr).toBe(1e-7);
    expect(curve[50]!.lr).toBeCloseTo(1e-7 * (10 / 1e-7) ** (50 / 99), 12);
    // Every run ended on its own blow-up (SGD at rate 10 diverges) or at the end of the ramp.
    for (const r of report.runs) expect(['diverged', 'non-finite', 'completed']).toContain(r.stopReason);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('learning rate (log scale)');
    expect(svg.match(/<path /g)!.length).toBeGreaterThanOrEqual(8);
    expect(run.seconds).toBeLessThan(60);
  });

  it('a human summary without --json', async () => {
    const run = await runCli(['range-test', 'examples/spirals.yaml', '--seeds', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/valley\s+\S+/);
    expect(run.stdout).toMatch(/range: loss starts to fall/);
    expect(run.stdout).toMatch(/agreement: \d+%/);
  });

  it('a broken spec: exit code 2, every field path and its fix, nothing run', async () => {
    const spec = join(dir, 'broken.yaml');
    writeFileSync(spec, 'name: Bad Name\nmodel: { builtin: mlp, hidden: [0] }\ndataset: { builtin: mnist }\ngrid: { min: 1, max: 0.1, points: 8 }\nbatchsize: 64\n');
    const run = await runCli(['range-test', spec, '--json']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    for (const path of ['name:', 'model.hidden[0]:', 'grid.min:', '(root):']) expect(run.stderr).toContain(path);
    expect(run.stderr).toContain("rename 'batchsize' to 'batchSize'");
  });

  it('a missing spec file says so', async () => {
    const run = await runCli(['range-test', join(dir, 'nope.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read .*nope\.yaml/);
  });
});
