/**
 * Seeded generators of hostile input for the coordinator: malformed `lrsweep.v1.SweepSpec`
 * messages for SubmitSweep, and garbage for the NATS subjects it listens to. Everything comes from
 * one seeded PRNG, so a failure is reproduced by its seed and index.
 *
 * The spec mutations only ever make a spec invalid, so any combination of them is invalid too. They
 * are chosen by what reaches the server: the sending client (protobufjs `fromObject`) stores an
 * int32 field as `value | 0` (NaN and ±Infinity become 0, 1e12 wraps to -727379968, 2.5 becomes 2)
 * and drops an enum name it does not know (the field is then UNSPECIFIED, the default). So a
 * hostile integer is kept only when its wire value is out of range, and hostile enums are numbers
 * outside the enum (an unknown *name* cannot be put on the wire at all).
 */
import { parseSpec, SeededRandom, specToProto, type SweepSpecInput, type SweepSpecMessage } from '@lrsweep/shared';

export class Rng {
  private readonly random: SeededRandom;
  constructor(readonly seed: number) {
    this.random = new SeededRandom(seed);
  }
  next(): number {
    return this.random.next();
  }
  int(n: number): number {
    return Math.floor(this.random.next() * n);
  }
  chance(p: number): boolean {
    return this.random.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  /** Any UTF-16 code units, lone surrogates and control characters included. */
  text(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.chance(0.5) ? this.int(0x80) : this.int(0x10000));
    return s;
  }
}

// ── valid base specs, one per branch of each oneof ───────────────────────────────────────────

const BASES: SweepSpecInput[] = [
  {
    name: 'fuzz-base-a',
    model: { builtin: 'mlp', hidden: [16] },
    dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 100 },
    optimizer: { name: 'sgd' },
    grid: { min: 1e-3, max: 1, points: 3 },
    search: { strategy: 'grid', minSteps: 10, maxSteps: 20, reductionFactor: 3, reportEvery: 5 },
  },
  {
    name: 'fuzz-base-b',
    model: { builtin: 'cnn', filters: [4, 8], kernelSize: 3, dense: [16] },
    dataset: { builtin: 'mnist', validationFraction: 0.2, sampleFraction: 0.1 },
    optimizer: { name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    search: { strategy: 'asha', minSteps: 5, maxSteps: 45, reductionFactor: 3, reportEvery: 5 },
  },
  {
    name: 'fuzz-base-c',
    model: { builtin: 'mlp', hidden: [8, 8], activation: 'tanh' },
    dataset: { builtin: 'spirals', classes: 4, pointsPerClass: 50, noise: 0.1 },
    optimizer: { name: 'momentum', momentum: 0.8, nesterov: true },
    search: { strategy: 'sh', minSteps: 5, maxSteps: 45, reductionFactor: 3, reportEvery: 5 },
    pruning: { divergenceFactor: 5, stagnation: { windowSteps: 20, minRelImprovement: 0.02 } },
    rangeTest: { min: 1e-6, max: 5, steps: 50, seeds: 2, beta: 0.9, divergenceFactor: 6 },
  },
  {
    name: 'fuzz-base-d',
    model: { builtin: 'mlp', hidden: [32] },
    dataset: { builtin: 'mnist' },
    optimizer: { name: 'rmsprop', rho: 0.9, momentum: 0.1, epsilon: 1e-7 },
    search: { strategy: 'auto', minSteps: 5, maxSteps: 45, reductionFactor: 3, reportEvery: 5 },
    final: { epochs: 1, schedule: 'cosine' },
  },
  {
    name: 'fuzz-base-e',
    model: { builtin: 'mlp', hidden: [4] },
    dataset: { csv: { path: '/tmp/fuzz-does-not-matter.csv', label: 'y', standardize: true }, validationFraction: 0.3 },
  },
];

export const baseSpecMessages: SweepSpecMessage[] = BASES.map((b) => specToProto(parseSpec(b)));

// ── hostile values ───────────────────────────────────────────────────────────────────────────

/** What protobufjs's fromObject does to an int32 (or a repeated int32's element). */
export const int32OnWire = (v: number): number => v | 0;

const ABSURD_INTS = [1e6, 1e7, 1e9, 1e12, 1e15, -1e12, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e300];
const EDGE_INTS = [NaN, Infinity, -Infinity, 0, -0, -1, -2, 0.5, -0.5, 2 ** 31 - 1, -(2 ** 31), 123_456_789];

/** An integer whose wire value is outside [min, max]; with its wire value for the record. */
function hostileInt(r: Rng, min: number, max: number): { value: number; wire: number } {
  const pool = [...EDGE_INTS, ...ABSURD_INTS, min - 1, max + 1, max * 2, max * 1000, min - 1000, -max, r.int(2 ** 31) + max + 1, -r.int(2 ** 31) - 1];
  const ok = pool.filter((v) => {
    const w = int32OnWire(v);
    return w < min || w > max;
  });
  const value = r.pick(ok);
  return { value, wire: int32OnWire(value) };
}

const ABSURD_DOUBLES = [NaN, Infinity, -Infinity, -0, 0, -1, -1e-300, 5e-324, -5e-324, 1e300, Number.MAX_VALUE, -Number.MAX_VALUE, 1e7, 1e15, -1e15];
const EDGE_DOUBLES = [1, 1.0000000001, 0.9999999999, 0.9, 0.90000001, 5, 5.0000001, 1000, 1000.0001, 1e6, 1e6 * (1 + 1e-12), 2, Number.EPSILON, 0.5, 4096.5];

/** A double that `accepts` (the schema's rule for the field) refuses. */
function hostileDouble(r: Rng, accepts: (x: number) => boolean): number {
  return r.pick([...ABSURD_DOUBLES, ...EDGE_DOUBLES, r.next() * 2e6 - 1e6, -r.next()].filter((x) => !accepts(x)));
}

const finite = (x: number) => Number.isFinite(x);
const RULES = {
  rate: (x: number) => x > 0 && x <= 1e6 && finite(x),
  validationFraction: (x: number) => x > 0 && x <= 0.9,
  sampleFraction: (x: number) => x > 0 && x <= 1,
  noise: (x: number) => x >= 0 && x <= 5,
  unitInterval: (x: number) => x >= 0 && x < 1,
  epsilon: (x: number) => x > 0 && x <= 1,
  divergenceFactor: (x: number) => x > 1 && x <= 1000,
  minRelImprovement: (x: number) => x >= 0 && x <= 1,
};

const HUGE = 1 << 20;
/** Names that break `^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$`; '' counts as unset (name is required). */
function garbageName(r: Rng): string {
  return r.pick([
    () => '',
    () => 'a'.repeat(65),
    () => 'a'.repeat(10_240),
    () => (r.chance(0.2) ? 'b'.repeat(HUGE) : 'c'.repeat(20_000)),
    () => 'UPPER',
    () => '-leading-dash',
    () => 'trailing.',
    () => 'has space',
    () => 'naïve-模型',
    () => '💥💥',
    () => 'nul\u0000byte',
    () => 'bell\u0007\u001b[31mred',
    () => 'line\nspec.grid.min: injected',
    () => '\u202eevil',
    () => 'lone\ud800surrogate',
    () => '../../etc/passwd',
    () => 'a'.repeat(30) + '\u0301',
    () => r.text(1 + r.int(200)),
    () => r.text(10_240),
  ])();
}

function garbageActivation(r: Rng): string {
  return r.pick(['RELU', 'softmax', 'relu ', ' relu', 'linear', 'Tanh', '\u0000', 'rel\u00fc', 'x'.repeat(10_240), r.text(1 + r.int(50)), '__proto__', 'constructor']).replace(/^(relu|tanh|elu|sigmoid)$/, 'nope');
}

/** Text that JSON.parse refuses. */
function notJson(r: Rng): string {
  return r.pick([
    () => '',
    () => '{',
    () => '{"class_name": "Sequential", "config": {"layers": [',
    () => 'not json at all',
    () => "{'single': 'quotes'}",
    () => '{"a": NaN}',
    () => '[1, 2,]',
    () => '\u0000',
    () => '['.repeat(100_000),
    () => '{"a":'.repeat(50_000),
    () => 'x'.repeat(HUGE),
    () => `"${'y'.repeat(HUGE)}`,
    () => r.text(1 + r.int(2000)).replace(/^[\s[{"0-9tfn-]/, '#'),
  ])();
}

/** Valid JSON that is no tfjs-layers model. */
function jsonButNoModel(r: Rng): string {
  return r.pick([
    () => 'null',
    () => '42',
    () => '"a string"',
    () => '[]',
    () => '{}',
    () => 'true',
    () => '{"modelTopology": 5}',
    () => '{"class_name": "Sequential", "config": {"layers": "nope"}}',
    () => '['.repeat(100_000) + ']'.repeat(100_000),
    () => `"${'z'.repeat(HUGE)}"`,
    () => JSON.stringify({ junk: r.text(100) }),
  ])();
}

// ── mutations ───────────────────────────────────────────────────────────────────────────────

type Msg = SweepSpecMessage & Record<string, unknown>;
type Obj = Record<string, unknown>;

export interface Mutation {
  kind: string;
  /** Makes `m` invalid and says how, or returns undefined when it does not apply. */
  apply(m: Msg, r: Rng): string | undefined;
}

const sub = (m: Obj, key: string): Obj => {
  const current = m[key];
  if (current && typeof current === 'object') return current as Obj;
  const created: Obj = {};
  m[key] = created;
  return created;
};

function mlpOf(m: Msg): Obj {
  const model = sub(m, 'model');
  if (!model.mlp || typeof model.mlp !== 'object') {
    for (const k of Object.keys(model)) delete model[k];
    model.mlp = { hidden: [16], activation: 'relu' };
  }
  return model.mlp as Obj;
}

function cnnOf(m: Msg): Obj {
  const model = sub(m, 'model');
  if (!model.cnn || typeof model.cnn !== 'object') {
    for (const k of Object.keys(model)) delete model[k];
    model.cnn = { filters: [4], kernelSize: 3, dense: [] };
    // cnn needs mnist: keep the mutation about the field, not about the data.
    m.dataset = { mnist: {}, validationFraction: 0.2, sampleFraction: 0.1 };
  }
  return model.cnn as Obj;
}

function spiralsOf(m: Msg): Obj {
  const dataset = sub(m, 'dataset');
  if (!dataset.spirals || typeof dataset.spirals !== 'object') {
    delete dataset.mnist;
    delete dataset.csv;
    dataset.spirals = { classes: 3, pointsPerClass: 100, noise: 0.2 };
  }
  return dataset.spirals as Obj;
}

function optimizerOf(m: Msg, kind: 'momentum' | 'adam' | 'rmsprop'): Obj {
  const optimizer = sub(m, 'optimizer');
  if (!optimizer[kind] || typeof optimizer[kind] !== 'object') {
    for (const k of Object.keys(optimizer)) delete optimizer[k];
    optimizer[kind] = {};
  }
  return optimizer[kind] as Obj;
}

const intField = (kind: string, get: (m: Msg) => Obj, key: string, min: number, max: number): Mutation => ({
  kind,
  apply(m, r) {
    const { value, wire } = hostileInt(r, min, max);
    get(m)[key] = value;
    return `${kind} = ${value} (wire ${wire})`;
  },
});

const doubleField = (kind: string, get: (m: Msg) => Obj, key: string, accepts: (x: number) => boolean): Mutation => ({
  kind,
  apply(m, r) {
    const value = hostileDouble(r, accepts);
    get(m)[key] = value;
    return `${kind} = ${value}`;
  },
});

const BAD_ENUMS = [5, 6, 7, 99, 1000, 1e9, -1, -5, 2 ** 31 - 1, -(2 ** 31)];

export const MUTATIONS: Mutation[] = [
  { kind: 'name', apply: (m, r) => ((m.name = garbageName(r)), `name = ${JSON.stringify(m.name.slice(0, 40))} (${m.name.length} chars)`) },
  intField('seed', (m) => m, 'seed', 0, 2 ** 31 - 1),
  intField('batch_size', (m) => m, 'batchSize', 1, 4096),
  {
    kind: 'model.missing',
    apply: (m, r) => {
      const how = r.pick(['delete', 'null', 'empty'] as const);
      if (how === 'delete') delete m.model;
      else m.model = how === 'null' ? null : {};
      return `model ${how}`;
    },
  },
  {
    kind: 'dataset.missing',
    apply: (m, r) => {
      const how = r.pick(['delete', 'null', 'empty', 'split-only'] as const);
      if (how === 'delete') delete m.dataset;
      else m.dataset = how === 'null' ? null : how === 'empty' ? {} : { validationFraction: 0.2, sampleFraction: 0.5 };
      return `dataset ${how}`;
    },
  },
  {
    kind: 'mlp.hidden',
    apply: (m, r) => {
      const mlp = mlpOf(m);
      const hidden = [...((mlp.hidden as number[] | undefined) ?? [16])];
      const how = r.int(4);
      if (how === 0) {
        const { value, wire } = hostileInt(r, 1, 4096);
        hidden[r.int(hidden.length + 1)] = value;
        mlp.hidden = hidden.map((h) => h ?? 8);
        return `mlp.hidden[] = ${value} (wire ${wire})`;
      }
      if (how === 1) return (mlp.hidden = [1e7, 1e7]), 'mlp.hidden = [1e7, 1e7]';
      if (how === 2) {
        const n = 9 + r.int(40);
        mlp.hidden = Array.from({ length: n }, () => 1 + r.int(64));
        return `mlp.hidden: ${n} layers`;
      }
      const n = r.chance(0.5) ? 100_000 : 10_000;
      mlp.hidden = Array.from({ length: n }, () => (r.chance(0.5) ? 0 : 1 + r.int(4096)));
      return `mlp.hidden: ${n} layers, some of width 0`;
    },
  },
  { kind: 'mlp.activation', apply: (m, r) => ((mlpOf(m).activation = garbageActivation(r)), 'mlp.activation garbage') },
  {
    kind: 'cnn.filters',
    apply: (m, r) => {
      const cnn = cnnOf(m);
      if (r.chance(0.3)) {
        const n = 5 + r.int(100);
        cnn.filters = Array.from({ length: n }, () => 1 + r.int(256));
        return `cnn.filters: ${n} layers`;
      }
      const { value, wire } = hostileInt(r, 1, 256);
      cnn.filters = [4, value];
      return `cnn.filters[1] = ${value} (wire ${wire})`;
    },
  },
  intField('cnn.kernel_size', cnnOf, 'kernelSize', 1, 7),
  {
    kind: 'cnn.dense',
    apply: (m, r) => {
      const cnn = cnnOf(m);
      if (r.chance(0.3)) return (cnn.dense = [8, 8, 8, 8, 8]), 'cnn.dense: 5 layers';
      const { value, wire } = hostileInt(r, 1, 4096);
      cnn.dense = [value];
      return `cnn.dense[0] = ${value} (wire ${wire})`;
    },
  },
  {
    kind: 'cnn.on-spirals',
    apply: (m) => {
      m.model = { cnn: { filters: [4], kernelSize: 3, dense: [] } };
      m.dataset = { spirals: { classes: 3, pointsPerClass: 100, noise: 0.2 } };
      return 'cnn on spirals';
    },
  },
  { kind: 'topology.not-json', apply: (m, r) => ((m.model = { topologyJson: notJson(r) }), `topology_json not JSON (${(m.model.topologyJson ?? '').length} chars)`) },
  intField('spirals.classes', spiralsOf, 'classes', 2, 16),
  intField('spirals.points_per_class', spiralsOf, 'pointsPerClass', 10, 100_000),
  doubleField('spirals.noise', spiralsOf, 'noise', RULES.noise),
  doubleField('dataset.validation_fraction', (m) => sub(m, 'dataset'), 'validationFraction', RULES.validationFraction),
  doubleField('dataset.sample_fraction', (m) => sub(m, 'dataset'), 'sampleFraction', RULES.sampleFraction),
  {
    kind: 'csv.empty',
    apply: (m, r) => {
      const which = r.pick(['path', 'label'] as const);
      m.dataset = { csv: { path: '/tmp/x.csv', label: 'y', [which]: '' } };
      return `csv.${which} empty`;
    },
  },
  doubleField('momentum.momentum', (m) => optimizerOf(m, 'momentum'), 'momentum', RULES.unitInterval),
  doubleField('adam.beta1', (m) => optimizerOf(m, 'adam'), 'beta1', RULES.unitInterval),
  doubleField('adam.beta2', (m) => optimizerOf(m, 'adam'), 'beta2', RULES.unitInterval),
  doubleField('adam.epsilon', (m) => optimizerOf(m, 'adam'), 'epsilon', RULES.epsilon),
  doubleField('rmsprop.rho', (m) => optimizerOf(m, 'rmsprop'), 'rho', RULES.unitInterval),
  doubleField('rmsprop.momentum', (m) => optimizerOf(m, 'rmsprop'), 'momentum', RULES.unitInterval),
  doubleField('rmsprop.epsilon', (m) => optimizerOf(m, 'rmsprop'), 'epsilon', RULES.epsilon),
  doubleField('grid.min', (m) => sub(m, 'grid'), 'min', RULES.rate),
  doubleField('grid.max', (m) => sub(m, 'grid'), 'max', RULES.rate),
  intField('grid.points', (m) => sub(m, 'grid'), 'points', 2, 256),
  {
    kind: 'grid.min>=max',
    apply: (m, r) => {
      const g = sub(m, 'grid');
      const min = r.pick([1e-4, 0.01, 1, 10, 1e6]);
      g.min = min;
      g.max = r.chance(0.3) ? min : min * r.pick([0.5, 1e-3, 1 - 1e-12]);
      g.points = 2 + r.int(10);
      return `grid.min ${String(g.min)} >= grid.max ${String(g.max)}`;
    },
  },
  { kind: 'grid.empty', apply: (m) => ((m.grid = {}), 'grid = {} (all zero)') },
  {
    kind: 'search.strategy',
    apply: (m, r) => ((sub(m, 'search').strategy = r.pick(BAD_ENUMS) as unknown as 'SEARCH_STRATEGY_ASHA'), `search.strategy = ${String(sub(m, 'search').strategy)}`),
  },
  intField('search.min_steps', (m) => sub(m, 'search'), 'minSteps', 1, 1_000_000),
  intField('search.max_steps', (m) => sub(m, 'search'), 'maxSteps', 1, 10_000_000),
  intField('search.reduction_factor', (m) => sub(m, 'search'), 'reductionFactor', 2, 16),
  intField('search.report_every', (m) => sub(m, 'search'), 'reportEvery', 1, 10_000),
  {
    kind: 'search.min>max',
    apply: (m, r) => {
      const s = sub(m, 'search');
      s.maxSteps = 1 + r.int(1000);
      s.minSteps = (s.maxSteps as number) + 1 + r.int(1000);
      return `search.min_steps ${String(s.minSteps)} > max_steps ${String(s.maxSteps)}`;
    },
  },
  doubleField('pruning.divergence_factor', (m) => sub(m, 'pruning'), 'divergenceFactor', RULES.divergenceFactor),
  intField('stagnation.window_steps', (m) => sub(sub(m, 'pruning'), 'stagnation'), 'windowSteps', 1, 1_000_000),
  doubleField('stagnation.min_rel_improvement', (m) => sub(sub(m, 'pruning'), 'stagnation'), 'minRelImprovement', RULES.minRelImprovement),
  intField('final.epochs', (m) => sub(m, 'final'), 'epochs', 1, 1000),
  // 0 is valid (auto); 1-8 a count.
  intField('final.candidates', (m) => sub(m, 'final'), 'candidates', 0, 8),
  {
    kind: 'final.schedule',
    // 5 is SCHEDULE_KIND_COSINE_RESTARTS, a valid schedule.
    apply: (m, r) => ((sub(m, 'final').schedule = r.pick(BAD_ENUMS.filter((v) => v !== 5)) as unknown as 'SCHEDULE_KIND_CONSTANT'), `final.schedule = ${String(sub(m, 'final').schedule)}`),
  },
  doubleField('range_test.min', (m) => sub(m, 'rangeTest'), 'min', RULES.rate),
  doubleField('range_test.max', (m) => sub(m, 'rangeTest'), 'max', RULES.rate),
  {
    kind: 'range_test.min>=max',
    apply: (m, r) => {
      const t = sub(m, 'rangeTest');
      t.min = r.pick([1e-3, 1, 100]);
      t.max = (t.min as number) * r.pick([1, 0.1]);
      return `range_test.min ${String(t.min)} >= max ${String(t.max)}`;
    },
  },
  intField('range_test.steps', (m) => sub(m, 'rangeTest'), 'steps', 6, 100_000),
  intField('range_test.seeds', (m) => sub(m, 'rangeTest'), 'seeds', 1, 64),
  doubleField('range_test.beta', (m) => sub(m, 'rangeTest'), 'beta', RULES.unitInterval),
  doubleField('range_test.divergence_factor', (m) => sub(m, 'rangeTest'), 'divergenceFactor', RULES.divergenceFactor),
  {
    kind: 'absurd-sizes',
    apply: (m, r) => {
      const picks = [
        () => ((m.batchSize = 1e9), 'batch_size 1e9'),
        () => ((mlpOf(m).hidden = [1e7]), 'hidden [1e7]'),
        () => ((sub(m, 'grid').points = 1e6), 'grid.points 1e6'),
        () => ((sub(m, 'search').maxSteps = 1e12), 'search.max_steps 1e12'),
        () => ((sub(m, 'search').minSteps = 1e12), 'search.min_steps 1e12'),
        () => ((sub(m, 'rangeTest').steps = 1e12), 'range_test.steps 1e12'),
        () => ((sub(m, 'final').epochs = 1e9), 'final.epochs 1e9'),
        () => ((spiralsOf(m).pointsPerClass = 1e9), 'points_per_class 1e9'),
      ];
      return [0, 1, 2].map(() => r.pick(picks)()).join(', ');
    },
  },
];

/**
 * Semantic mutations: each field is in range, but the spec still asks for something no worker can do.
 * Kept apart, so a finding about them does not hide among the rest.
 */
export const SEMANTIC_MUTATIONS: Mutation[] = [
  { kind: 'topology.json-not-a-model', apply: (m, r) => ((m.model = { topologyJson: jsonButNoModel(r) }), `topology_json valid JSON, no model (${(m.model.topologyJson ?? '').length} chars)`) },
  {
    kind: 'mlp.over-parameter-limit',
    apply: (m) => {
      m.model = { mlp: { hidden: [4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096], activation: 'relu' } };
      m.dataset = { mnist: {} };
      return 'mlp 8×4096 on mnist (~121M parameters, MAX_PARAMETERS is 20M)';
    },
  },
];

export interface HostileSpec {
  index: number;
  /** SubmitSweepRequest: `spec` may be missing. */
  request: { spec?: SweepSpecMessage | null };
  kinds: string[];
  notes: string[];
  semantic: boolean;
}

/** The i-th hostile SubmitSweepRequest of a seeded sequence. */
export function hostileSpec(r: Rng, index: number): HostileSpec {
  if (r.chance(0.01)) return { index, request: r.chance(0.5) ? {} : { spec: null }, kinds: ['spec.missing'], notes: ['no spec'], semantic: false };
  const m = structuredClone(r.pick(baseSpecMessages)) as Msg;
  const semantic = r.chance(0.02);
  const pool = semantic ? SEMANTIC_MUTATIONS : MUTATIONS;
  const count = semantic ? 1 : 1 + r.int(3);
  const kinds: string[] = [];
  const notes: string[] = [];
  for (let i = 0; i < count; i++) {
    const mutation = r.pick(pool);
    const note = mutation.apply(m, r);
    if (note === undefined) continue;
    kinds.push(mutation.kind);
    notes.push(note);
  }
  return { index, request: { spec: m }, kinds, notes, semantic };
}

// ── NATS garbage ────────────────────────────────────────────────────────────────────────────

export interface BusMessage {
  subject: string;
  data: Uint8Array;
  /** JetStream publish (loss, trial, ctl: the stream captures them) or core (worker heartbeats). */
  via: 'jetstream' | 'core';
  kind: string;
}

const enc = new TextEncoder();
const json = (value: unknown): Uint8Array => enc.encode(JSON.stringify(value));

/** Subject tokens our ids forbid but NATS carries (no '.', '*', '>' or whitespace). */
const ILLEGAL_TOKENS = ['a$b', 'ü', 'x'.repeat(65), '%00', 'a/b', '日本', 'a:b', '💥', '__proto__', 'constructor', '-', '$JS'];

export interface RealSweep {
  sweepId: string;
  trialIds: string[];
  workerId: string;
}

/**
 * The i-th garbage message of a seeded sequence. Valid-looking messages name unknown sweeps or
 * trials, or — for the real sweep — an attempt no trial has and a worker that does not exist, so
 * none is a fact the coordinator should act on.
 */
export function garbageMessage(r: Rng, real: RealSweep): BusMessage {
  const family = r.pick(['loss', 'loss', 'trial', 'trial', 'ctl', 'worker'] as const);
  const unknownSweep = `s-fuzz${r.int(1e6)}`;
  const sweepToken = r.chance(0.15) ? r.pick(ILLEGAL_TOKENS) : r.chance(0.5) ? real.sweepId : unknownSweep;
  const trialToken = r.chance(0.15) ? r.pick(ILLEGAL_TOKENS) : r.chance(0.5) ? r.pick([...real.trialIds, 'final', 'rt0']) : `t${r.int(1000)}`;
  const ghost = `ghost-${r.int(1000)}`;
  const staleAttempt = r.pick([1000, 99_999, 2 ** 31]);

  const lossReport = () => ({
    sweepId: sweepToken,
    trialId: trialToken,
    workerId: ghost,
    attempt: staleAttempt,
    kind: 'search',
    step: 5,
    learningRate: 0.01,
    loss: 1.2,
    sentAtMs: Date.now(),
  });
  const trialEvent = () =>
    r.pick([
      { type: 'budget-reached', step: 20, valLoss: 0.5, valAccuracy: 0.8, checkpointed: false },
      { type: 'stopped', step: 3, outcome: 'non-finite' },
      { type: 'failed', error: 'boom' },
      { type: 'final-done', steps: 10, valLoss: 0.1, valAccuracy: 0.9, modelPath: '/nonexistent', backend: 'wasm' },
      { type: 'range-test-done', result: { points: 'nope' } },
      { type: 'checkpointed', step: 5 },
    ] as Obj[]);

  const ctlScope = r.pick([real.sweepId, '_', unknownSweep, ...ILLEGAL_TOKENS]);
  let ctlKind = r.pick(['submitted', 'worker-joined', 'worker-lost', 'job', 'cancel', 'trial-lost', 'refused', 'finished', 'bogus', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']);
  const workerToken = r.chance(0.3) ? r.pick(ILLEGAL_TOKENS) : r.chance(0.3) ? real.workerId : ghost;
  const via = family === 'worker' ? 'core' : 'jetstream';

  const typed = (): { kind: string; data: Uint8Array } => {
    if (family === 'loss') {
      const base = lossReport();
      return r.pick([
        () => ({ kind: 'loss.unknown-or-stale', data: json(base) }),
        () => ({ kind: 'loss.step-negative', data: json({ ...base, attempt: r.pick([0, 1, 2]), step: -1 }) }),
        () => ({ kind: 'loss.step-huge-stale', data: json({ ...base, step: 1e15 }) }),
        () => ({ kind: 'loss.step-NaN', data: json({ ...base, attempt: r.pick([0, 1, 2]), step: r.pick(['NaN', 'Infinity', '-Infinity']) }) }),
        () => ({ kind: 'loss.step-string', data: json({ ...base, attempt: r.pick([0, 1, 2]), step: r.pick(['5', 'five', '', '1e3']) }) }),
        () => ({ kind: 'loss.step-fraction', data: json({ ...base, attempt: r.pick([0, 1, 2]), step: 2.5 }) }),
        () => ({ kind: 'loss.loss-wrong-type', data: json({ ...base, attempt: r.pick([0, 1, 2]), loss: r.pick([null, 'nan', {}, [], true, '1.0']) }) }),
        () => ({ kind: 'loss.kind-bogus', data: json({ ...base, attempt: 1, kind: r.pick(['SEARCH', 'evil', '', 7]) }) }),
        () => ({ kind: 'loss.id-mismatch', data: json({ ...base, attempt: 1, sweepId: 'other', trialId: 'other' }) }),
        () => ({ kind: 'loss.ids-illegal', data: json({ ...base, attempt: 1, workerId: r.pick(ILLEGAL_TOKENS) }) }),
        () => ({ kind: 'loss.attempt-negative', data: json({ ...base, attempt: -1 }) }),
        () => ({ kind: 'loss.missing-fields', data: json({ sweepId: base.sweepId, trialId: base.trialId }) }),
      ])();
    }
    if (family === 'trial') {
      const base = { sweepId: sweepToken, trialId: trialToken, workerId: ghost, attempt: staleAttempt, ...trialEvent() };
      return r.pick([
        () => ({ kind: 'trial.unknown-or-stale', data: json(base) }),
        () => ({ kind: 'trial.type-bogus', data: json({ ...base, type: r.pick(['exploded', '', 'BUDGET-REACHED', 42, null]) }) }),
        () => ({ kind: 'trial.no-type', data: json({ ...base, type: undefined }) }),
        // Only types that carry a step: with an absurd step each is invalid, whatever its attempt.
        () => ({ kind: 'trial.step-absurd', data: json({ ...base, type: r.pick(['budget-reached', 'stopped', 'checkpointed']), attempt: 1, step: r.pick([-1, 'NaN', '7', 1.5, null]) }) }),
        () => ({ kind: 'trial.attempt-string', data: json({ ...base, attempt: '1' }) }),
        () => ({ kind: 'trial.huge-error', data: json({ ...base, type: 'failed', error: 'e'.repeat(100_000) }) }),
      ])();
    }
    if (family === 'ctl') {
      return r.pick([
        () => ({ kind: 'ctl.submitted-garbage-spec', data: json({ sweepId: unknownSweep, spec: r.pick([null, 42, 'yaml?', { name: 'NOPE' }, { model: {} }]), createdMs: Date.now() }) }),
        // A valid spec under the real sweep's id: refused as a duplicate (only ever on the `submitted` subject:
        // under `cancel` this payload would be a valid cancel of the real sweep).
        () => ((ctlKind = 'submitted'), { kind: 'ctl.submitted-duplicate-id', data: json({ sweepId: real.sweepId, spec: parseSpec(BASES[0]!), createdMs: Date.now() }) }),
        () => ({ kind: 'ctl.wrong-types', data: json({ sweepId: 7, workerId: ['x'], slots: 'many', attempt: 'one', code: {} }) }),
        () => ({ kind: 'ctl.unknown-targets', data: json({ sweepId: unknownSweep, trialId: 't000', workerId: ghost, attempt: staleAttempt, reason: 'fuzz', code: 14, details: 'x', atMs: 1 }) }),
        () => ({ kind: 'ctl.illegal-ids', data: json({ sweepId: r.pick(ILLEGAL_TOKENS), workerId: r.pick(ILLEGAL_TOKENS), address: '', slots: 0, backend: 'gpu' }) }),
      ])();
    }
    return r.pick([
      () => ({ kind: 'worker.slots-zero', data: json({ workerId: ghost, address: '127.0.0.1:1', slots: 0, backend: 'wasm', running: [], alive: true, sentAtMs: Date.now() }) }),
      () => ({ kind: 'worker.slots-huge', data: json({ workerId: ghost, address: '127.0.0.1:1', slots: 1e9, backend: 'wasm', running: [], alive: true, sentAtMs: Date.now() }) }),
      () => ({ kind: 'worker.backend-bogus', data: json({ workerId: ghost, address: '127.0.0.1:1', slots: 1, backend: 'gpu', running: [], alive: true, sentAtMs: Date.now() }) }),
      () => ({ kind: 'worker.address-short', data: json({ workerId: ghost, address: ':', slots: 1, backend: 'wasm', running: [], alive: true, sentAtMs: Date.now() }) }),
      () => ({ kind: 'worker.id-mismatch', data: json({ workerId: 'someone-else', address: '127.0.0.1:1', slots: 1, backend: 'wasm', running: [], alive: false, sentAtMs: Date.now() }) }),
      () => ({ kind: 'worker.running-garbage', data: json({ workerId: ghost, address: '127.0.0.1:1', slots: 1, backend: 'wasm', running: [{ sweepId: real.sweepId, trialId: 7 }], alive: true, sentAtMs: Date.now() }) }),
      () => ({ kind: 'worker.alive-string', data: json({ workerId: ghost, address: '127.0.0.1:1', slots: 1, backend: 'wasm', running: [], alive: 'false', sentAtMs: Date.now() }) }),
    ])();
  };

  const shaped = r.pick([
    () => ({ kind: 'random-bytes', data: r.bytes(r.int(2048)) }),
    () => ({ kind: 'empty', data: new Uint8Array(0) }),
    () => {
      const full = typed().data;
      return { kind: 'truncated-json', data: full.slice(0, Math.max(1, r.int(full.length))) };
    },
    () => ({ kind: 'json-primitive', data: enc.encode(r.pick(['null', '42', '"str"', '[]', 'true', '{}', '-0', '1e999', '[[[[[[[[[[]]]]]]]]]]'])) }),
    () => ({ kind: 'not-utf8', data: Uint8Array.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x7d]) }),
    () => ({ kind: 'deep-json', data: enc.encode('['.repeat(50_000) + ']'.repeat(50_000)) }),
    () => ({ kind: 'proto-pollution', data: enc.encode('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "sweepId": "x"}') }),
    typed,
    typed,
    typed,
    typed,
  ])();

  const subject =
    family === 'worker'
      ? `lrsweep.worker.${workerToken}`
      : family === 'ctl'
        ? `lrsweep.ctl.${ctlScope}.${ctlKind}`
        : `lrsweep.${family}.${sweepToken}.${trialToken}`;
  return { subject, data: shaped.data, via, kind: `${family}:${shaped.kind}` };
}

/** A 500 KB message for one of the subjects (random bytes or one huge JSON string field). */
export function hugeMessage(r: Rng, real: RealSweep): BusMessage {
  const family = r.pick(['loss', 'trial', 'ctl', 'worker'] as const);
  const subject =
    family === 'ctl' ? `lrsweep.ctl._.${r.pick(['submitted', 'worker-joined', 'bogus'])}` : family === 'worker' ? `lrsweep.worker.ghost-huge` : `lrsweep.${family}.${real.sweepId}.${r.pick(real.trialIds)}`;
  const size = 500 * 1024;
  const data = r.chance(0.5) ? r.bytes(size) : json({ sweepId: real.sweepId, trialId: real.trialIds[0], workerId: 'ghost', attempt: 1000, blob: 'q'.repeat(size) });
  return { subject, data, via: family === 'worker' ? 'core' : 'jetstream', kind: `${family}:huge` };
}
