import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { constant, parseSpec, type LayerGroupsConfig, type OptimizerSpec, type SweepSpec } from '@lrsweep/shared';
import { selectBackend } from '../backend/select.js';
import { csrBatch, disposeCsrBatch, sparseDenseKernels, type CsrBatch } from '../backend/sparse-dense.js';
import type { LabelledData } from '../data/dataset.js';
import { loadDataSplits } from '../data/load.js';
import { csrOfRows, sparseRows } from '../data/sparse.js';
import { buildModel } from '../models/build.js';
import { denseFastPath } from './dense-gradients.js';
import { Trainer } from './trainer.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

type Act = 'relu' | 'tanh' | 'sigmoid' | 'linear';

/** A Sequential MLP (Flatten first for image inputs) ending in 3 linear logits. */
function mlp(inputShape: number[], hidden: number[], activation: Act | 'elu' | 'softmax', extra: Partial<Parameters<typeof tfl.layers.dense>[0]> = {}): tfl.Sequential {
  const model = tfl.sequential();
  if (inputShape.length > 1) model.add(tfl.layers.flatten({ inputShape }));
  hidden.forEach((units, i) =>
    model.add(tfl.layers.dense({ ...(i === 0 && inputShape.length === 1 ? { inputShape } : {}), units, activation, kernelInitializer: tfl.initializers.glorotUniform({ seed: 10 + i }), biasInitializer: tfl.initializers.randomNormal({ seed: 20 + i, stddev: 0.1 }), ...extra })),
  );
  model.add(tfl.layers.dense({ ...(hidden.length === 0 ? { inputShape } : {}), units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 30 }) }));
  return model;
}

const variablesOf = (model: tfl.LayersModel) => model.trainableWeights.map((w) => w.read() as tf.Variable);

/** A batch of random inputs of `shape` and one-hot labels over 3 classes. */
function batch(shape: number[], seed: number, examples = 8): { xs: tf.Tensor; ys: tf.Tensor } {
  return tf.tidy(() => ({
    xs: tf.randomNormal([examples, ...shape], 0, 1, 'float32', seed),
    ys: tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: examples }, (_, i) => (i * 7) % 3), 'int32'), 3), 'float32'),
  }));
}

/** max |a − b| relative to max |b| (the scale of the gradient). */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return diff / Math.max(scale, 1e-6);
}

/** The batch's non-zeros in CSR form (examples flattened). */
function csrOf(xs: tf.Tensor): CsrBatch {
  const rows = xs.shape[0];
  const size = xs.size / rows;
  const csr = csrOfRows(sparseRows(xs.dataSync() as Float32Array, size), Array.from({ length: rows }, (_, i) => i));
  return csrBatch(rows, size, csr.rowPtr, csr.indices, csr.values);
}

/** The fast path's loss and gradients against the tape's, for `variables` of `model`; with `sparse`, from a CSR input. */
function compareWithTape(model: tfl.LayersModel, variables: tf.Variable[], xs: tf.Tensor, ys: tf.Tensor, sparse = false): void {
  const fast = denseFastPath(model, variables, { sparse: sparse ? sparseDenseKernels() : undefined });
  expect(fast).toBeDefined();
  expect(fast!.sparseInput).toBe(sparse);
  const csr = sparse ? csrOf(xs) : undefined;
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const tape = tf.variableGrads(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(ys, model.apply(xs, { training: true }) as tf.Tensor), variables);
    const mine = fast!.lossAndGrads(csr ?? xs, ys);
    expect(relativeError(mine.value, tape.value)).toBeLessThan(1e-5);
    expect(Object.keys(mine.grads).sort()).toEqual(variables.map((v) => v.name).sort());
    for (const v of variables) expect(relativeError(mine.grads[v.name]!, tape.grads[v.name]!), v.name).toBeLessThan(1e-5);
  });
  expect(tf.memory().numTensors).toBe(before);
  if (csr) disposeCsrBatch(csr);
}

/** Inputs with about 80% zeros, like MNIST's pixels. */
function sparseBatch(shape: number[], seed: number, examples = 8): { xs: tf.Tensor; ys: tf.Tensor } {
  const { xs, ys } = batch(shape, seed, examples);
  const sparse = tf.tidy(() => tf.mul(xs, tf.cast(tf.greater(xs, 0.85), 'float32')));
  xs.dispose();
  return { xs: sparse, ys };
}

describe('denseFastPath gradients match tf.variableGrads', () => {
  // Batches of 8 take the transposed forward pass in the hidden layers (wider than the batch),
  // batches of 40 the plain one.
  const cases: { activation: Act; hidden: number[]; inputShape: number[]; examples: number }[] = [];
  for (const activation of ['relu', 'tanh', 'sigmoid', 'linear'] as const) {
    for (const examples of [8, 40]) {
      cases.push({ activation, hidden: [16], inputShape: [5], examples });
      cases.push({ activation, hidden: [16, 12], inputShape: [5], examples });
      cases.push({ activation, hidden: [16, 12], inputShape: [4, 4, 1], examples });
    }
  }
  cases.push({ activation: 'relu', hidden: [], inputShape: [4, 4, 1], examples: 8 });

  it.each(cases)('$activation, hidden $hidden, input $inputShape, batch $examples', ({ activation, hidden, inputShape, examples }) => {
    const model = mlp(inputShape, hidden, activation);
    const { xs, ys } = batch(inputShape, 1, examples);
    compareWithTape(model, variablesOf(model), xs, ys);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('returns gradients only for the variables asked for, through frozen layers in between', () => {
    const model = mlp([5], [16, 12], 'tanh');
    const all = variablesOf(model);
    const { xs, ys } = batch([5], 2);
    // Trainable: the first layer and the logits; the middle layer is frozen.
    compareWithTape(model, [all[0]!, all[1]!, all[4]!, all[5]!], xs, ys);
    // Only the head: no backward pass below it.
    compareWithTape(model, [all[4]!, all[5]!], xs, ys);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('takes the built-in MLPs, flat and image', async () => {
    for (const [shape, activation] of [[[2], 'relu'], [[28, 28, 1], 'tanh'], [[28, 28, 1], 'sigmoid']] as const) {
      const { model } = await buildModel({ builtin: 'mlp', hidden: [32], activation }, [...shape], 10, 1);
      expect(denseFastPath(model, variablesOf(model))).toBeDefined();
      model.dispose();
    }
  });
});

describe('denseFastPath with a CSR input (the sparse first layer) matches tf.variableGrads', () => {
  const cases: { activation: Act; hidden: number[]; inputShape: number[]; examples: number }[] = [];
  for (const activation of ['relu', 'tanh', 'sigmoid', 'linear'] as const) {
    cases.push({ activation, hidden: [16], inputShape: [20], examples: 8 });
    cases.push({ activation, hidden: [36, 12], inputShape: [6, 6, 1], examples: 40 });
  }
  cases.push({ activation: 'relu', hidden: [], inputShape: [6, 6, 1], examples: 8 });

  it.each(cases)('$activation, hidden $hidden, input $inputShape, batch $examples', ({ activation, hidden, inputShape, examples }) => {
    // No hidden layer: the first layer is the 3 logits, not a multiple of 4, so no sparse input.
    const model = mlp(inputShape, hidden, activation);
    const { xs, ys } = sparseBatch(inputShape, 3, examples);
    if (hidden.length === 0) {
      expect(denseFastPath(model, variablesOf(model), { sparse: sparseDenseKernels() })?.sparseInput).toBe(false);
    } else {
      compareWithTape(model, variablesOf(model), xs, ys, true);
    }
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it.each(cases)('logits (the evaluation forward pass), CSR and dense: $activation, hidden $hidden, input $inputShape', ({ activation, hidden, inputShape, examples }) => {
    const model = mlp(inputShape, hidden, activation);
    const { xs, ys } = sparseBatch(inputShape, 6, examples);
    const fast = denseFastPath(model, variablesOf(model), { sparse: sparseDenseKernels() })!;
    const expected = model.apply(xs, { training: false }) as tf.Tensor;
    const dense = tf.tidy(() => fast.logits(xs));
    expect(dense.shape).toEqual([examples, 3]);
    expect(relativeError(dense, expected)).toBeLessThan(1e-5);
    if (fast.sparseInput) {
      const csr = csrOf(xs);
      const sparse = tf.tidy(() => fast.logits(csr));
      expect(relativeError(sparse, expected)).toBeLessThan(1e-5);
      disposeCsrBatch(csr);
      sparse.dispose();
    }
    tf.dispose([xs, ys, expected, dense]);
    model.dispose();
  });

  it('a frozen first layer: the sparse forward pass only', () => {
    const model = mlp([20], [16, 12], 'relu');
    const all = variablesOf(model);
    const { xs, ys } = sparseBatch([20], 4);
    compareWithTape(model, all.slice(2), xs, ys, true);
    compareWithTape(model, [all[1]!, ...all.slice(2)], xs, ys, true);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('refuses a CSR input without the kernels', () => {
    const model = mlp([20], [16], 'relu');
    const { xs, ys } = sparseBatch([20], 5);
    const csr = csrOf(xs);
    expect(() => tf.tidy(() => void denseFastPath(model, variablesOf(model))!.lossAndGrads(csr, ys))).toThrow(/no CSR input/);
    disposeCsrBatch(csr);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});

describe('denseFastPath refuses what it does not compute', () => {
  it('a CNN', async () => {
    const { model } = await buildModel({ builtin: 'cnn', filters: [4], kernelSize: 3, dense: [] }, [8, 8, 1], 3, 1);
    expect(denseFastPath(model, variablesOf(model))).toBeUndefined();
    model.dispose();
  });

  it('a model with dropout', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [5], units: 8, activation: 'relu' }), tfl.layers.dropout({ rate: 0.5 }), tfl.layers.dense({ units: 3 })] });
    expect(denseFastPath(model, variablesOf(model))).toBeUndefined();
    model.dispose();
  });

  it.each(['elu', 'softmax'] as const)('a hidden %s activation', (activation) => {
    const model = mlp([5], [8], activation);
    expect(denseFastPath(model, variablesOf(model))).toBeUndefined();
    model.dispose();
  });

  it('a regularizer, a constraint, or no bias', () => {
    for (const extra of [{ kernelRegularizer: tfl.regularizers.l2() }, { biasRegularizer: tfl.regularizers.l1() }, { kernelConstraint: tfl.constraints.maxNorm({}) }, { useBias: false }]) {
      const model = mlp([5], [8], 'relu', extra);
      expect(denseFastPath(model, variablesOf(model))).toBeUndefined();
      model.dispose();
    }
  });

  it('an image input without Flatten, and a variable that is not the model’s', () => {
    const image = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4, 2], units: 3 })] });
    expect(denseFastPath(image, variablesOf(image))).toBeUndefined();
    image.dispose();
    const model = mlp([5], [8], 'relu');
    const stranger = tf.variable(tf.zeros([3]));
    expect(denseFastPath(model, [...variablesOf(model), stranger])).toBeUndefined();
    expect(denseFastPath(model, [])).toBeUndefined();
    stranger.dispose();
    model.dispose();
  });
});

describe('Trainer with and without the fast path', () => {
  const spec: SweepSpec = parseSpec({
    name: 'fast-path',
    seed: 5,
    model: { builtin: 'mlp', hidden: [16, 12] },
    dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 100, validationFraction: 0.2, sampleFraction: 1 },
  });
  let train: LabelledData;
  let validation: LabelledData;
  beforeAll(() => {
    ({ train, validation } = loadDataSplits(spec));
  });

  async function run(fastPath: boolean, optimizer: OptimizerSpec, layerGroups?: LayerGroupsConfig, activation: 'relu' | 'elu' = 'relu') {
    const trainer = await Trainer.create({ model: { builtin: 'mlp', hidden: [16, 12], activation }, optimizer, batchSize: 32, seed: 3, train, validation, layerGroups, fastPath });
    try {
      // The fast path runs far fewer kernels per step than the tape: proof that it is in use.
      const kernels = (await tf.profile(() => tf.dispose(trainer.trainStep({ learningRate: 0.05 })))).kernels.length;
      const losses: number[] = [];
      await trainer.run({ untilStep: 31, schedule: constant(optimizer.name === 'adam' ? 0.01 : 0.1), reportEvery: 1, onReport: (r) => void losses.push(r.loss) });
      const weights = trainer.model.getWeights().map((w) => Array.from(w.dataSync()));
      return { kernels, losses, weights };
    } finally {
      trainer.dispose();
    }
  }

  function expectSameRun(a: Awaited<ReturnType<typeof run>>, b: Awaited<ReturnType<typeof run>>): void {
    expect(a.losses).toHaveLength(30);
    a.losses.forEach((l, i) => expect(Math.abs(l - b.losses[i]!), `step ${i + 2}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(b.losses[i]!))));
    a.weights.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - b.weights[i]![j]!)).toBeLessThan(1e-4)));
  }

  it.each<OptimizerSpec>([{ name: 'sgd' }, { name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }])('$name: 30 steps give the same losses and weights', async (optimizer) => {
    const fast = await run(true, optimizer);
    const tape = await run(false, optimizer);
    // Adam's update is the same number of kernels either way; the gradient part shrinks.
    expect(tape.kernels - fast.kernels).toBeGreaterThan(30);
    expectSameRun(fast, tape);
  });

  it('a frozen first layer stays put and the rest trains as with the tape', async () => {
    const layerGroups: LayerGroupsConfig = { groups: [{ name: 'body', layers: ['hidden1'], frozen: true }, { name: 'head', layers: ['hidden2', 'logits'], frozen: false }], sweep: 'base' };
    const fast = await run(true, { name: 'sgd' }, layerGroups);
    const tape = await run(false, { name: 'sgd' }, layerGroups);
    expect(fast.kernels).toBeLessThan(tape.kernels);
    expectSameRun(fast, tape);
    const { model } = await buildModel({ builtin: 'mlp', hidden: [16, 12], activation: 'relu' }, train.featureShape, train.numClasses, 3);
    const initial = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    expect(fast.weights[0]).toEqual(initial[0]);
    expect(fast.weights[1]).toEqual(initial[1]);
    expect(fast.weights[2]).not.toEqual(initial[2]);
  });

  it('MNIST images (Flatten), a hidden layer wider than the batch (the transposed forward pass)', async () => {
    const mnist = parseSpec({ name: 'mnist', model: { builtin: 'mlp', hidden: [48] }, dataset: { builtin: 'mnist', sampleFraction: 0.02 }, optimizer: { name: 'sgd' } });
    const splits = loadDataSplits(mnist);
    const losses = async (fastPath: boolean) => {
      const trainer = await Trainer.create({ model: mnist.model, optimizer: mnist.optimizer, batchSize: 16, seed: 2, train: splits.sample, validation: splits.validation, fastPath, sparseInput: false });
      expect(trainer.inputPath).toBe('dense');
      const out: number[] = [];
      try {
        await trainer.run({ untilStep: 30, schedule: constant(0.1), reportEvery: 1, onReport: (r) => void out.push(r.loss) });
        return { out, weights: trainer.model.getWeights().map((w) => Array.from(w.dataSync())) };
      } finally {
        trainer.dispose();
      }
    };
    const fast = await losses(true);
    const tape = await losses(false);
    expect(fast.out).toHaveLength(30);
    fast.out.forEach((l, i) => expect(Math.abs(l - tape.out[i]!), `step ${i + 1}`).toBeLessThan(1e-4 * Math.max(1, tape.out[i]!)));
    fast.weights.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - tape.weights[i]![j]!)).toBeLessThan(1e-4)));
    expect(fast.out.at(-1)!).toBeLessThan(fast.out[0]!);
  });

  it.each<OptimizerSpec>([{ name: 'sgd' }, { name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }])(
    'MNIST with sparse input ($name): the same losses and weights as the dense path, and the tape',
    async (optimizer) => {
      const mnist = parseSpec({ name: 'mnist', model: { builtin: 'mlp', hidden: [128] }, dataset: { builtin: 'mnist', sampleFraction: 0.05 }, optimizer });
      const splits = loadDataSplits(mnist);
      const train = async (fastPath: boolean, sparseInput: boolean) => {
        const trainer = await Trainer.create({ model: mnist.model, optimizer, batchSize: 64, seed: 4, train: splits.sample, validation: splits.validation, fastPath, sparseInput });
        const out: number[] = [];
        try {
          await trainer.run({ untilStep: 40, schedule: constant(optimizer.name === 'adam' ? 0.003 : 0.1), reportEvery: 1, onReport: (r) => void out.push(r.loss) });
          const evaluation = await trainer.evaluate();
          const { kernels } = await tf.profile(async () => void (await trainer.evaluate()));
          const evaluationReadsPixels = kernels.some((k) => k.inputShapes.some((shape) => shape?.at(-1) === 784 && shape.length === 2));
          return { path: trainer.inputPath, out, evaluation, evaluationReadsPixels, weights: trainer.model.getWeights().map((w) => Array.from(w.dataSync())) };
        } finally {
          trainer.dispose();
        }
      };
      const sparse = await train(true, true);
      const dense = await train(true, false);
      const tape = await train(false, true);
      expect([sparse.path, dense.path, tape.path]).toEqual(['sparse', 'dense', 'dense']);
      for (const other of [dense, tape]) {
        sparse.out.forEach((l, i) => expect(Math.abs(l - other.out[i]!), `step ${i + 1}`).toBeLessThan(1e-4 * Math.max(1, other.out[i]!)));
        sparse.weights.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - other.weights[i]![j]!)).toBeLessThan(1e-4)));
        expect(sparse.evaluation.valLoss).toBeCloseTo(other.evaluation.valLoss, 4);
        expect(sparse.evaluation.valAccuracy).toBeCloseTo(other.evaluation.valAccuracy, 2);
      }
      // The sparse trainer evaluates sparse too: no dense product over the 784 pixels.
      expect(sparse.evaluationReadsPixels).toBe(false);
      expect(dense.evaluationReadsPixels).toBe(true);
      // It learns: the last losses are well under the first.
      expect(sparse.out.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(sparse.out[0]! * 0.8);
    },
  );

  it('an unsupported model trains on the tape as before', async () => {
    const fast = await run(true, { name: 'sgd' }, undefined, 'elu');
    const tape = await run(false, { name: 'sgd' }, undefined, 'elu');
    expect(fast.kernels).toBe(tape.kernels);
    expect(fast.losses).toEqual(tape.losses);
  });
});
