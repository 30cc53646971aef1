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

export const MAX_LAYER_UNITS = 4096;

const mlpModel = z.strictObject({
  builtin: z.literal('mlp'),
  hidden: z.array(intIn(1, MAX_LAYER_UNITS), { error: 'must be a list of layer widths, e.g. [128]' }).max(8).default([128]),
  activation: z.enum(['relu', 'tanh', 'elu', 'sigmoid']).default('relu'),
});

const cnnModel = z.strictObject({
  builtin: z.literal('cnn'),
  filters: z.array(intIn(1, 256)).min(1).max(4).default([8, 16]),
  kernelSize: intIn(1, 7).default(3),
  dense: z.array(intIn(1, MAX_LAYER_UNITS)).max(4).default([]),
});

const topologyModel = z.strictObject({
  topology: z.string().min(1, { error: 'must be the path of a tfjs-layers model JSON file' }),
});

export const ModelSpec = z.union([mlpModel, cnnModel, topologyModel], {
  error: 'must be { builtin: mlp | cnn, ... } or { topology: <path to a tfjs-layers model JSON> }',
});

const splitFields = {
  validationFraction: fraction(0, 0.9).default(0.2),
  sampleFraction: fraction(0, 1).default(0.25),
};

const mnistDataset = z.strictObject({ builtin: z.literal('mnist'), ...splitFields });
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

export const ScheduleName = z.enum(['constant', 'one-cycle', 'triangular', 'cosine']);

export const FinalSpec = z.strictObject({
  epochs: intIn(1, 1000).default(3),
  schedule: ScheduleName.default('one-cycle'),
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
    final: FinalSpec.default({ epochs: 3, schedule: 'one-cycle' }),
    rangeTest: RangeTestSpec.default({ min: 1e-7, max: 10, steps: 100, seeds: 4, beta: 0.9 }),
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
