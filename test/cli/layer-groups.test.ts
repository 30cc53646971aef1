import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RangeTestReport } from '@lrsweep/shared';
import { runCli } from '../helpers.js';

/** The parts of `run --json` these tests read (packages/cli SweepResult). */
interface SweepResult {
  state: string;
  final: { lrMax: number; valAccuracy: number; modelPath: string } | null;
  layerGroups: { swept: string; finalRates: { group: string; rate: number }[] | null } | null;
}

const dir = mkdtempSync(join(tmpdir(), 'lrsweep-groups-'));

const base = {
  seed: 7,
  model: { builtin: 'mlp', hidden: [32, 32] },
  dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 300, noise: 0.2, validationFraction: 0.2, sampleFraction: 0.5 },
  optimizer: { name: 'adam' },
  batchSize: 32,
  grid: { min: 1e-4, max: 0.1, points: 6 },
  search: { strategy: 'asha', minSteps: 30, maxSteps: 270, reductionFactor: 3, reportEvery: 10 },
  final: { epochs: 4, schedule: 'one-cycle' },
  rangeTest: { min: 1e-6, max: 10, steps: 80, seeds: 2 },
};

function specFile(name: string, spec: object): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, ...base, ...spec }));
  return path;
}

/** The float32 values of one weight of a saved model (model.json + weights.bin). */
function savedWeight(modelPath: string, weight: string): number[] {
  const json = JSON.parse(readFileSync(modelPath, 'utf8')) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
  const bin = readFileSync(join(modelPath, '..', 'weights.bin'));
  let offset = 0;
  for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (w.name === weight) return Array.from(new Float32Array(bin.buffer.slice(bin.byteOffset + offset, bin.byteOffset + offset + count * 4)));
    offset += count * 4;
  }
  throw new Error(`no weight ${weight} in ${modelPath}`);
}

describe('layer groups through real processes (lrsweep run / range-test)', () => {
  let pretrained: string;

  it('sweeps the spread: the first group\'s rate below a fixed head rate; the final training reports each group\'s peak rate', async () => {
    const path = specFile('groups-spread', { layerGroups: { sweep: 'spread', base: 0.01 }, grid: { min: 1e-5, max: 0.01, points: 6 } });
    const run = await runCli(['run', path, '--workers', '2', '--json'], { env: { NATS_URL: '' }, timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as SweepResult;
    expect(result.state).toBe('COMPLETED');
    expect(result.layerGroups?.swept).toMatch(/first-group lr/);
    const rates = result.layerGroups!.finalRates!;
    expect(rates.map((r) => r.group)).toEqual(['hidden1', 'hidden2', 'logits']);
    // At the top of the final schedule the head is at base, the first group at the range's top.
    expect(rates[2]!.rate).toBeCloseTo(0.01, 10);
    expect(rates[0]!.rate).toBeCloseTo(result.final!.lrMax, 10);
    expect(rates[0]!.rate).toBeLessThanOrEqual(rates[1]!.rate);
    expect(rates[1]!.rate).toBeLessThanOrEqual(rates[2]!.rate);
    expect(result.final!.valAccuracy).toBeGreaterThan(0.7);
    pretrained = result.final!.modelPath;
  });

  it('fine-tunes from those weights with the body frozen: the saved body is bit-for-bit the pretrained one, the head is not', async () => {
    const path = specFile('groups-frozen', {
      model: { builtin: 'mlp', hidden: [32, 32], pretrained: { path: pretrained } },
      layerGroups: { groups: [{ name: 'body', layers: ['hidden*'], frozen: true }, { name: 'head', indices: [-1, -1] }] },
      final: { epochs: 1, schedule: 'one-cycle' },
    });
    const run = await runCli(['run', path, '--workers', '1', '--json'], { env: { NATS_URL: '' }, timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as SweepResult;
    expect(result.state).toBe('COMPLETED');
    expect(result.layerGroups!.finalRates!.map((g) => g.rate === 0)).toEqual([true, false]);
    const tuned = result.final!.modelPath;
    expect(savedWeight(tuned, 'hidden1/kernel')).toEqual(savedWeight(pretrained, 'hidden1/kernel'));
    expect(savedWeight(tuned, 'hidden2/bias')).toEqual(savedWeight(pretrained, 'hidden2/bias'));
    expect(savedWeight(tuned, 'logits/kernel')).not.toEqual(savedWeight(pretrained, 'logits/kernel'));
    // Starting from trained features, the head alone gets the spirals right.
    expect(result.final!.valAccuracy).toBeGreaterThan(0.7);
  });

  it('range-tests one group while the others stay fixed', async () => {
    const path = specFile('groups-range', { layerGroups: { groups: [{ name: 'body', layers: ['hidden*'] }, { name: 'head', layers: ['logits'] }], sweep: { group: 'head' }, base: 0.003 } });
    const run = await runCli(['range-test', path, '--json'], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RangeTestReport;
    expect(report.runs).toHaveLength(2);
    expect(report.suggestions.valley).not.toBeNull();
  });

  it('refuses a layer that is in no group before anything runs, naming the field and the fix', async () => {
    const path = specFile('groups-bad', { layerGroups: { groups: [{ name: 'body', layers: ['hidden*'] }] } });
    const run = await runCli(['run', path, '--workers', '1', '--json'], { env: { NATS_URL: '' } });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/layerGroups\.groups.*'logits' are in no group; add them to a group/);
  });
});

describe('a pretrained model that is not there', () => {
  it('is named before any worker starts', async () => {
    const path = specFile('missing-pretrained', { model: { builtin: 'mlp', hidden: [32, 32], pretrained: { path: join(dir, 'nope', 'model.json') } } });
    const run = await runCli(['run', path, '--workers', '1'], { env: { NATS_URL: '' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/model.pretrained.path: .*nope\/model.json does not exist; point it at a model.json saved by lrsweep/);
  });
});
