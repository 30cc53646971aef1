import { describe, expect, it } from 'vitest';
import { SpecError } from '../errors.js';
import type { SpecIssue } from '../errors.js';
import { parseSpec } from './load.js';
import { GridSpec, RangeTestSpec, SweepSpec } from './schema.js';

const minimal = { name: 'tiny', model: { builtin: 'mlp' }, dataset: { builtin: 'mnist' } };

/** The issues of the SpecError that parsing `input` throws (fails the test if it does not throw one). */
function issuesOf(input: unknown): SpecIssue[] {
  try {
    parseSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return [...(error as SpecError).issues];
  }
  throw new Error('expected parseSpec to throw a SpecError');
}

/** The single issue at `path`, checking that it has a message and a fix. */
function issueAt(input: unknown, path: string): SpecIssue {
  const issues = issuesOf(input);
  const found = issues.filter((i) => i.path === path);
  expect(found, `issues were ${JSON.stringify(issues)}`).toHaveLength(1);
  const issue = found[0]!;
  expect(issue.message.length).toBeGreaterThan(0);
  expect(issue.fix.length).toBeGreaterThan(0);
  return issue;
}

describe('parseSpec: defaults', () => {
  it('fills every documented default into a minimal spec', () => {
    expect(parseSpec(minimal)).toEqual({
      name: 'tiny',
      seed: 42,
      model: { builtin: 'mlp', hidden: [128], activation: 'relu' },
      dataset: { builtin: 'mnist', validationFraction: 0.2, sampleFraction: 0.25 },
      optimizer: { name: 'sgd' },
      batchSize: 64,
      grid: { min: 1e-4, max: 10, points: 16 },
      search: { strategy: 'asha', minSteps: 25, maxSteps: 375, reductionFactor: 3, reportEvery: 5 },
      pruning: { divergenceFactor: 4, stagnation: { windowSteps: 50, minRelImprovement: 0.01 } },
      final: { epochs: 3, schedule: 'one-cycle', divergenceGuard: { enabled: true, factor: 0.5, maxRetries: 4, checkpointEvery: 50 }, candidates: 'auto', startEarly: true },
      rangeTest: { min: 1e-7, max: 10, steps: 100, seeds: 4, beta: 0.9 },
    });
  });

  it('fills the defaults inside a partly given section', () => {
    const spec = parseSpec({ ...minimal, rangeTest: { steps: 50 }, pruning: { divergenceFactor: 8 }, search: { strategy: 'sh' } });
    expect(spec.rangeTest).toEqual({ min: 1e-7, max: 10, steps: 50, seeds: 4, beta: 0.9 });
    expect(spec.pruning).toEqual({ divergenceFactor: 8, stagnation: { windowSteps: 50, minRelImprovement: 0.01 } });
    expect(spec.search).toEqual({ strategy: 'sh', minSteps: 25, maxSteps: 375, reductionFactor: 3, reportEvery: 5 });
  });

  it('fills the defaults of each model, dataset and optimizer form', () => {
    const cnn = parseSpec({ ...minimal, model: { builtin: 'cnn' } });
    expect(cnn.model).toEqual({ builtin: 'cnn', filters: [8, 16], kernelSize: 3, dense: [] });
    const spirals = parseSpec({ ...minimal, dataset: { builtin: 'spirals' } });
    expect(spirals.dataset).toEqual({ builtin: 'spirals', classes: 3, pointsPerClass: 1000, noise: 0.2, validationFraction: 0.2, sampleFraction: 0.25 });
    const csv = parseSpec({ ...minimal, dataset: { csv: { path: 'data.csv', label: 'y' } } });
    expect(csv.dataset).toEqual({ csv: { path: 'data.csv', label: 'y', standardize: true }, validationFraction: 0.2, sampleFraction: 0.25 });
    expect(parseSpec({ ...minimal, optimizer: { name: 'adam' } }).optimizer).toEqual({ name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(parseSpec({ ...minimal, optimizer: { name: 'momentum' } }).optimizer).toEqual({ name: 'momentum', momentum: 0.9, nesterov: false });
    expect(parseSpec({ ...minimal, optimizer: { name: 'rmsprop' } }).optimizer).toEqual({ name: 'rmsprop', rho: 0.9, momentum: 0, epsilon: 1e-7 });
    expect(parseSpec({ ...minimal, model: { topology: 'model.json' } }).model).toEqual({ topology: 'model.json' });
  });

  it('accepts the full example spec as written', () => {
    const full = {
      name: 'mnist-mlp-sgd',
      seed: 42,
      model: { builtin: 'mlp', hidden: [128] },
      dataset: { builtin: 'mnist', validationFraction: 0.2, sampleFraction: 0.25 },
      optimizer: { name: 'sgd' },
      batchSize: 64,
      grid: { min: 1.0e-4, max: 10, points: 16 },
      search: { strategy: 'asha', minSteps: 25, maxSteps: 375, reductionFactor: 3, reportEvery: 5 },
      pruning: { divergenceFactor: 4, stagnation: { windowSteps: 50, minRelImprovement: 0.01 } },
      final: { epochs: 3, schedule: 'one-cycle' },
      rangeTest: { min: 1.0e-7, max: 10, steps: 100, seeds: 4 },
    };
    const spec = parseSpec(full);
    expect(spec).toEqual({ ...full, model: { ...full.model, activation: 'relu' }, rangeTest: { ...full.rangeTest, beta: 0.9 }, final: { ...full.final, divergenceGuard: { enabled: true, factor: 0.5, maxRetries: 4, checkpointEvery: 50 }, candidates: 'auto', startEarly: true } });
  });

  it('does not modify the input object', () => {
    const input = structuredClone(minimal);
    parseSpec(input);
    expect(input).toEqual(minimal);
  });

  it('exposes the section schemas on their own', () => {
    expect(GridSpec.safeParse({ min: 1, max: 2, points: 2 }).success).toBe(true);
    expect(GridSpec.safeParse({ min: 2, max: 1, points: 2 }).success).toBe(false);
    expect(RangeTestSpec.parse({})).toEqual({ min: 1e-7, max: 10, steps: 100, seeds: 4, beta: 0.9 });
    expect(SweepSpec.safeParse(minimal).success).toBe(true);
  });
});

describe('parseSpec: errors name the field and a fix', () => {
  it('grid.min below zero', () => {
    const issue = issueAt({ ...minimal, grid: { min: -1e-3, max: 10, points: 8 } }, 'grid.min');
    expect(issue.message).toMatch(/greater than 0/);
    expect(issue.fix).toBe('set grid.min to more than 0');
  });

  it('grid.min of zero', () => {
    expect(issueAt({ ...minimal, grid: { min: 0, max: 10, points: 8 } }, 'grid.min').message).toMatch(/greater than 0/);
  });

  it.each([
    ['equal', 1e-2],
    ['above', 1],
  ])('grid.min %s grid.max', (_what, min) => {
    const issue = issueAt({ ...minimal, grid: { min, max: 1e-2, points: 8 } }, 'grid.min');
    expect(issue.message).toMatch(/less than max/);
  });

  it('rangeTest.min not below rangeTest.max', () => {
    expect(issueAt({ ...minimal, rangeTest: { min: 10, max: 1 } }, 'rangeTest.min').message).toMatch(/less than max/);
  });

  it.each([
    ['grid.max', { grid: { min: 1e-4, max: Infinity, points: 8 } }],
    ['grid.min', { grid: { min: NaN, max: 1, points: 8 } }],
    ['rangeTest.max', { rangeTest: { max: Infinity } }],
  ])('a non-finite rate at %s', (path, patch) => {
    const issue = issueAt({ ...minimal, ...patch }, path);
    // Present but not a usable number: not reported as missing.
    expect(issue.message).not.toMatch(/required/);
    expect(issue.message).toMatch(/number/);
    expect(issue.fix).toBe(`set ${path} to a number`);
  });

  it('a negative range-test rate', () => {
    expect(issueAt({ ...minimal, rangeTest: { min: -1e-7 } }, 'rangeTest.min').fix).toBe('set rangeTest.min to more than 0');
  });

  it('a rate above 1e6', () => {
    const issue = issueAt({ ...minimal, grid: { min: 1e-4, max: 1e7, points: 8 } }, 'grid.max');
    expect(issue.fix).toBe('set grid.max to at most 1000000');
  });

  it('a text where a number belongs is a wrong type, not a missing field', () => {
    const issue = issueAt({ ...minimal, batchSize: '64' }, 'batchSize');
    expect(issue.message).not.toMatch(/required/);
    expect(issue.fix).toBe('set batchSize to a number');
  });

  it('model.hidden[0] of zero width', () => {
    const issue = issueAt({ ...minimal, model: { builtin: 'mlp', hidden: [0, 64] } }, 'model.hidden[0]');
    expect(issue.message).toMatch(/at least 1/);
    expect(issue.fix).toBe('set model.hidden[0] to at least 1');
  });

  it('model.hidden[1] not an integer', () => {
    expect(issueAt({ ...minimal, model: { builtin: 'mlp', hidden: [64, 1.5] } }, 'model.hidden[1]').message).toMatch(/integer/);
  });

  it('model.hidden wider than the limit', () => {
    expect(issueAt({ ...minimal, model: { builtin: 'mlp', hidden: [5000] } }, 'model.hidden[0]').fix).toBe('set model.hidden[0] to at most 4096');
  });

  it('model.hidden not a list', () => {
    const issue = issueAt({ ...minimal, model: { builtin: 'mlp', hidden: 128 } }, 'model.hidden');
    expect(issue.message).toMatch(/list of layer widths/);
    expect(issue.fix).toBe('set model.hidden to an array');
  });

  it('an unknown model form', () => {
    const issue = issueAt({ ...minimal, model: { builtin: 'transformer' } }, 'model');
    expect(issue.message).toMatch(/mlp \| cnn/);
  });

  it('optimizer.name not among the known optimizers', () => {
    const issue = issueAt({ ...minimal, optimizer: { name: 'adamw' } }, 'optimizer.name');
    expect(issue.message).toMatch(/sgd, momentum, adam, rmsprop/);
  });

  it('an optimizer setting out of range', () => {
    expect(issueAt({ ...minimal, optimizer: { name: 'momentum', momentum: 1 } }, 'optimizer.momentum').fix).toBe('set optimizer.momentum to less than 1');
  });

  it('dataset.validationFraction above 0.9', () => {
    const issue = issueAt({ ...minimal, dataset: { builtin: 'mnist', validationFraction: 0.95 } }, 'dataset.validationFraction');
    expect(issue.message).toMatch(/at most 0.9/);
    expect(issue.fix).toBe('set dataset.validationFraction to at most 0.9');
  });

  it('dataset.sampleFraction of zero', () => {
    expect(issueAt({ ...minimal, dataset: { builtin: 'mnist', sampleFraction: 0 } }, 'dataset.sampleFraction').fix).toBe(
      'set dataset.sampleFraction to more than 0',
    );
  });

  it('a missing csv label', () => {
    const issue = issueAt({ ...minimal, dataset: { csv: { path: 'd.csv' } } }, 'dataset.csv.label');
    expect(issue.message).toBe('is required');
    expect(issue.fix).toBe('add dataset.csv.label (a string)');
  });

  it('rangeTest.steps below 6', () => {
    const issue = issueAt({ ...minimal, rangeTest: { steps: 3 } }, 'rangeTest.steps');
    expect(issue.message).toMatch(/at least 6/);
    expect(issue.fix).toBe('set rangeTest.steps to at least 6');
  });

  it('search.minSteps above search.maxSteps', () => {
    expect(issueAt({ ...minimal, search: { minSteps: 500, maxSteps: 100 } }, 'search.minSteps').message).toMatch(/must not exceed maxSteps/);
  });

  it('final.schedule not a known schedule', () => {
    const issue = issueAt({ ...minimal, final: { schedule: 'linear' } }, 'final.schedule');
    expect(issue.message).toBe('must be one of constant, one-cycle, triangular, cosine, cosine-restarts');
    expect(issue.fix).toBe('set final.schedule to one of: constant, one-cycle, triangular, cosine, cosine-restarts');
  });

  it('a name with capitals and spaces', () => {
    expect(issueAt({ ...minimal, name: 'My Sweep' }, 'name').message).toMatch(/lowercase/);
  });

  it('a missing required field', () => {
    const issue = issueAt({ model: minimal.model, dataset: minimal.dataset }, 'name');
    expect(issue.message).toBe('is required');
    expect(issue.fix).toBe('add name (a string)');
  });

  it('cnn on the spirals dataset is rejected at model.builtin', () => {
    const issue = issueAt({ ...minimal, model: { builtin: 'cnn' }, dataset: { builtin: 'spirals' } }, 'model.builtin');
    expect(issue.message).toMatch(/cnn needs image data/);
    expect(issue.fix).toContain('model.builtin');
  });

  it('cnn on mnist is fine', () => {
    expect(parseSpec({ ...minimal, model: { builtin: 'cnn' } }).model).toMatchObject({ builtin: 'cnn' });
  });

  it('a spec that is not an object', () => {
    for (const input of ['hello', null, 42, []]) {
      const issues = issuesOf(input);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.path).toBe('');
      expect(issues[0]!.fix).toMatch(/the spec/);
    }
  });
});

describe('parseSpec: unknown keys', () => {
  it("suggests 'batchSize' for 'batchsize'", () => {
    const issue = issueAt({ ...minimal, batchsize: 32 }, '');
    expect(issue.message).toBe("unknown key 'batchsize'");
    expect(issue.fix).toBe("rename 'batchsize' to 'batchSize'");
  });

  it("suggests 'points' for 'grid.pionts'", () => {
    const issues = issuesOf({ ...minimal, grid: { min: 1e-4, max: 1, pionts: 8 } });
    const unknown = issues.find((i) => i.path === 'grid');
    expect(unknown?.message).toBe("unknown key 'pionts'");
    expect(unknown?.fix).toBe("rename 'pionts' to 'points'");
    // The real key is then missing, and says so.
    expect(issues.find((i) => i.path === 'grid.points')?.message).toBe('is required');
  });

  it('suggests within a union branch (model.hiden)', () => {
    const issue = issueAt({ ...minimal, model: { builtin: 'mlp', hiden: [64] } }, 'model');
    expect(issue.fix).toBe("rename 'hiden' to 'hidden'");
  });

  it('suggests in nested sections (pruning.stagnation, rangeTest)', () => {
    expect(issueAt({ ...minimal, pruning: { stagnation: { windowStep: 10 } } }, 'pruning.stagnation').fix).toBe("rename 'windowStep' to 'windowSteps'");
    expect(issueAt({ ...minimal, rangeTest: { seed: 3 } }, 'rangeTest').fix).toBe("rename 'seed' to 'seeds'");
  });

  it('lists the allowed keys when nothing is close', () => {
    const issue = issueAt({ ...minimal, grid: { min: 1e-4, max: 1, points: 8, xyzzyplugh: 1 } }, 'grid');
    expect(issue.fix).toBe("remove 'xyzzyplugh' (allowed: min, max, points)");
  });

  it('reports several unknown keys in one issue', () => {
    const issue = issueAt({ ...minimal, batchsize: 32, sed: 1 }, '');
    expect(issue.message).toBe("unknown keys 'batchsize', 'sed'");
    expect(issue.fix).toBe("rename 'batchsize' to 'batchSize'; rename 'sed' to 'seed'");
  });
});

describe('parseSpec: several problems at once', () => {
  it('lists every problem, each at its field', () => {
    const issues = issuesOf({
      ...minimal,
      batchSize: 0,
      grid: { min: 1, max: 0.1, points: 8 },
      rangeTest: { steps: 3 },
      dataset: { builtin: 'mnist', validationFraction: 2 },
      optimizer: { name: 'lion' },
      extra: true,
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['', 'batchSize', 'dataset.validationFraction', 'grid.min', 'optimizer.name', 'rangeTest.steps']);
    for (const issue of issues) {
      expect(issue.message).not.toBe('');
      expect(issue.fix).not.toBe('');
    }
  });

  it('still reports the cnn/spirals conflict next to other problems', () => {
    const issues = issuesOf({ ...minimal, model: { builtin: 'cnn' }, dataset: { builtin: 'spirals' }, batchSize: 0 });
    expect(issues.map((i) => i.path).sort()).toEqual(['batchSize', 'model.builtin']);
  });

  it('formats them all in the error message', () => {
    let message = '';
    try {
      parseSpec({ ...minimal, batchSize: 0, rangeTest: { steps: 3 } }, 'spec.yaml');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^invalid sweep spec spec\.yaml \(2 problems\)/);
    expect(message).toContain('batchSize: must be at least 1');
    expect(message).toContain('fix: set rangeTest.steps to at least 6');
  });
});
