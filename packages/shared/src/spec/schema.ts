import { z } from 'zod';

/**
 * The sweep spec: one YAML or JSON file that says what to train and how to search.
 * Every object is strict, so a misspelt key is an error rather than a silently ignored default.
 * Limits bound what a spec can ask of a machine (layer widths, batch size, steps, seeds).
 */

const positiveRate = z
  .number({ error: 'must be a number (a learning rate such as 1e-3)' })
  .positive({ error: 'must be greater than 0' })
  .max(1e6, { error: 'must be at most 1e6' })
  .refine(Number.isFinite, { error: 'must be finite' });

const intIn = (min: number, max: number, what = 'an integer') =>
  z
    .number({ error: `must be ${what}` })
    .int({ error: `must be ${what}` })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const fraction = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .gt(min, { error: `must be greater than ${min}` })
    .lte(max, { error: `must be at most ${max}` });

import { builtinDatasetShape, builtinParameterCount, MAX_PARAMETERS } from './limits.js';
import { builtinWeightedLayerNames, checkLayerGroups } from './layer-groups.js';

export const MAX_LAYER_UNITS = 4096;

/** Start from trained weights (fine-tuning): a model.json + weights.bin as lrsweep saves them. */
const pretrained = z.strictObject({
  path: z.string().min(1, { error: 'must be the path of a model.json saved by lrsweep (with its weights.bin beside it)' }),
  /** Layers (glob patterns over layer names) that keep their fresh seeded initialisation, e.g. a new head. */
  reinitialize: z.array(z.string().min(1).max(128)).max(64).default([]),
});

const mlpModel = z.strictObject({
  builtin: z.literal('mlp'),
  hidden: z.array(intIn(1, MAX_LAYER_UNITS), { error: 'must be a list of layer widths, e.g. [128]' }).max(8).default([128]),
  activation: z.enum(['relu', 'tanh', 'elu', 'sigmoid']).default('relu'),
  pretrained: pretrained.optional(),
});

const cnnModel = z.strictObject({
  builtin: z.literal('cnn'),
  filters: z.array(intIn(1, 256)).min(1).max(4).default([8, 16]),
  kernelSize: intIn(1, 7).default(3),
  dense: z.array(intIn(1, MAX_LAYER_UNITS)).max(4).default([]),
  pretrained: pretrained.optional(),
});

const topologyModel = z.strictObject({
  topology: z.string().min(1, { error: 'must be the path of a tfjs-layers model JSON file' }),
  pretrained: pretrained.optional(),
});

export const ModelSpec = z.union([mlpModel, cnnModel, topologyModel], {
  error: 'must be { builtin: mlp | cnn, ... } or { topology: <path to a tfjs-layers model JSON> }',
});

const splitFields = {
  validationFraction: fraction(0, 0.9).default(0.2),
  sampleFraction: fraction(0, 1).default(0.25),
};

const mnistDataset = z.strictObject({
  builtin: z.literal('mnist'),
  /** Only these digits (labels stay 0-9, so a model trained on some digits fine-tunes on others). */
  digits: z
    .array(intIn(0, 9, 'a digit 0-9'))
    .min(1)
    .max(10)
    .refine((d) => new Set(d).size === d.length, { error: 'must not repeat a digit' })
    .optional(),
  /** Keep at most this many training examples (a seeded stratified pick), e.g. a small fine-tuning set; validation is split off first and keeps its size. */
  trainLimit: intIn(20, 1_000_000).optional(),
  ...splitFields,
});
const spiralsDataset = z.strictObject({
  builtin: z.literal('spirals'),
  classes: intIn(2, 16).default(3),
  pointsPerClass: intIn(10, 100_000).default(1000),
  noise: z.number().min(0).max(5).default(0.2),
  ...splitFields,
});
const csvDataset = z.strictObject({
  csv: z.strictObject({
    path: z.string().min(1, { error: 'must be the path of a CSV file with a header row' }),
    label: z.string().min(1, { error: 'must name the label column' }),
    standardize: z.boolean().default(true),
  }),
  ...splitFields,
});

export const DatasetSpec = z.union([mnistDataset, spiralsDataset, csvDataset], {
  error: 'must be { builtin: mnist | spirals } or { csv: { path, label } }',
});

export const OptimizerSpec = z.discriminatedUnion(
  'name',
  [
    z.strictObject({ name: z.literal('sgd') }),
    z.strictObject({
      name: z.literal('momentum'),
      momentum: z.number().min(0).lt(1).default(0.9),
      nesterov: z.boolean().default(false),
    }),
    z.strictObject({
      name: z.literal('adam'),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.999),
      epsilon: z.number().positive().max(1).default(1e-7),
    }),
    z.strictObject({
      name: z.literal('rmsprop'),
      rho: z.number().min(0).lt(1).default(0.9),
      momentum: z.number().min(0).lt(1).default(0),
      epsilon: z.number().positive().max(1).default(1e-7),
    }),
  ],
  { error: 'name must be one of sgd, momentum, adam, rmsprop' },
);

export const GridSpec = z
  .strictObject({ min: positiveRate, max: positiveRate, points: intIn(2, 256) })
  .refine((g) => g.min < g.max, { error: 'min must be less than max', path: ['min'] });

export const SearchSpec = z
  .strictObject({
    strategy: z.enum(['asha', 'sh', 'grid', 'auto']).default('asha'),
    minSteps: intIn(1, 1_000_000).default(25),
    /**
     * The last rung. `asha` and `sh` reach it only from a rung of η or more trials: a rung of fewer
     * sends none on, and the search ends there. `grid` trains every rate to it.
     */
    maxSteps: intIn(1, 10_000_000).default(375),
    reductionFactor: intIn(2, 16).default(3),
    reportEvery: intIn(1, 10_000).default(5),
  })
  .refine((s) => s.minSteps <= s.maxSteps, { error: 'minSteps must not exceed maxSteps', path: ['minSteps'] });

export const PruningSpec = z.strictObject({
  divergenceFactor: z.number().gt(1, { error: 'must be greater than 1' }).max(1000).default(4),
  stagnation: z
    .strictObject({
      windowSteps: intIn(1, 1_000_000).default(50),
      minRelImprovement: z.number().min(0).max(1).default(0.01),
    })
    .default({ windowSteps: 50, minRelImprovement: 0.01 }),
});

export const ScheduleName = z.enum(['constant', 'one-cycle', 'triangular', 'cosine', 'cosine-restarts']);

const factorBelowOne = z
  .number({ error: 'must be a number between 0 and 1 (the rate is multiplied by it)' })
  .gt(0, { error: 'must be greater than 0' })
  .lt(1, { error: 'must be less than 1 (it lowers the rate)' });

/** SGDR cycles of `schedule: cosine-restarts`: the first cycle's length, each next one cycleMult times longer. */
export const WarmRestartsSpec = z
  .strictObject({
    /** Length of the first cycle in epochs (fractions allowed); default 1 when neither length is given. */
    cycleEpochs: z.number({ error: 'must be a number of epochs, e.g. 1 or 0.5' }).positive({ error: 'must be greater than 0' }).max(1000, { error: 'must be at most 1000' }).optional(),
    /** Length of the first cycle in steps, instead of cycleEpochs. */
    cycleSteps: intIn(1, 10_000_000).optional(),
    cycleMult: intIn(1, 10, 'a whole number (each cycle is this many times longer than the one before)').default(2),
  })
  .refine((w) => w.cycleEpochs === undefined || w.cycleSteps === undefined, { error: 'give cycleEpochs or cycleSteps, not both', path: ['cycleSteps'] });

/** Roll back to the last good snapshot and lower the rate when the loss turns non-finite or jumps. */
export const DivergenceGuardSpec = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }).default(true),
  /** Smoothed loss above this many times its best is a divergence; default pruning.divergenceFactor. */
  divergenceFactor: z.number({ error: 'must be a number' }).gt(1, { error: 'must be greater than 1' }).max(1000, { error: 'must be at most 1000' }).optional(),
  factor: factorBelowOne.default(0.5),
  maxRetries: intIn(0, 20).default(4),
  checkpointEvery: intIn(1, 1_000_000).default(50),
});

/** Keras ReduceLROnPlateau on the validation loss, judged at each epoch's end (or every everySteps steps). */
export const ReduceOnPlateauSpec = z.strictObject({
  monitor: z.enum(['val_loss'], { error: 'must be val_loss' }).default('val_loss'),
  patience: intIn(0, 1000).default(2),
  factor: factorBelowOne.default(0.2),
  minDelta: z.number({ error: 'must be a number' }).min(0, { error: 'must be at least 0' }).max(1e6, { error: 'must be at most 1e6' }).default(1e-4),
  cooldown: intIn(0, 1000).default(0),
  minRate: positiveRate.optional(),
  /** Evaluate every this many steps instead of at each epoch's end. */
  everySteps: intIn(1, 10_000_000).optional(),
});

export const DEFAULT_DIVERGENCE_GUARD = { enabled: true, factor: 0.5, maxRetries: 4, checkpointEvery: 50 } as const;

/** Most final trainings one sweep runs at once (`final.candidates`). */
export const MAX_FINAL_CANDIDATES = 8;

export const FinalSpec = z
  .strictObject({
    epochs: intIn(1, 1000).default(3),
    schedule: ScheduleName.default('one-cycle'),
    warmRestarts: WarmRestartsSpec.optional(),
    divergenceGuard: DivergenceGuardSpec.default({ ...DEFAULT_DIVERGENCE_GUARD }),
    /** Off unless given ({} turns it on with the defaults). */
    reduceOnPlateau: ReduceOnPlateauSpec.optional(),
    /**
     * Final trainings at different peak rates, run at once on free slots; the one with the lowest
     * validation loss is the result. `auto`: as many as there are slots, at most 3.
     */
    candidates: z.union([z.literal('auto'), intIn(1, MAX_FINAL_CANDIDATES)]).default('auto'),
    /**
     * Start the finals on slots the search cannot use while its last trials run, from the range so
     * far; a finished search that moves the range restarts them (the search always comes first).
     */
    startEarly: z.boolean().default(true),
  })
  .refine((f) => f.warmRestarts === undefined || f.schedule === 'cosine-restarts', {
    error: 'applies only to schedule: cosine-restarts (set final.schedule to cosine-restarts, or remove final.warmRestarts)',
    path: ['warmRestarts'],
  });

export const RangeTestSpec = z
  .strictObject({
    min: positiveRate.default(1e-7),
    max: positiveRate.default(10),
    steps: intIn(6, 100_000).default(100),
    seeds: intIn(1, 64).default(4),
    /** EMA factor of the debiased smoothing (fastai uses 0.98). */
    beta: z.number().min(0).lt(1).default(0.9),
    /** Stop once the smoothed loss exceeds this many times its minimum; defaults to pruning.divergenceFactor. */
    divergenceFactor: z.number().gt(1).max(1000).optional(),
  })
  .refine((r) => r.min < r.max, { error: 'min must be less than max', path: ['min'] });

const GROUP_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const LayerGroupSpec = z
  .strictObject({
    name: z.string().regex(GROUP_NAME, { error: 'must be 1-64 letters, digits, ".", "_" or "-"' }),
    layers: z.array(z.string().min(1).max(128), { error: 'must be a list of layer name patterns, e.g. ["conv*"]' }).min(1).max(64).optional(),
    indices: z
      .tuple([z.number().int(), z.number().int()], { error: 'must be [first, last]: indices of layers with weights, inclusive (negative counts from the end)' })
      .optional(),
    frozen: z.boolean().default(false),
  })
  .refine((g) => (g.layers === undefined) !== (g.indices === undefined), { error: 'give either layers (name patterns) or indices ([first, last]), exactly one' });

export const LayerGroupsSpec = z.strictObject({
  groups: z.array(LayerGroupSpec).min(1).max(32).optional(),
  spread: z.number().min(1, { error: 'must be at least 1 (the last group\'s rate over the first\'s)' }).max(1e6).optional(),
  multipliers: z.array(z.number().min(0).max(1e6)).min(1).max(32).optional(),
  sweep: z
    .union([z.enum(['base', 'spread']), z.strictObject({ group: z.string().regex(GROUP_NAME) })], {
      error: "must be 'base', 'spread' or { group: <name> }",
    })
    .default('base'),
  base: positiveRate.optional(),
});

const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/;

export const SweepSpec = z
  .strictObject({
    name: z.string().regex(NAME_PATTERN, {
      error: 'must be 1-64 lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
    }),
    seed: intIn(0, 2 ** 31 - 1).default(42),
    model: ModelSpec,
    dataset: DatasetSpec,
    optimizer: OptimizerSpec.default({ name: 'sgd' }),
    batchSize: intIn(1, 4096).default(64),
    grid: GridSpec.default({ min: 1e-4, max: 10, points: 16 }),
    search: SearchSpec.default({ strategy: 'asha', minSteps: 25, maxSteps: 375, reductionFactor: 3, reportEvery: 5 }),
    pruning: PruningSpec.default({ divergenceFactor: 4, stagnation: { windowSteps: 50, minRelImprovement: 0.01 } }),
    final: FinalSpec.default({ epochs: 3, schedule: 'one-cycle', divergenceGuard: { ...DEFAULT_DIVERGENCE_GUARD }, candidates: 'auto', startEarly: true }),
    rangeTest: RangeTestSpec.default({ min: 1e-7, max: 10, steps: 100, seeds: 4, beta: 0.9 }),
    layerGroups: LayerGroupsSpec.optional(),
  })
  .superRefine((spec, ctx) => {
    const shape = builtinDatasetShape(spec.dataset as { builtin?: string; classes?: number });
    if ('builtin' in spec.model && shape) {
      const parameters = builtinParameterCount(spec.model, shape.inputShape, shape.numClasses);
      if (parameters > MAX_PARAMETERS) {
        ctx.addIssue({
          code: 'custom',
          path: ['model'],
          message: `has ${parameters.toLocaleString('en-US')} parameters, more than the limit of ${MAX_PARAMETERS.toLocaleString('en-US')}; use fewer or narrower layers`,
        });
      }
    }
    if (spec.layerGroups) {
      const names = 'builtin' in spec.model ? builtinWeightedLayerNames(spec.model) : undefined;
      for (const [path, message] of checkLayerGroups(spec.layerGroups, names, spec.grid.max)) {
        ctx.addIssue({ code: 'custom', path: path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message });
      }
    }
    const isImageData = 'builtin' in spec.dataset && spec.dataset.builtin === 'mnist';
    if ('builtin' in spec.model && spec.model.builtin === 'cnn' && !isImageData) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'builtin'],
        message: 'cnn needs image data (dataset.builtin: mnist); use builtin: mlp for this dataset',
      });
    }
  });

export type SweepSpec = z.output<typeof SweepSpec>;
export type SweepSpecInput = z.input<typeof SweepSpec>;
export type ModelSpec = z.output<typeof ModelSpec>;
export type DatasetSpec = z.output<typeof DatasetSpec>;
export type OptimizerSpec = z.output<typeof OptimizerSpec>;
export type RangeTestSpec = z.output<typeof RangeTestSpec>;
export type ScheduleName = z.output<typeof ScheduleName>;
export type FinalSpec = z.output<typeof FinalSpec>;
export type LayerGroupsSpecOutput = z.output<typeof LayerGroupsSpec>;
