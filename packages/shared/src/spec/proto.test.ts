import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProtoSpecError, SpecError } from '../errors.js';
import { loadLrsweepPackage } from '../grpc/loader.js';
import { loadSpecFile, parseSpec } from './load.js';
import { specFromProto, specToProto, topologyCacheDir, type SweepSpecMessage, type SweepSpecMessageOutput } from './proto.js';
import type { SweepSpec } from './schema.js';

const examplesDir = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml')).sort();

const { proto } = loadLrsweepPackage();
const submitSweep = proto.lrsweep.v1.SweepService.service.SubmitSweep;

/** Encodes the message as a SubmitSweepRequest and decodes it, as a server receives it. */
function overTheWire(spec: SweepSpecMessage): SweepSpecMessageOutput {
  const decoded = submitSweep.requestDeserialize(submitSweep.requestSerialize({ spec }));
  if (!decoded.spec) throw new Error('spec lost on the wire');
  return decoded.spec;
}

const minimal = (extra: Partial<SweepSpecMessage> = {}): SweepSpecMessage => ({
  name: 'proto-test',
  model: { mlp: { hidden: [32] } },
  dataset: { mnist: {} },
  ...extra,
});

function violationsOf(message: SweepSpecMessage, viaWire = true): { field: string; description: string }[] {
  try {
    specFromProto(viaWire ? overTheWire(message) : (message as SweepSpecMessageOutput));
  } catch (error) {
    expect(error).toBeInstanceOf(ProtoSpecError);
    return [...(error as ProtoSpecError).violations];
  }
  throw new Error('expected a ProtoSpecError');
}

const fields = (message: SweepSpecMessage, viaWire = true) => violationsOf(message, viaWire).map((v) => v.field);

describe('specToProto / specFromProto', () => {
  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples)('round-trips examples/%s through the wire format', (file) => {
    const spec = loadSpecFile(join(examplesDir, file));
    const message = specToProto(spec);
    const back = specFromProto(overTheWire(message));
    expect(back).toStrictEqual(spec);
  });

  it('round-trips every optimizer, strategy, schedule and dataset kind', () => {
    const base = loadSpecFile(join(examplesDir, 'spirals.yaml'));
    const variants: SweepSpec[] = [];
    for (const optimizer of [
      { name: 'sgd' },
      { name: 'momentum', momentum: 0.8, nesterov: true },
      { name: 'adam', beta1: 0.85, beta2: 0.99, epsilon: 1e-8 },
      { name: 'rmsprop', rho: 0.95, momentum: 0.5, epsilon: 1e-6 },
    ] as const) {
      variants.push(parseSpec({ ...base, optimizer }));
    }
    for (const strategy of ['asha', 'sh', 'grid', 'auto'] as const) variants.push(parseSpec({ ...base, search: { ...base.search, strategy } }));
    for (const schedule of ['constant', 'one-cycle', 'triangular', 'cosine'] as const) variants.push(parseSpec({ ...base, final: { epochs: 1, schedule } }));
    variants.push(parseSpec({ ...base, dataset: { csv: { path: '/data/iris.csv', label: 'species', standardize: false }, validationFraction: 0.3, sampleFraction: 1 } }));
    variants.push(parseSpec({ ...base, model: { builtin: 'mlp', hidden: [], activation: 'tanh' } }));
    variants.push(parseSpec({ ...base, rangeTest: { ...base.rangeTest, divergenceFactor: 6 }, seed: 0 }));
    variants.push(parseSpec({ ...base, dataset: { builtin: 'mnist' }, model: { builtin: 'cnn', filters: [4], kernelSize: 5, dense: [32, 16] } }));
    for (const spec of variants) expect(specFromProto(overTheWire(specToProto(spec)))).toStrictEqual(spec);
  });

  it('maps enums both ways', () => {
    const spec = loadSpecFile(join(examplesDir, 'mnist-mlp-sgd.yaml'));
    const message = specToProto(spec);
    expect(message.search?.strategy).toBe('SEARCH_STRATEGY_ASHA');
    expect(message.final?.schedule).toBe('SCHEDULE_KIND_ONE_CYCLE');
    const wire = overTheWire({ ...message, search: { strategy: 'SEARCH_STRATEGY_SH' }, final: { schedule: 'SCHEDULE_KIND_COSINE' } });
    expect(wire.search?.strategy).toBe('SEARCH_STRATEGY_SH');
    const back = specFromProto(wire);
    expect(back.search.strategy).toBe('sh');
    expect(back.final.schedule).toBe('cosine');
  });

  it('reads unset optional fields, unset messages and UNSPECIFIED enums as the defaults', () => {
    const wire = overTheWire(
      minimal({
        search: { strategy: 'SEARCH_STRATEGY_UNSPECIFIED', maxSteps: 500 },
        final: {},
        pruning: { stagnation: {} },
        rangeTest: { steps: 50 },
        optimizer: { adam: {} },
        dataset: { spirals: { classes: 4 }, sampleFraction: 0.5 },
      }),
    );
    expect(wire.seed).toBeUndefined();
    expect(wire.grid).toBeNull();
    const expected = parseSpec({
      name: 'proto-test',
      model: { builtin: 'mlp', hidden: [32] },
      dataset: { builtin: 'spirals', classes: 4, sampleFraction: 0.5 },
      optimizer: { name: 'adam' },
      search: { maxSteps: 500 },
      rangeTest: { steps: 50 },
    });
    expect(specFromProto(wire)).toStrictEqual(expected);
    expect(expected.seed).toBe(42);
    expect(expected.search.strategy).toBe('asha');
    expect(expected.final.schedule).toBe('one-cycle');
  });

  it('gives an empty repeated field its documented meaning', () => {
    // mlp.hidden [] is a linear model (as in YAML); cnn.filters [] (never valid) takes the default.
    expect(specFromProto(overTheWire(minimal({ model: { mlp: {} } }))).model).toStrictEqual({ builtin: 'mlp', hidden: [], activation: 'relu' });
    expect(specFromProto(overTheWire(minimal({ model: { cnn: {} } }))).model).toStrictEqual({ builtin: 'cnn', filters: [8, 16], kernelSize: 3, dense: [] });
  });

  it('accepts a hand-built message without the virtual oneof fields, and enums as numbers', () => {
    const message = {
      name: 'hand-built',
      model: { mlp: { hidden: [8], activation: '' } },
      dataset: { mnist: {} },
      search: { strategy: 3, minSteps: 10 },
    } as unknown as SweepSpecMessageOutput;
    const spec = specFromProto(message);
    expect(spec.model).toStrictEqual({ builtin: 'mlp', hidden: [8], activation: 'relu' });
    expect(spec.search.strategy).toBe('grid');
  });

  describe('topology models', () => {
    const topology = JSON.stringify({
      class_name: 'Sequential',
      config: { name: 'tiny', layers: [{ class_name: 'Dense', config: { units: 10, batch_input_shape: [null, 784] } }] },
    });
    const dir = mkdtempSync(join(tmpdir(), 'lrsweep-proto-test-'));
    writeFileSync(join(dir, 'model.json'), topology);
    writeFileSync(join(dir, 'spec.yaml'), 'name: topo\nmodel: { topology: model.json }\ndataset: { builtin: mnist }\n');

    it('sends the JSON content and writes it to a content-addressed file', () => {
      const spec = loadSpecFile(join(dir, 'spec.yaml'));
      const message = specToProto(spec);
      expect(message.model).toStrictEqual({ topologyJson: topology });
      const back = specFromProto(overTheWire(message));
      if (!('topology' in back.model)) throw new Error('expected a topology model');
      expect(dirname(back.model.topology)).toBe(topologyCacheDir());
      expect(readFileSync(back.model.topology, 'utf8')).toBe(topology);
      // Everything but the file's path survives the round trip.
      expect({ ...back, model: spec.model }).toStrictEqual(spec);
      // Identical topologies share one file; the file round-trips to the same content.
      const again = specFromProto(overTheWire(specToProto(back)));
      expect(again).toStrictEqual(back);
      const other = specFromProto(overTheWire(minimal({ model: { topologyJson: `${topology}\n` } })));
      expect('topology' in other.model && other.model.topology).not.toBe(back.model.topology);
    });

    it('rejects topology JSON that does not parse, once', () => {
      const violations = violationsOf(minimal({ model: { topologyJson: '{"class_name": ' } }));
      expect(violations.map((v) => v.field)).toStrictEqual(['spec.model.topology_json']);
      expect(violations[0]?.description).toMatch(/not valid JSON/);
    });

    it('rejects a model JSON without layers (found by the hostile-input fuzz)', () => {
      for (const json of ['{"class_name": "Sequential", "config": {"layers": "nope"}}', '{"class_name": "Sequential", "config": {"layers": []}}', '{"modelTopology": {"class_name": "Model", "config": {"layers": [42]}}}']) {
        const violations = violationsOf(minimal({ model: { topologyJson: json } }));
        expect(violations.map((v) => v.field)).toStrictEqual(['spec.model.topology_json']);
        expect(violations[0]?.description).toMatch(/has no layers/);
      }
    });

    it('names the file when specToProto cannot read it', () => {
      const spec = parseSpec({ name: 'x', model: { topology: join(dir, 'missing.json') }, dataset: { builtin: 'mnist' } });
      expect(() => specToProto(spec)).toThrow(SpecError);
      expect(() => specToProto(spec)).toThrow(/model\.topology: cannot read/);
    });
  });

  describe('errors name the proto field path', () => {
    it.each<[string, SweepSpecMessage, string]>([
      ['grid.min', minimal({ grid: { min: 1, max: 0.1, points: 8 } }), 'spec.grid.min'],
      ['grid.points (unset scalar in a set message is 0)', minimal({ grid: { min: 0.001, max: 1 } }), 'spec.grid.points'],
      ['batchSize', minimal({ batchSize: 0 }), 'spec.batch_size'],
      ['seed', minimal({ seed: -1 }), 'spec.seed'],
      ['name', minimal({ name: 'Not A Name' }), 'spec.name'],
      ['empty name', minimal({ name: '' }), 'spec.name'],
      ['model.hidden[0]', minimal({ model: { mlp: { hidden: [16, 0] } } }), 'spec.model.mlp.hidden[1]'],
      ['model.activation', minimal({ model: { mlp: { hidden: [16], activation: 'swish' } } }), 'spec.model.mlp.activation'],
      ['model.kernelSize', minimal({ model: { cnn: { filters: [8], kernelSize: 9 } } }), 'spec.model.cnn.kernel_size'],
      ['cnn on non-image data', minimal({ model: { cnn: { filters: [8] } }, dataset: { spirals: {} } }), 'spec.model.cnn'],
      ['dataset.validationFraction', minimal({ dataset: { mnist: {}, validationFraction: 0.95 } }), 'spec.dataset.validation_fraction'],
      ['dataset.sampleFraction', minimal({ dataset: { spirals: {}, sampleFraction: 0 } }), 'spec.dataset.sample_fraction'],
      ['dataset.pointsPerClass', minimal({ dataset: { spirals: { pointsPerClass: 1 } } }), 'spec.dataset.spirals.points_per_class'],
      ['dataset.csv.path', minimal({ dataset: { csv: { label: 'y' } } }), 'spec.dataset.csv.path'],
      ['optimizer.beta1', minimal({ optimizer: { adam: { beta1: 1.5 } } }), 'spec.optimizer.adam.beta1'],
      ['optimizer.momentum', minimal({ optimizer: { momentum: { momentum: -0.1 } } }), 'spec.optimizer.momentum.momentum'],
      ['optimizer.rho', minimal({ optimizer: { rmsprop: { rho: 1 } } }), 'spec.optimizer.rmsprop.rho'],
      ['search.minSteps', minimal({ search: { minSteps: 100, maxSteps: 10 } }), 'spec.search.min_steps'],
      ['search.reductionFactor', minimal({ search: { reductionFactor: 1 } }), 'spec.search.reduction_factor'],
      ['search.strategy (unknown number)', minimal({ search: { strategy: 9 as never } }), 'spec.search.strategy'],
      ['pruning.divergenceFactor', minimal({ pruning: { divergenceFactor: 1 } }), 'spec.pruning.divergence_factor'],
      ['pruning.stagnation.windowSteps', minimal({ pruning: { stagnation: { windowSteps: 0 } } }), 'spec.pruning.stagnation.window_steps'],
      ['pruning.stagnation.minRelImprovement', minimal({ pruning: { stagnation: { minRelImprovement: 2 } } }), 'spec.pruning.stagnation.min_rel_improvement'],
      ['final.epochs', minimal({ final: { epochs: 0 } }), 'spec.final.epochs'],
      ['final.schedule (unknown number)', minimal({ final: { schedule: 7 as never } }), 'spec.final.schedule'],
      ['rangeTest.steps', minimal({ rangeTest: { steps: 2 } }), 'spec.range_test.steps'],
      ['rangeTest.min', minimal({ rangeTest: { min: 1, max: 0.5 } }), 'spec.range_test.min'],
      ['rangeTest.divergenceFactor', minimal({ rangeTest: { divergenceFactor: 0.5 } }), 'spec.range_test.divergence_factor'],
      ['no model', { name: 'x', dataset: { mnist: {} } }, 'spec.model'],
      ['model with no kind', { name: 'x', model: {}, dataset: { mnist: {} } }, 'spec.model'],
      ['no dataset', { name: 'x', model: { mlp: {} } }, 'spec.dataset'],
      ['dataset with no source', { name: 'x', model: { mlp: {} }, dataset: { validationFraction: 0.1 } }, 'spec.dataset'],
    ])('%s', (_, message, field) => {
      expect(fields(message)).toStrictEqual([field]);
    });

    it('rejects an unknown enum name given directly', () => {
      const message = { ...overTheWire(minimal()), search: { strategy: 'SEARCH_STRATEGY_RANDOM' } } as unknown as SweepSpecMessageOutput;
      const violations = violationsOf(message, false);
      expect(violations.map((v) => v.field)).toStrictEqual(['spec.search.strategy']);
      expect(violations[0]?.description).toContain('SEARCH_STRATEGY_ASHA');
    });

    it('lists every problem at once, with fixes that name proto paths, and keeps the SpecError as cause', () => {
      let caught: unknown;
      try {
        specFromProto(overTheWire({ name: 'x', model: { mlp: { hidden: [0] } }, batchSize: 100_000, grid: { min: 1, max: 0.5, points: 4 } }));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ProtoSpecError);
      const error = caught as ProtoSpecError;
      expect(error.violations.map((v) => v.field).sort()).toStrictEqual(['spec.batch_size', 'spec.dataset', 'spec.grid.min', 'spec.model.mlp.hidden[0]']);
      const batch = error.violations.find((v) => v.field === 'spec.batch_size');
      expect(batch?.description).toBe('must be at most 4096 (fix: set spec.batch_size to at most 4096)');
      expect(error.message).toContain('spec.grid.min: min must be less than max');
      expect(error.cause).toBeInstanceOf(SpecError);
    });
  });
});
