import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { constant, exponentialRamp, parseSpec, type SweepSpec } from '@lrsweep/shared';
import { selectBackend } from '../backend/select.js';
import { loadDataSplits } from '../data/load.js';
import { Trainer } from './trainer.js';

const spiralsSpec: SweepSpec = parseSpec({
  name: 'spirals-test',
  seed: 3,
  model: { builtin: 'mlp', hidden: [16] },
  dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 200, validationFraction: 0.2, sampleFraction: 0.5 },
  optimizer: { name: 'adam' },
  batchSize: 32,
});

async function trainLosses(spec: SweepSpec, seed: number, steps: number, rate = 0.01): Promise<number[]> {
  const splits = loadDataSplits(spec);
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed, train: splits.sample, validation: splits.validation });
  const losses: number[] = [];
  try {
    await trainer.run({ untilStep: steps, schedule: constant(rate), reportEvery: 1, onReport: (r) => void losses.push(r.loss) });
  } finally {
    trainer.dispose();
  }
  return losses;
}

describe.each(['wasm', 'cpu'] as const)('Trainer on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  it('gives the same losses for the same seed, and different ones for another seed', async () => {
    const a = await trainLosses(spiralsSpec, 11, 30);
    const b = await trainLosses(spiralsSpec, 11, 30);
    const c = await trainLosses(spiralsSpec, 12, 30);
    expect(a).toHaveLength(30);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('learns: the loss falls and validation accuracy beats chance', async () => {
    const splits = loadDataSplits(spiralsSpec);
    const trainer = await Trainer.create({ model: { builtin: 'mlp', hidden: [32, 32], activation: 'relu' }, optimizer: spiralsSpec.optimizer, batchSize: 32, seed: 1, train: splits.train, validation: splits.validation });
    const before = await trainer.evaluate();
    const losses: number[] = [];
    await trainer.run({ untilStep: 300, schedule: constant(0.02), reportEvery: 10, onReport: (r) => void losses.push(r.loss) });
    const after = await trainer.evaluate();
    trainer.dispose();
    expect(after.valLoss).toBeLessThan(before.valLoss * 0.8);
    expect(after.valAccuracy).toBeGreaterThan(0.6);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
  });

  it('applies the schedule rate of every step and reports it', async () => {
    const splits = loadDataSplits(spiralsSpec);
    const trainer = await Trainer.create({ model: spiralsSpec.model, optimizer: { name: 'sgd' }, batchSize: 32, seed: 1, train: splits.sample, validation: splits.validation });
    const ramp = exponentialRamp(1e-4, 1, 20);
    const seen: { step: number; learningRate: number }[] = [];
    await trainer.run({ untilStep: 20, schedule: ramp, reportEvery: 1, onReport: (r) => void seen.push(r) });
    trainer.dispose();
    expect(seen.map((s) => s.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Report of step k describes the update that made it k: it used the rate of 0-based step k-1.
    seen.forEach((s) => expect(s.learningRate).toBe(ramp(s.step - 1)));
  });

  it('stops at the next step once asked', async () => {
    const splits = loadDataSplits(spiralsSpec);
    const trainer = await Trainer.create({ model: spiralsSpec.model, optimizer: spiralsSpec.optimizer, batchSize: 32, seed: 1, train: splits.sample, validation: splits.validation });
    const abort = new AbortController();
    const outcome = await trainer.run({
      untilStep: 1000,
      schedule: constant(0.01),
      reportEvery: 1,
      signal: abort.signal,
      onReport: (r) => {
        if (r.step === 7) abort.abort();
      },
    });
    expect(outcome).toBe('stopped');
    expect(trainer.step).toBe(7);
    // It can be resumed where it stopped.
    expect(await trainer.run({ untilStep: 10, schedule: constant(0.01), reportEvery: 5 })).toBe('budget');
    expect(trainer.step).toBe(10);
    trainer.dispose();
  });

  it('honours a stop from outside (a timer, an RPC) within one step, between reports', async () => {
    const splits = loadDataSplits(spiralsSpec);
    const trainer = await Trainer.create({ model: spiralsSpec.model, optimizer: spiralsSpec.optimizer, batchSize: 32, seed: 1, train: splits.sample, validation: splits.validation });
    const abort = new AbortController();
    let stepAtAbort = -1;
    setTimeout(() => {
      stepAtAbort = trainer.step;
      abort.abort();
    }, 50);
    const outcome = await trainer.run({ untilStep: 1_000_000, schedule: constant(0.01), reportEvery: 100_000, signal: abort.signal });
    expect(outcome).toBe('stopped');
    expect(stepAtAbort).toBeGreaterThan(0);
    expect(trainer.step - stepAtAbort).toBeLessThanOrEqual(1);
    trainer.dispose();
  });

  it('reports the mean loss of the steps since the last report', async () => {
    const splits = loadDataSplits(spiralsSpec);
    const make = () => Trainer.create({ model: spiralsSpec.model, optimizer: spiralsSpec.optimizer, batchSize: 32, seed: 1, train: splits.sample, validation: splits.validation });
    const every: number[] = [];
    const a = await make();
    await a.run({ untilStep: 10, schedule: constant(0.01), reportEvery: 1, onReport: (r) => void every.push(r.loss) });
    a.dispose();
    const windows: number[] = [];
    const b = await make();
    await b.run({ untilStep: 10, schedule: constant(0.01), reportEvery: 5, onReport: (r) => void windows.push(r.loss) });
    b.dispose();
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(windows[0]).toBeCloseTo(mean(every.slice(0, 5)), 5);
    expect(windows[1]).toBeCloseTo(mean(every.slice(5, 10)), 5);
  });

  it('ends a trial on a non-finite loss', async () => {
    const losses = await trainLosses({ ...spiralsSpec, optimizer: { name: 'sgd' } }, 1, 200, 1e30);
    expect(losses.length).toBeLessThan(200);
    expect(Number.isFinite(losses.at(-1)!)).toBe(false);
  });

  it('leaks no tensors: the count after 100 trials equals the count after 1', async () => {
    const splits = loadDataSplits(spiralsSpec);
    const trial = async (seed: number) => {
      const trainer = await Trainer.create({ model: spiralsSpec.model, optimizer: { name: 'momentum', momentum: 0.9, nesterov: true }, batchSize: 32, seed, train: splits.sample, validation: splits.validation });
      await trainer.run({ untilStep: 12, schedule: constant(0.05), reportEvery: 5 });
      await trainer.evaluate();
      trainer.dispose();
    };
    await trial(0);
    const afterOne = tf.memory().numTensors;
    const bytesAfterOne = tf.memory().numBytes;
    for (let seed = 1; seed < 100; seed++) await trial(seed);
    expect(tf.memory().numTensors).toBe(afterOne);
    expect(tf.memory().numBytes).toBe(bytesAfterOne);
  });
});

describe('MNIST CNN on wasm', () => {
  it('trains a few steps (conv gradients run on wasm through the replacement kernels)', async () => {
    await selectBackend('wasm');
    const spec = parseSpec({ name: 'cnn', model: { builtin: 'cnn' }, dataset: { builtin: 'mnist', sampleFraction: 0.05 }, optimizer: { name: 'momentum' } });
    const losses = await trainLosses(spec, 1, 15, 0.05);
    expect(losses).toHaveLength(15);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(losses[0]!);
  });
});

describe('pause and resume from a snapshot', () => {
  it.each(['sgd', 'momentum', 'adam', 'rmsprop'] as const)('continues the same loss curve exactly (%s, wasm)', async (name) => {
    await selectBackend('wasm');
    const spec = parseSpec({ ...spiralsSpec, optimizer: name === 'rmsprop' ? { name, momentum: 0.5 } : { name } });
    const splits = loadDataSplits(spec);
    const make = () => Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: 5, train: splits.sample, validation: splits.validation });
    const schedule = constant(name === 'sgd' || name === 'momentum' ? 0.05 : 0.005);
    const losses = (into: number[]) => (r: { loss: number }) => void into.push(r.loss);

    const straight: number[] = [];
    const a = await make();
    await a.run({ untilStep: 30, schedule, reportEvery: 1, onReport: losses(straight) });
    const finalA = await a.evaluate();
    a.dispose();

    const resumed: number[] = [];
    const b = await make();
    await b.run({ untilStep: 17, schedule, reportEvery: 1, onReport: losses(resumed) });
    const snapshot = b.snapshot();
    b.dispose();
    const c = await make();
    c.restore(snapshot);
    expect(c.step).toBe(17);
    await c.run({ untilStep: 30, schedule, reportEvery: 1, onReport: losses(resumed) });
    const finalC = await c.evaluate();
    c.dispose();

    expect(resumed).toEqual(straight);
    expect(finalC).toEqual(finalA);
  });
});
