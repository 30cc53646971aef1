import * as tf from '@tensorflow/tfjs-core';
import { constant, parseSpec, type BackendName, type SweepSpec } from '@lrsweep/shared';
import { loadDataSplits, selectBackend, Trainer } from '@lrsweep/worker';

export interface ThroughputResult {
  model: 'mlp' | 'cnn';
  backend: BackendName;
  /** Our training loop (the trainer a worker runs). */
  stepsPerSecond: number;
  /** Baseline in the same process: tfjs-layers `model.fit` on the same model, data and batch. */
  modelFitStepsPerSecond: number;
  /** stepsPerSecond / modelFitStepsPerSecond. */
  ratio: number;
  steps: number;
}

const specFor = (model: 'mlp' | 'cnn'): SweepSpec =>
  parseSpec({
    name: `bench-${model}`,
    model: model === 'mlp' ? { builtin: 'mlp', hidden: [128] } : { builtin: 'cnn', filters: [8, 16], kernelSize: 3 },
    dataset: { builtin: 'mnist', validationFraction: 0.2, sampleFraction: 1 },
    optimizer: { name: 'sgd' },
    batchSize: 64,
  });

/** Runs `step` repeatedly for about `seconds` (at least `minSteps`), after `warmup` untimed steps. */
async function timeSteps(step: () => Promise<void>, seconds: number, warmup = 3, minSteps = 3): Promise<{ steps: number; perSecond: number }> {
  for (let i = 0; i < warmup; i++) await step();
  const start = performance.now();
  let steps = 0;
  while (steps < minSteps || performance.now() - start < seconds * 1000) {
    await step();
    steps += 1;
  }
  return { steps, perSecond: steps / ((performance.now() - start) / 1000) };
}

async function measureTrainer(spec: SweepSpec, seconds: number): Promise<{ steps: number; perSecond: number }> {
  const splits = loadDataSplits(spec);
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: spec.seed, train: splits.train, validation: splits.validation });
  const schedule = constant(0.05);
  try {
    // Five steps per call, reading the loss back once, as a worker reporting every 5 steps does.
    const r = await timeSteps(() => trainer.run({ untilStep: trainer.step + 5, schedule, reportEvery: 5 }).then(() => undefined), seconds, 1, 1);
    return { steps: r.steps * 5, perSecond: r.perSecond * 5 };
  } finally {
    trainer.dispose();
  }
}

async function measureModelFit(spec: SweepSpec, seconds: number): Promise<{ steps: number; perSecond: number }> {
  const splits = loadDataSplits(spec);
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: spec.seed, train: splits.train, validation: splits.validation });
  const model = trainer.model;
  model.compile({ optimizer: tf.train.sgd(0.05), loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p) });
  const batches = 10;
  const n = spec.batchSize * batches;
  const size = splits.train.featureShape.reduce((a, b) => a * b, 1);
  const xs = tf.tensor(splits.train.features.subarray(0, n * size), [n, ...splits.train.featureShape]);
  const ys = tf.oneHot(tf.tensor1d(splits.train.labels.subarray(0, n), 'int32'), splits.train.numClasses);
  try {
    const r = await timeSteps(async () => void (await model.fit(xs, ys, { batchSize: spec.batchSize, epochs: 1, shuffle: false, verbose: 0 })), seconds, 1, 1);
    return { steps: r.steps * batches, perSecond: r.perSecond * batches };
  } finally {
    tf.dispose([xs, ys]);
    trainer.dispose();
  }
}

export async function runThroughput(options: { seconds: number; backends?: BackendName[]; models?: ('mlp' | 'cnn')[] }): Promise<ThroughputResult[]> {
  const results: ThroughputResult[] = [];
  for (const backend of options.backends ?? (['tensorflow', 'wasm', 'cpu'] as const)) {
    try {
      await selectBackend(backend);
    } catch {
      continue; // not available on this machine (e.g. the native addon)
    }
    for (const model of options.models ?? (['mlp', 'cnn'] as const)) {
      const spec = specFor(model);
      // The cpu backend trains the CNN at well under one step per second: give it fewer seconds.
      const seconds = backend === 'cpu' && model === 'cnn' ? Math.min(options.seconds, 4) : options.seconds;
      const ours = await measureTrainer(spec, seconds);
      const fit = await measureModelFit(spec, seconds);
      results.push({ model, backend, stepsPerSecond: ours.perSecond, modelFitStepsPerSecond: fit.perSecond, ratio: ours.perSecond / fit.perSecond, steps: ours.steps });
    }
  }
  return results;
}
