import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecError } from '../errors.js';
import { loadSpecFile, parseSpecText, resolveSpecPaths } from './load.js';

const FULL_EXAMPLE = `name: mnist-mlp-sgd
seed: 42
model: { builtin: mlp, hidden: [128] }
dataset: { builtin: mnist, validationFraction: 0.2, sampleFraction: 0.25 }
optimizer: { name: sgd }
batchSize: 64
grid: { min: 1.0e-4, max: 10, points: 16 }
search: { strategy: asha, minSteps: 25, maxSteps: 375, reductionFactor: 3, reportEvery: 5 }
pruning: { divergenceFactor: 4, stagnation: { windowSteps: 50, minRelImprovement: 0.01 } }
final: { epochs: 3, schedule: one-cycle }
rangeTest: { min: 1.0e-7, max: 10, steps: 100, seeds: 4 }
`;

function specErrorOf(run: () => unknown): SpecError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return error as SpecError;
  }
  throw new Error('expected a SpecError');
}

describe('parseSpecText', () => {
  it('parses the full example spec', () => {
    const spec = parseSpecText(FULL_EXAMPLE);
    expect(spec.name).toBe('mnist-mlp-sgd');
    expect(spec.model).toEqual({ builtin: 'mlp', hidden: [128], activation: 'relu' });
    expect(spec.grid).toEqual({ min: 1e-4, max: 10, points: 16 });
    expect(spec.rangeTest).toEqual({ min: 1e-7, max: 10, steps: 100, seeds: 4, beta: 0.9 });
    expect(spec.pruning.stagnation).toEqual({ windowSteps: 50, minRelImprovement: 0.01 });
    expect(spec.final).toEqual({ epochs: 3, schedule: 'one-cycle', divergenceGuard: { enabled: true, factor: 0.5, maxRetries: 4, checkpointEvery: 50 }, candidates: 'auto', startEarly: true });
  });

  it('parses JSON too', () => {
    const spec = parseSpecText(JSON.stringify({ name: 'json-spec', model: { builtin: 'mlp' }, dataset: { builtin: 'spirals' } }));
    expect(spec.name).toBe('json-spec');
    expect(spec.dataset).toMatchObject({ builtin: 'spirals', classes: 3 });
  });

  it('reports YAML syntax errors with their line', () => {
    const error = specErrorOf(() => parseSpecText('name: x\nmodel: { builtin: mlp\ndataset: { builtin: mnist }\n', 'bad.yaml'));
    expect(error.issues.length).toBeGreaterThanOrEqual(1);
    expect(error.issues[0]!.path).toBe('');
    expect(error.issues[0]!.message).toMatch(/line \d+/);
    expect(error.issues[0]!.message).not.toContain('\n');
    expect(error.issues[0]!.fix).toMatch(/syntax/);
    expect(error.message).toContain('bad.yaml');
  });

  it('rejects duplicate keys', () => {
    const error = specErrorOf(() => parseSpecText('name: a\nname: b\nmodel: { builtin: mlp }\ndataset: { builtin: mnist }\n'));
    expect(error.issues[0]!.message).toMatch(/unique/i);
  });

  it('maps YAML .inf to a field error, not a missing field', () => {
    const error = specErrorOf(() => parseSpecText('name: x\nmodel: { builtin: mlp }\ndataset: { builtin: mnist }\ngrid: { min: 1.0e-4, max: .inf, points: 8 }\n'));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toBe('grid.max');
    expect(error.issues[0]!.message).not.toMatch(/required/);
  });

  it('reports schema errors of valid YAML by field path', () => {
    const error = specErrorOf(() => parseSpecText('name: x\nmodel: { builtin: mlp, hidden: [0] }\ndataset: { builtin: mnist }\nbatchsize: 8\n'));
    expect(error.issues.map((i) => i.path).sort()).toEqual(['', 'model.hidden[0]']);
  });

  it('treats an empty document as an empty spec', () => {
    const error = specErrorOf(() => parseSpecText(''));
    expect(error.issues.length).toBeGreaterThan(0);
  });
});

describe('loadSpecFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lrsweep-spec-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the full example from a file', () => {
    const path = join(dir, 'example.yaml');
    writeFileSync(path, FULL_EXAMPLE);
    expect(loadSpecFile(path)).toEqual(parseSpecText(FULL_EXAMPLE));
  });

  it('reports a missing file as a SpecError that names it', () => {
    const path = join(dir, 'nope.yaml');
    const error = specErrorOf(() => loadSpecFile(path));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.message).toContain(path);
    expect(error.issues[0]!.fix).toMatch(/existing/);
    expect(error.source).toBe(path);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('names the file in schema errors', () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'name: x\nmodel: { builtin: mlp }\ndataset: { builtin: mnist }\nbatchSize: 0\n');
    const error = specErrorOf(() => loadSpecFile(path));
    expect(error.source).toBe(path);
    expect(error.message).toContain(path);
    expect(error.issues.map((i) => i.path)).toEqual(['batchSize']);
  });

  it("resolves relative topology and csv.path against the spec file's folder", () => {
    const sub = join(dir, 'nested', 'specs');
    mkdirSync(sub, { recursive: true });
    const topologyPath = join(sub, 'topo.yaml');
    writeFileSync(topologyPath, 'name: topo\nmodel: { topology: ../models/model.json }\ndataset: { csv: { path: data/train.csv, label: y } }\n');
    const spec = loadSpecFile(topologyPath);
    expect(spec.model).toEqual({ topology: join(dir, 'nested', 'models', 'model.json') });
    expect(spec.dataset).toEqual({
      csv: { path: join(sub, 'data', 'train.csv'), label: 'y', standardize: true },
      validationFraction: 0.2,
      sampleFraction: 0.25,
    });
  });

  it('leaves absolute paths alone', () => {
    const path = join(dir, 'abs.yaml');
    writeFileSync(path, 'name: abs\nmodel: { topology: /opt/models/m.json }\ndataset: { csv: { path: /data/x.csv, label: y } }\n');
    const spec = loadSpecFile(path);
    expect(spec.model).toEqual({ topology: '/opt/models/m.json' });
    expect(spec.dataset).toMatchObject({ csv: { path: '/data/x.csv' } });
  });
});

describe('resolveSpecPaths', () => {
  it('leaves builtin models and datasets untouched', () => {
    const spec = parseSpecText(FULL_EXAMPLE);
    const resolved = resolveSpecPaths(spec, '/somewhere');
    expect(resolved).toEqual(spec);
  });

  it('does not modify the spec it is given', () => {
    const spec = parseSpecText('name: x\nmodel: { topology: m.json }\ndataset: { csv: { path: d.csv, label: y } }\n');
    const resolved = resolveSpecPaths(spec, '/base');
    expect(resolved.model).toEqual({ topology: '/base/m.json' });
    expect(resolved.dataset).toMatchObject({ csv: { path: '/base/d.csv' } });
    expect(spec.model).toEqual({ topology: 'm.json' });
    expect(spec.dataset).toMatchObject({ csv: { path: 'd.csv' } });
  });
});
