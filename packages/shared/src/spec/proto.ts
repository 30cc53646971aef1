import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtoSpecError, SpecError, type FieldViolation } from '../errors.js';
import type { DatasetSpec__Output as DatasetMessage } from '../gen/lrsweep/v1/DatasetSpec.js';
import type { ModelSpec__Output as ModelMessage } from '../gen/lrsweep/v1/ModelSpec.js';
import type { OptimizerSpec__Output as OptimizerMessage } from '../gen/lrsweep/v1/OptimizerSpec.js';
import type { PlateauMonitor__Output } from '../gen/lrsweep/v1/PlateauMonitor.js';
import type { ScheduleKind__Output } from '../gen/lrsweep/v1/ScheduleKind.js';
import type { SearchStrategy__Output } from '../gen/lrsweep/v1/SearchStrategy.js';
import type { SweepSpec as SweepSpecInputMessage, SweepSpec__Output as SweepSpecOutputMessage } from '../gen/lrsweep/v1/SweepSpec.js';
import { parseSpec } from './load.js';
import type { SweepSpec } from './schema.js';

/**
 * The sweep spec as the YAML file has it (`SweepSpec`, camelCase, validated by zod) and as the
 * protocol carries it (`lrsweep.v1.SweepSpec`, see proto/lrsweep/v1/spec.proto).
 *
 * - Unset proto3 `optional` fields, unset messages (`null`) and UNSPECIFIED enums mean "use the
 *   default": they are left out of the object zod validates, exactly like a key missing from YAML.
 * - Repeated fields cannot be unset in proto3. An empty `cnn.filters` (never valid) takes the
 *   default [8, 16]; an empty `mlp.hidden` means no hidden layer and an empty `cnn.dense` no dense
 *   layer, as `[]` does in YAML. So `{ mlp: {} }` is a linear model, not the YAML default [128].
 * - Empty strings (`name`, `csv.path`, `csv.label`, `mlp.activation`) count as unset.
 * - `model.topology_json` is the model JSON itself, not a path (workers need not share a file
 *   system). {@link specFromProto} writes it to `<os.tmpdir()>/lrsweep-topologies/<sha256>.json`
 *   (content-addressed: identical topologies share one file, written once, atomically) and sets
 *   `model.topology` to that path; {@link specToProto} reads the file named by `model.topology`.
 *   A round trip therefore keeps the topology's content, not its path.
 */

/** lrsweep.v1.SweepSpec as a sender builds it (the generated "permissive" type). */
export type SweepSpecMessage = SweepSpecInputMessage;
/** lrsweep.v1.SweepSpec as a receiver decodes it with LOADER_OPTIONS (grpc/loader.ts). */
export type SweepSpecMessageOutput = SweepSpecOutputMessage;

type SearchStrategyName = SweepSpec['search']['strategy'];
type ScheduleKindName = SweepSpec['final']['schedule'];

const STRATEGY_TO_PROTO = {
  asha: 'SEARCH_STRATEGY_ASHA',
  sh: 'SEARCH_STRATEGY_SH',
  grid: 'SEARCH_STRATEGY_GRID',
  auto: 'SEARCH_STRATEGY_AUTO',
} as const satisfies Record<SearchStrategyName, SearchStrategy__Output>;

const SCHEDULE_TO_PROTO = {
  constant: 'SCHEDULE_KIND_CONSTANT',
  'one-cycle': 'SCHEDULE_KIND_ONE_CYCLE',
  triangular: 'SCHEDULE_KIND_TRIANGULAR',
  cosine: 'SCHEDULE_KIND_COSINE',
  'cosine-restarts': 'SCHEDULE_KIND_COSINE_RESTARTS',
} as const satisfies Record<ScheduleKindName, ScheduleKind__Output>;

const PLATEAU_MONITOR_TO_PROTO = { val_loss: 'PLATEAU_MONITOR_VAL_LOSS' } as const satisfies Record<NonNullable<SweepSpec['final']['reduceOnPlateau']>['monitor'], PlateauMonitor__Output>;
const PLATEAU_MONITOR_VALUES = ['PLATEAU_MONITOR_UNSPECIFIED', 'PLATEAU_MONITOR_VAL_LOSS'] as const;

/** Proto enum values in number order (index = enum number), for messages built with numbers. */
const STRATEGY_VALUES = ['SEARCH_STRATEGY_UNSPECIFIED', 'SEARCH_STRATEGY_ASHA', 'SEARCH_STRATEGY_SH', 'SEARCH_STRATEGY_GRID', 'SEARCH_STRATEGY_AUTO'] as const;
const SCHEDULE_VALUES = ['SCHEDULE_KIND_UNSPECIFIED', 'SCHEDULE_KIND_CONSTANT', 'SCHEDULE_KIND_ONE_CYCLE', 'SCHEDULE_KIND_TRIANGULAR', 'SCHEDULE_KIND_COSINE', 'SCHEDULE_KIND_COSINE_RESTARTS'] as const;

// ---------------------------------------------------------------------------------------------
// YAML-shaped spec → proto message

/** The proto message for a validated spec. Reads the topology file of a `{ topology }` model. */
export function specToProto(spec: SweepSpec): SweepSpecMessage {
  return {
    name: spec.name,
    seed: spec.seed,
    model: modelToProto(spec.model),
    dataset: datasetToProto(spec.dataset),
    optimizer: optimizerToProto(spec.optimizer),
    batchSize: spec.batchSize,
    grid: { min: spec.grid.min, max: spec.grid.max, points: spec.grid.points },
    search: {
      strategy: STRATEGY_TO_PROTO[spec.search.strategy],
      minSteps: spec.search.minSteps,
      maxSteps: spec.search.maxSteps,
      reductionFactor: spec.search.reductionFactor,
      reportEvery: spec.search.reportEvery,
    },
    pruning: {
      divergenceFactor: spec.pruning.divergenceFactor,
      stagnation: { windowSteps: spec.pruning.stagnation.windowSteps, minRelImprovement: spec.pruning.stagnation.minRelImprovement },
    },
    final: finalToProto(spec.final),
    rangeTest: defined({
      min: spec.rangeTest.min,
      max: spec.rangeTest.max,
      steps: spec.rangeTest.steps,
      seeds: spec.rangeTest.seeds,
      beta: spec.rangeTest.beta,
      divergenceFactor: spec.rangeTest.divergenceFactor,
    }),
    ...(spec.layerGroups ? { layerGroups: layerGroupsToProto(spec.layerGroups) } : {}),
  };
}

function layerGroupsToProto(lg: NonNullable<SweepSpec['layerGroups']>): NonNullable<SweepSpecMessage['layerGroups']> {
  return {
    groups: (lg.groups ?? []).map((g) => ({ name: g.name, layers: [...(g.layers ?? [])], indices: [...(g.indices ?? [])], frozen: g.frozen })),
    ...(lg.spread !== undefined ? { spread: lg.spread } : {}),
    multipliers: [...(lg.multipliers ?? [])],
    sweep: lg.sweep === 'base' ? 'LAYER_GROUP_SWEEP_BASE' : lg.sweep === 'spread' ? 'LAYER_GROUP_SWEEP_SPREAD' : 'LAYER_GROUP_SWEEP_GROUP',
    group: typeof lg.sweep === 'object' ? lg.sweep.group : '',
    ...(lg.base !== undefined ? { base: lg.base } : {}),
  };
}

const LAYER_GROUP_SWEEP_VALUES = ['LAYER_GROUP_SWEEP_UNSPECIFIED', 'LAYER_GROUP_SWEEP_BASE', 'LAYER_GROUP_SWEEP_SPREAD', 'LAYER_GROUP_SWEEP_GROUP'] as const;

function layerGroupsFromProto(message: NonNullable<SweepSpecMessageOutput['layerGroups']>, ctx: Context): unknown {
  const raw = message.sweep as string | number | null | undefined;
  const sweepName = typeof raw === 'number' ? LAYER_GROUP_SWEEP_VALUES[raw] : raw;
  let sweep: unknown;
  if (sweepName === 'LAYER_GROUP_SWEEP_GROUP') {
    sweep = { group: message.group ?? '' };
  } else if (sweepName === 'LAYER_GROUP_SWEEP_SPREAD') sweep = 'spread';
  else if (sweepName === 'LAYER_GROUP_SWEEP_BASE') sweep = 'base';
  else if (sweepName !== undefined && sweepName !== null && sweepName !== 'LAYER_GROUP_SWEEP_UNSPECIFIED') {
    report(ctx, 'spec.layer_groups.sweep', `unknown value ${JSON.stringify(raw)} (fix: use one of ${LAYER_GROUP_SWEEP_VALUES.slice(1).join(', ')})`);
  }
  if (sweep !== undefined && typeof sweep !== 'object' && nonEmpty(message.group)) {
    report(ctx, 'spec.layer_groups.group', 'is set but sweep is not LAYER_GROUP_SWEEP_GROUP (fix: set sweep to LAYER_GROUP_SWEEP_GROUP, or clear group)');
  }
  const groups = message.groups ?? [];
  const multipliers = message.multipliers ?? [];
  return defined({
    groups: groups.length > 0
      ? groups.map((g) =>
          defined({
            name: g.name,
            layers: (g.layers ?? []).length > 0 ? [...g.layers] : undefined,
            indices: (g.indices ?? []).length > 0 ? [...g.indices] : undefined,
            frozen: g.frozen ?? undefined,
          }),
        )
      : undefined,
    spread: message.spread ?? undefined,
    multipliers: multipliers.length > 0 ? [...multipliers] : undefined,
    sweep,
    base: message.base ?? undefined,
  });
}

function finalToProto(final: SweepSpec['final']): NonNullable<SweepSpecMessage['final']> {
  const { warmRestarts: w, divergenceGuard: g, reduceOnPlateau: p } = final;
  return {
    epochs: final.epochs,
    schedule: SCHEDULE_TO_PROTO[final.schedule],
    ...(w ? { warmRestarts: defined({ cycleEpochs: w.cycleEpochs, cycleSteps: w.cycleSteps, cycleMult: w.cycleMult }) } : {}),
    divergenceGuard: defined({ enabled: g.enabled, divergenceFactor: g.divergenceFactor, factor: g.factor, maxRetries: g.maxRetries, checkpointEvery: g.checkpointEvery }),
    ...(final.candidates !== 'auto' ? { candidates: final.candidates } : {}),
    startEarly: final.startEarly,
    ...(p
      ? {
          reduceOnPlateau: defined({
            monitor: PLATEAU_MONITOR_TO_PROTO[p.monitor],
            patience: p.patience,
            factor: p.factor,
            minDelta: p.minDelta,
            cooldown: p.cooldown,
            minRate: p.minRate,
            everySteps: p.everySteps,
          }),
        }
      : {}),
  };
}

function finalFromProto(final: NonNullable<SweepSpecMessageOutput['final']>, ctx: Context): unknown {
  const w = final.warmRestarts;
  const g = final.divergenceGuard;
  const p = final.reduceOnPlateau;
  return defined({
    epochs: final.epochs ?? undefined,
    candidates: final.candidates ? final.candidates : undefined,
    startEarly: final.startEarly ?? undefined,
    schedule: enumFromProto(final.schedule, SCHEDULE_TO_PROTO, SCHEDULE_VALUES, 'spec.final.schedule', ctx),
    warmRestarts: w ? defined({ cycleEpochs: w.cycleEpochs ?? undefined, cycleSteps: w.cycleSteps ?? undefined, cycleMult: w.cycleMult ?? undefined }) : undefined,
    divergenceGuard: g
      ? defined({
          enabled: g.enabled ?? undefined,
          divergenceFactor: g.divergenceFactor ?? undefined,
          factor: g.factor ?? undefined,
          maxRetries: g.maxRetries ?? undefined,
          checkpointEvery: g.checkpointEvery ?? undefined,
        })
      : undefined,
    reduceOnPlateau: p
      ? defined({
          monitor: enumFromProto(p.monitor, PLATEAU_MONITOR_TO_PROTO, PLATEAU_MONITOR_VALUES, 'spec.final.reduce_on_plateau.monitor', ctx),
          patience: p.patience ?? undefined,
          factor: p.factor ?? undefined,
          minDelta: p.minDelta ?? undefined,
          cooldown: p.cooldown ?? undefined,
          minRate: p.minRate ?? undefined,
          everySteps: p.everySteps ?? undefined,
        })
      : undefined,
  });
}

function modelToProto(model: SweepSpec['model']): NonNullable<SweepSpecMessage['model']> {
  if ('topology' in model) {
    let topologyJson: string;
    try {
      topologyJson = readFileSync(model.topology, 'utf8');
    } catch (cause) {
      throw new SpecError(
        [{ path: 'model.topology', message: `cannot read ${model.topology}: ${(cause as Error).message}`, fix: 'set model.topology to an existing tfjs-layers model JSON file' }],
        undefined,
        { cause },
      );
    }
    return { topologyJson, ...pretrainedToProto(model.pretrained) };
  }
  if (model.builtin === 'mlp') return { mlp: { hidden: [...model.hidden], activation: model.activation }, ...pretrainedToProto(model.pretrained) };
  return { cnn: { filters: [...model.filters], kernelSize: model.kernelSize, dense: [...model.dense] }, ...pretrainedToProto(model.pretrained) };
}

function pretrainedToProto(pretrained: { path: string; reinitialize: string[] } | undefined): { pretrained?: { path: string; reinitialize: string[] } } {
  return pretrained ? { pretrained: { path: pretrained.path, reinitialize: [...pretrained.reinitialize] } } : {};
}

function pretrainedFromProto(model: ModelMessage): unknown {
  if (!model.pretrained) return undefined;
  return defined({ path: model.pretrained.path ?? '', reinitialize: (model.pretrained.reinitialize ?? []).length > 0 ? [...model.pretrained.reinitialize] : undefined });
}

function datasetToProto(dataset: SweepSpec['dataset']): NonNullable<SweepSpecMessage['dataset']> {
  const split = { validationFraction: dataset.validationFraction, sampleFraction: dataset.sampleFraction };
  if ('csv' in dataset) return { csv: { path: dataset.csv.path, label: dataset.csv.label, standardize: dataset.csv.standardize }, ...split };
  if (dataset.builtin === 'mnist') return { mnist: { digits: [...(dataset.digits ?? [])], ...(dataset.trainLimit !== undefined ? { trainLimit: dataset.trainLimit } : {}) }, ...split };
  return { spirals: { classes: dataset.classes, pointsPerClass: dataset.pointsPerClass, noise: dataset.noise }, ...split };
}

function optimizerToProto(optimizer: SweepSpec['optimizer']): NonNullable<SweepSpecMessage['optimizer']> {
  switch (optimizer.name) {
    case 'sgd':
      return { sgd: {} };
    case 'momentum':
      return { momentum: { momentum: optimizer.momentum, nesterov: optimizer.nesterov } };
    case 'adam':
      return { adam: { beta1: optimizer.beta1, beta2: optimizer.beta2, epsilon: optimizer.epsilon } };
    case 'rmsprop':
      return { rmsprop: { rho: optimizer.rho, momentum: optimizer.momentum, epsilon: optimizer.epsilon } };
  }
}

// ---------------------------------------------------------------------------------------------
// proto message → YAML-shaped spec

/** Which member of each oneof was set, as proto field names (for error paths). */
interface Branches {
  model?: 'mlp' | 'cnn' | 'topology_json';
  dataset?: 'mnist' | 'spirals' | 'csv';
  optimizer?: 'sgd' | 'momentum' | 'adam' | 'rmsprop';
}

interface Context {
  readonly branches: Branches;
  readonly violations: FieldViolation[];
  /** Fields already reported here: zod's issue for the same field (e.g. "model is required") is dropped. */
  readonly reported: Set<string>;
  /** A valid topology_json, written to disk only if the whole spec is valid. */
  pendingTopology?: string;
}

function report(ctx: Context, field: string, description: string, covers: string = field): void {
  ctx.violations.push({ field, description });
  ctx.reported.add(covers);
}

/**
 * The spec a proto message describes, validated with {@link parseSpec} (defaults filled in).
 * Throws {@link ProtoSpecError} listing every problem by its proto field path (`spec.grid.min`,
 * `spec.model.mlp.hidden[0]`, `spec.range_test.steps`). A `topology_json` model is written to a
 * content-addressed file under os.tmpdir() (see the notes at the top of this file).
 */
export function specFromProto(message: SweepSpecMessageOutput): SweepSpec {
  const ctx: Context = { branches: {}, violations: [], reported: new Set() };
  const spec: Record<string, unknown> = defined({
    name: nonEmpty(message.name),
    seed: message.seed ?? undefined,
    model: modelFromProto(message.model, ctx),
    dataset: datasetFromProto(message.dataset, ctx),
    optimizer: optimizerFromProto(message.optimizer, ctx.branches),
    batchSize: message.batchSize ?? undefined,
    grid: message.grid ? { min: message.grid.min, max: message.grid.max, points: message.grid.points } : undefined,
    search: message.search
      ? defined({
          strategy: enumFromProto(message.search.strategy, STRATEGY_TO_PROTO, STRATEGY_VALUES, 'spec.search.strategy', ctx),
          minSteps: message.search.minSteps ?? undefined,
          maxSteps: message.search.maxSteps ?? undefined,
          reductionFactor: message.search.reductionFactor ?? undefined,
          reportEvery: message.search.reportEvery ?? undefined,
        })
      : undefined,
    pruning: message.pruning
      ? defined({
          divergenceFactor: message.pruning.divergenceFactor ?? undefined,
          stagnation: message.pruning.stagnation
            ? defined({
                windowSteps: message.pruning.stagnation.windowSteps ?? undefined,
                minRelImprovement: message.pruning.stagnation.minRelImprovement ?? undefined,
              })
            : undefined,
        })
      : undefined,
    final: message.final ? finalFromProto(message.final, ctx) : undefined,
    rangeTest: message.rangeTest
      ? defined({
          min: message.rangeTest.min ?? undefined,
          max: message.rangeTest.max ?? undefined,
          steps: message.rangeTest.steps ?? undefined,
          seeds: message.rangeTest.seeds ?? undefined,
          beta: message.rangeTest.beta ?? undefined,
          divergenceFactor: message.rangeTest.divergenceFactor ?? undefined,
        })
      : undefined,
    layerGroups: message.layerGroups ? layerGroupsFromProto(message.layerGroups, ctx) : undefined,
  });

  let parsed: SweepSpec | undefined;
  let specError: SpecError | undefined;
  try {
    parsed = parseSpec(spec);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    specError = error;
    for (const issue of error.issues) {
      const field = protoFieldPath(issue.path, ctx.branches);
      // A missing model or dataset is reported once, by the checks above, not again by zod.
      if (ctx.reported.has(field)) continue;
      ctx.violations.push({ field, description: `${issue.message} (fix: ${translateFix(issue.fix, issue.path, field)})` });
    }
  }
  if (ctx.violations.length > 0 || parsed === undefined) throw new ProtoSpecError(ctx.violations, specError ? { cause: specError } : undefined);
  if (ctx.pendingTopology !== undefined && 'topology' in parsed.model) {
    // A refused request never leaves a file behind.
    return { ...parsed, model: { ...parsed.model, topology: writeTopologyFile(ctx.pendingTopology) } };
  }
  return parsed;
}

function modelFromProto(model: ModelMessage | null | undefined, ctx: Context): unknown {
  const { branches } = ctx;
  const kind = model ? (model.kind ?? (model.mlp ? 'mlp' : model.cnn ? 'cnn' : model.topologyJson !== undefined ? 'topologyJson' : undefined)) : undefined;
  if (kind === 'mlp' && model?.mlp) {
    branches.model = 'mlp';
    return defined({ builtin: 'mlp', hidden: [...(model.mlp.hidden ?? [])], activation: nonEmpty(model.mlp.activation), pretrained: pretrainedFromProto(model) });
  }
  if (kind === 'cnn' && model?.cnn) {
    branches.model = 'cnn';
    const filters = model.cnn.filters ?? [];
    return defined({
      builtin: 'cnn',
      filters: filters.length > 0 ? [...filters] : undefined,
      kernelSize: model.cnn.kernelSize ?? undefined,
      dense: [...(model.cnn.dense ?? [])],
      pretrained: pretrainedFromProto(model),
    });
  }
  if (kind === 'topologyJson' && model?.topologyJson !== undefined) {
    branches.model = 'topology_json';
    const json = model.topologyJson;
    const problem = topologyProblem(json);
    if (problem) {
      report(ctx, 'spec.model.topology_json', `${problem} (fix: set spec.model.topology_json to the content of a tfjs-layers model JSON file, e.g. model.toJSON())`, 'spec.model');
      return undefined;
    }
    // Written to disk only once the whole spec is valid (see specFromProto).
    ctx.pendingTopology = json;
    return defined({ topology: PENDING_TOPOLOGY, pretrained: pretrainedFromProto(model) });
  }
  report(ctx, 'spec.model', 'is required (fix: set exactly one of spec.model.mlp, spec.model.cnn, spec.model.topology_json)');
  return undefined;
}

function datasetFromProto(dataset: DatasetMessage | null | undefined, ctx: Context): unknown {
  const { branches } = ctx;
  if (!dataset) {
    report(ctx, 'spec.dataset', 'is required (fix: set spec.dataset with one of spec.dataset.mnist, spec.dataset.spirals, spec.dataset.csv)');
    return undefined;
  }
  const split = { validationFraction: dataset.validationFraction ?? undefined, sampleFraction: dataset.sampleFraction ?? undefined };
  const source = dataset.source ?? (dataset.mnist ? 'mnist' : dataset.spirals ? 'spirals' : dataset.csv ? 'csv' : undefined);
  if (source === 'mnist' && dataset.mnist) {
    branches.dataset = 'mnist';
    const digits = dataset.mnist.digits ?? [];
    return defined({ builtin: 'mnist', digits: digits.length > 0 ? [...digits] : undefined, trainLimit: dataset.mnist.trainLimit ?? undefined, ...split });
  }
  if (source === 'spirals' && dataset.spirals) {
    branches.dataset = 'spirals';
    const s = dataset.spirals;
    return defined({ builtin: 'spirals', classes: s.classes ?? undefined, pointsPerClass: s.pointsPerClass ?? undefined, noise: s.noise ?? undefined, ...split });
  }
  if (source === 'csv' && dataset.csv) {
    branches.dataset = 'csv';
    const c = dataset.csv;
    return defined({ csv: defined({ path: nonEmpty(c.path), label: nonEmpty(c.label), standardize: c.standardize ?? undefined }), ...split });
  }
  report(ctx, 'spec.dataset', 'has no source (fix: set one of spec.dataset.mnist, spec.dataset.spirals, spec.dataset.csv)');
  return undefined;
}

function optimizerFromProto(optimizer: OptimizerMessage | null | undefined, branches: Branches): unknown {
  if (!optimizer) return undefined;
  const kind = optimizer.kind ?? (optimizer.sgd ? 'sgd' : optimizer.momentum ? 'momentum' : optimizer.adam ? 'adam' : optimizer.rmsprop ? 'rmsprop' : undefined);
  switch (kind) {
    case 'sgd':
      branches.optimizer = 'sgd';
      return { name: 'sgd' };
    case 'momentum': {
      branches.optimizer = 'momentum';
      const o = optimizer.momentum;
      return defined({ name: 'momentum', momentum: o?.momentum ?? undefined, nesterov: o?.nesterov ?? undefined });
    }
    case 'adam': {
      branches.optimizer = 'adam';
      const o = optimizer.adam;
      return defined({ name: 'adam', beta1: o?.beta1 ?? undefined, beta2: o?.beta2 ?? undefined, epsilon: o?.epsilon ?? undefined });
    }
    case 'rmsprop': {
      branches.optimizer = 'rmsprop';
      const o = optimizer.rmsprop;
      return defined({ name: 'rmsprop', rho: o?.rho ?? undefined, momentum: o?.momentum ?? undefined, epsilon: o?.epsilon ?? undefined });
    }
    default:
      // An OptimizerSpec with no member set: the default optimizer, like an unset message.
      return undefined;
  }
}

/** YAML value of a proto enum; undefined (the default) for UNSPECIFIED; a violation for an unknown value. */
function enumFromProto<Name extends string>(
  value: string | number | null | undefined,
  toProto: Record<Name, string>,
  values: readonly string[],
  field: string,
  ctx: Context,
): Name | undefined {
  if (value === undefined || value === null) return undefined;
  const protoName = typeof value === 'number' ? values[value] : value;
  if (protoName === values[0]) return undefined;
  const entry = Object.entries<string>(toProto).find(([, p]) => p === protoName);
  if (entry) return entry[0] as Name;
  report(ctx, field, `unknown value ${JSON.stringify(value)} (fix: use one of ${values.slice(1).join(', ')}, or ${values[0] ?? 'leave it unset'} for the default)`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Topology files

const PENDING_TOPOLOGY = '<topology_json, written once the spec is valid>';
/** Largest topology accepted (a layers topology is a few KB; weights never travel in it). */
export const MAX_TOPOLOGY_BYTES = 256 * 1024;
const MAX_TOPOLOGY_DEPTH = 64;

/** Why a topology_json is unusable, or undefined: size, JSON, nesting depth, and the tfjs-layers shape. */
function topologyProblem(json: string): string | undefined {
  if (json.length > MAX_TOPOLOGY_BYTES) return `is ${json.length} bytes, more than the ${MAX_TOPOLOGY_BYTES} allowed`;
  // Depth first, without recursion: JSON.parse itself copes with deep nesting, the tools after it may not.
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  if (deepest > MAX_TOPOLOGY_DEPTH) return `nests ${deepest} levels deep, more than the ${MAX_TOPOLOGY_DEPTH} allowed`;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return `is not valid JSON (${(error as Error).message})`;
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const topology = isRecord(value) && isRecord(value.modelTopology) ? value.modelTopology : value;
  if (!isRecord(topology) || typeof topology.class_name !== 'string' || !isRecord(topology.config)) {
    return 'is not a tfjs-layers model JSON (an object with class_name and config, or with modelTopology)';
  }
  // Every model class keeps its layers in config.layers: each an object with class_name and config.
  const layers = topology.config.layers;
  if (!Array.isArray(layers) || layers.length === 0 || !layers.every((l) => isRecord(l) && typeof l.class_name === 'string' && isRecord(l.config))) {
    return 'has no layers (config.layers must be a non-empty list of { class_name, config })';
  }
  return undefined;
}

/** Directory of the topology files written by {@link specFromProto}. */
export function topologyCacheDir(): string {
  return join(tmpdir(), 'lrsweep-topologies');
}

/** Writes `json` to `<topologyCacheDir()>/<sha256 of json>.json` unless it is already there, and returns the path. */
export function writeTopologyFile(json: string): string {
  const dir = topologyCacheDir();
  const path = join(dir, `${createHash('sha256').update(json).digest('hex')}.json`);
  if (existsSync(path) && readFileSync(path, 'utf8') === json) return path;
  mkdirSync(dir, { recursive: true });
  // Write then rename, so a concurrent reader never sees half a file.
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, json);
  renameSync(temp, path);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Error paths

const SPLIT_FIELDS = new Set(['validationFraction', 'sampleFraction']);

const snake = (segment: string): string => (segment.startsWith('[') ? segment : segment.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

function joinPath(segments: readonly string[]): string {
  return segments.reduce((path, s) => (s.startsWith('[') ? `${path}${s}` : `${path}.${snake(s)}`), 'spec');
}

/**
 * The proto field path of a zod issue path of the YAML-shaped spec: `grid.min` → `spec.grid.min`,
 * `batchSize` → `spec.batch_size`, `model.hidden[0]` → `spec.model.mlp.hidden[0]`,
 * `optimizer.beta1` → `spec.optimizer.adam.beta1`, `dataset.classes` → `spec.dataset.spirals.classes`.
 */
function protoFieldPath(yamlPath: string, branches: Branches): string {
  const segments = yamlPath.match(/\[\d+\]|[^.[\]]+/g) ?? [];
  const [head, next, ...rest] = segments;
  if (head === undefined) return 'spec';
  switch (head) {
    case 'model':
      if (next === undefined) return 'spec.model';
      if (next === 'topology') return 'spec.model.topology_json';
      if (next === 'pretrained') return joinPath(['model', next, ...rest]);
      if (next === 'builtin') return branches.model ? `spec.model.${branches.model}` : 'spec.model';
      return joinPath(['model', ...(branches.model ? [branches.model] : []), next, ...rest]);
    case 'dataset':
      if (next === undefined) return 'spec.dataset';
      if (SPLIT_FIELDS.has(next) || next === 'csv') return joinPath(['dataset', next, ...rest]);
      if (next === 'builtin') return branches.dataset ? `spec.dataset.${branches.dataset}` : 'spec.dataset';
      return joinPath(['dataset', ...(branches.dataset ? [branches.dataset] : []), next, ...rest]);
    case 'optimizer':
      if (next === undefined || next === 'name') return 'spec.optimizer';
      return joinPath(['optimizer', ...(branches.optimizer ? [branches.optimizer] : []), next, ...rest]);
    default:
      return joinPath(segments);
  }
}

/** Rewrites the YAML path a fix mentions ("set batchSize to at most 4096") as the proto path. */
function translateFix(fix: string, yamlPath: string, protoPath: string): string {
  if (!yamlPath) return fix;
  const escaped = yamlPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return fix.replace(new RegExp(`(?<![\\w.\\]])${escaped}(?![\\w[])`, 'g'), protoPath);
}

// ---------------------------------------------------------------------------------------------

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : value;
}

/** The object without its undefined properties (so zod sees a missing key, and applies its default). */
function defined<T extends Record<string, unknown>>(object: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
