import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { constant, parseSpec, type LayerGroupsConfig, type OptimizerSpec, type SweepSpec } from '@lrsweep/shared';
import { selectBackend } from '../backend/select.js';
import { exampleCount, type LabelledData } from '../data/dataset.js';
import { loadDataSplits } from '../data/load.js';
import { buildModel } from '../models/build.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import { Trainer } from './trainer.js';

/**
 * Per-group updates checked against updates computed by hand (float64, in this file) from the
 * exact gradients. The batch is the whole (small) training set, so the gradient of each step is
 * known without looking inside the trainer: it is the gradient of the full-data loss at the
 * trainer's current weights, taken on a separate copy of the model.
 */

const spec: SweepSpec = parseSpec({
  name: 'groups',
  seed: 9,
  model: { builtin: 'mlp', hidden: [8, 6] },
  dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 40, validationFraction: 0.25, sampleFraction: 1 },
});

let train: LabelledData;
let validation: LabelledData;

beforeAll(async () => {
  await selectBackend('cpu');
  ({ train, validation } = loadDataSplits(spec));
});

const SEED = 4;
const fullBatch = () => exampleCount(train);

async function makeTrainer(optimizer: OptimizerSpec, layerGroups: LayerGroupsConfig | undefined): Promise<Trainer> {
  return Trainer.create({ model: spec.model, optimizer, batchSize: fullBatch(), seed: SEED, train, validation, layerGroups });
}

/** Weights of the trainer's model by layer and weight name, as float64 arrays. */
function weightsOf(trainer: Trainer): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const layer of trainer.model.layers) for (const w of layer.weights) out.set(w.originalName, Float64Array.from(w.read().dataSync()));
  return out;
}

/** Gradient of the full-data mean cross-entropy at the given weights, on a separate model. */
async function gradientAt(weights: Map<string, Float64Array>): Promise<Map<string, Float64Array>> {
  const { model } = await buildModel(spec.model, train.featureShape, train.numClasses, SEED);
  try {
    for (const layer of model.layers) if (layer.weights.length) layer.setWeights(layer.weights.map((w) => tf.tensor(Float32Array.from(weights.get(w.originalName)!), w.shape as number[])));
    const xs = tf.tensor(train.features, [exampleCount(train), ...train.featureShape]);
    const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), train.numClasses);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads, value } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(ys, model.apply(xs, { training: true }) as tf.Tensor), vars);
    const out = new Map<string, Float64Array>();
    model.trainableWeights.forEach((w, i) => out.set(w.originalName, Float64Array.from(grads[vars[i]!.name]!.dataSync())));
    tf.dispose([xs, ys, value, ...Object.values(grads)]);
    return out;
  } finally {
    model.dispose();
  }
}

const groupOf = (weightName: string, groups: Record<string, string[]>) => Object.entries(groups).find(([, layers]) => layers.some((l) => weightName.startsWith(`${l}/`)))![0];

/** One optimizer per group, by hand: the formulas of optimizers.ts (and tfjs) in float64. */
class HandOptimizer {
  private readonly slots = new Map<string, Float64Array[]>();
  private t = 0;
  constructor(private readonly spec: OptimizerSpec) {}

  step(weight: string, w: Float64Array, g: Float64Array, lr: number): Float64Array {
    const slot = (name: string, count = 1) => {
      const key = `${weight}:${name}`;
      if (!this.slots.has(key)) this.slots.set(key, Array.from({ length: count }, () => new Float64Array(w.length)));
      return this.slots.get(key)!;
    };
    const out = new Float64Array(w.length);
    const o = this.spec;
    if (o.name === 'sgd') for (let i = 0; i < w.length; i++) out[i] = w[i]! - lr * g[i]!;
    else if (o.name === 'momentum') {
      const [acc] = slot('momentum') as [Float64Array];
      for (let i = 0; i < w.length; i++) {
        acc[i] = acc[i]! * o.momentum + g[i]!;
        out[i] = w[i]! - lr * (o.nesterov ? g[i]! + acc[i]! * o.momentum : acc[i]!);
      }
    } else if (o.name === 'adam') {
      const [m, v] = slot('adam', 2) as [Float64Array, Float64Array];
      const t = this.t;
      for (let i = 0; i < w.length; i++) {
        m[i] = m[i]! * o.beta1 + g[i]! * (1 - o.beta1);
        v[i] = v[i]! * o.beta2 + g[i]! * g[i]! * (1 - o.beta2);
        const mHat = m[i]! / (1 - o.beta1 ** t);
        const vHat = v[i]! / (1 - o.beta2 ** t);
        out[i] = w[i]! - lr * (mHat / (Math.sqrt(vHat) + o.epsilon));
      }
    } else throw new Error('not covered here');
    return out;
  }
  /** Called once per update of this group (Adam's bias correction counts the group's own updates). */
  tick(): void {
    this.t += 1;
  }
}

function expectClose(actual: Float64Array, expected: Float64Array, what: string): void {
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1e-6 + Math.abs(expected[i]!)));
  expect(worst, what).toBeLessThan(2e-3);
}

const BODY_HEAD = { body: ['hidden1', 'hidden2'], head: ['logits'] };

describe('per-layer-group updates match hand-computed steps', () => {
  const optimizers: OptimizerSpec[] = [{ name: 'sgd' }, { name: 'momentum', momentum: 0.9, nesterov: false }, { name: 'momentum', momentum: 0.8, nesterov: true }, { name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }];
  it.each(optimizers)('$name (nesterov: $nesterov): body at 1/20 of the head rate, five steps', async (optimizer) => {
    const layerGroups: LayerGroupsConfig = { groups: [{ name: 'body', layers: ['hidden*'], frozen: false }, { name: 'head', layers: ['logits'], frozen: false }], spread: 20, sweep: 'base' };
    const trainer = await makeTrainer(optimizer, layerGroups);
    const x = optimizer.name === 'adam' ? 0.01 : 0.3;
    expect(trainer.ratesFor(x)).toEqual([x / 20, x]);
    const hand = { body: new HandOptimizer(optimizer), head: new HandOptimizer(optimizer) };
    let expected = weightsOf(trainer);
    try {
      for (let step = 0; step < 5; step++) {
        const grads = await gradientAt(weightsOf(trainer));
        hand.body.tick();
        hand.head.tick();
        const next = new Map<string, Float64Array>();
        for (const [name, w] of expected) {
          const group = groupOf(name, BODY_HEAD) as 'body' | 'head';
          next.set(name, hand[group].step(name, w, grads.get(name)!, group === 'head' ? x : x / 20));
        }
        expected = next;
        tf.dispose(trainer.trainStep({ learningRate: x }));
        const actual = weightsOf(trainer);
        for (const [name, w] of expected) expectClose(actual.get(name)!, w, `${name} after step ${step + 1}`);
        // Hand and trainer must agree from the trainer's weights on: reset drift for the next step.
        expected = actual;
      }
    } finally {
      trainer.dispose();
    }
  });

  it('is not the same as one rate for all layers (the check above can fail)', async () => {
    const grouped = await makeTrainer({ name: 'sgd' }, { groups: [{ name: 'body', layers: ['hidden*'], frozen: false }, { name: 'head', layers: ['logits'], frozen: false }], spread: 20, sweep: 'base' });
    const single = await makeTrainer({ name: 'sgd' }, undefined);
    tf.dispose([grouped.trainStep({ learningRate: 0.3 }), single.trainStep({ learningRate: 0.3 })]);
    const a = weightsOf(grouped);
    const b = weightsOf(single);
    expect(Array.from(a.get('logits/kernel')!)).toEqual(Array.from(b.get('logits/kernel')!));
    expect(Array.from(a.get('hidden1/kernel')!)).not.toEqual(Array.from(b.get('hidden1/kernel')!));
    grouped.dispose();
    single.dispose();
  });

  it('leaves a frozen group exactly as it was, and keeps no optimizer state for it', async () => {
    const trainer = await makeTrainer({ name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, {
      groups: [{ name: 'body', layers: ['hidden*'], frozen: true }, { name: 'head', indices: [-1, -1], frozen: false }],
      sweep: 'base',
    });
    const before = weightsOf(trainer);
    for (let i = 0; i < 3; i++) tf.dispose(trainer.trainStep({ learningRate: 0.01 }));
    const after = weightsOf(trainer);
    expect(Array.from(after.get('hidden1/kernel')!)).toEqual(Array.from(before.get('hidden1/kernel')!));
    expect(Array.from(after.get('hidden2/bias')!)).toEqual(Array.from(before.get('hidden2/bias')!));
    expect(Array.from(after.get('logits/kernel')!)).not.toEqual(Array.from(before.get('logits/kernel')!));
    expect(trainer.ratesFor(0.01)).toEqual([0, 0.01]);
    const snapshot = trainer.snapshot();
    expect(snapshot.optimizers).toHaveLength(1);
    expect(Object.keys(snapshot.optimizers[0]!.slots).sort()).toEqual(['m', 'v']);
    expect(snapshot.optimizers[0]!.slots.m).toHaveLength(2); // logits kernel and bias only
    trainer.dispose();
  });

  it('names a layer in no group, or a pattern that matches nothing, with the spec field', async () => {
    await expect(makeTrainer({ name: 'sgd' }, { groups: [{ name: 'body', layers: ['hidden*'], frozen: false }], sweep: 'base' })).rejects.toMatchObject({
      name: 'TrainingSetupError',
      field: 'layerGroups.groups',
      message: expect.stringMatching(/'logits' are in no group/) as string,
    });
    await expect(makeTrainer({ name: 'sgd' }, { groups: [{ name: 'x', layers: ['conv*'], frozen: false }], sweep: 'base' })).rejects.toMatchObject({ field: 'layerGroups.groups.0.layers.0' });
  });
});

describe('checkpoints keep each group\'s optimizer state', () => {
  it.each(['momentum', 'adam'] as const)('%s: a restored trainer (through the byte codec) continues exactly', async (name) => {
    await selectBackend('wasm');
    const layerGroups: LayerGroupsConfig = { multipliers: [0.05, 0.3, 1], sweep: 'base' }; // default split: one group per layer
    const optimizer: OptimizerSpec = name === 'adam' ? { name, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } : { name, momentum: 0.9, nesterov: false };
    const make = () => Trainer.create({ model: spec.model, optimizer, batchSize: 16, seed: 2, train, validation, layerGroups });
    const schedule = constant(name === 'adam' ? 0.01 : 0.1);
    const straight: number[] = [];
    const a = await make();
    expect(a.layerGroups.map((g) => g.name)).toEqual(['hidden1', 'hidden2', 'logits']);
    await a.run({ untilStep: 24, schedule, reportEvery: 1, onReport: (r) => void straight.push(r.loss) });
    const finalA = await a.evaluate();
    a.dispose();

    const resumed: number[] = [];
    const b = await make();
    await b.run({ untilStep: 11, schedule, reportEvery: 1, onReport: (r) => void resumed.push(r.loss) });
    const bytes = encodeSnapshot(b.snapshot());
    b.dispose();
    const c = await make();
    const snapshot = decodeSnapshot(bytes);
    expect(snapshot.optimizers).toHaveLength(3);
    c.restore(snapshot);
    await c.run({ untilStep: 24, schedule, reportEvery: 1, onReport: (r) => void resumed.push(r.loss) });
    const finalC = await c.evaluate();
    c.dispose();
    expect(resumed).toEqual(straight);
    expect(finalC).toEqual(finalA);
    await selectBackend('cpu');
  });

  it('refuses a snapshot with state for a different number of groups', async () => {
    const a = await makeTrainer({ name: 'sgd' }, { spread: 10, sweep: 'base' });
    const b = await makeTrainer({ name: 'sgd' }, undefined);
    expect(() => b.restore(a.snapshot())).toThrow(/optimizer state for 3 layer groups, the trainer 1/);
    a.dispose();
    b.dispose();
  });
});
