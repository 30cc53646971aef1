import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OptimizerSpec } from '@lrsweep/shared';
import { selectBackend } from '../backend/select.js';
import { createOptimizer, type StepHyper } from './optimizers.js';

/** Runs our optimizer over fixed gradients and returns the variable after each step. */
function run(spec: OptimizerSpec, start: number[], gradients: number[][], hypers: StepHyper[]): number[][] {
  const v = tf.tidy(() => tf.variable(tf.tensor1d(start)));
  const opt = createOptimizer(spec, [v]);
  const out: number[][] = [];
  gradients.forEach((g, i) => {
    const grad = tf.tensor1d(g);
    opt.apply([grad], hypers[i]!);
    grad.dispose();
    out.push(Array.from(v.dataSync()));
  });
  opt.dispose();
  v.dispose();
  return out;
}

const G = [
  [0.5, -1],
  [0.25, 2],
  [-1, 0.5],
];
const X0 = [1, -2];

function expectClose(actual: number[][], expected: number[][]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 5)));
}

describe('optimizers against hand-computed updates', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('sgd uses the rate of each step', () => {
    const rates = [0.1, 0.2, 0.05];
    let x = [...X0];
    const expected = G.map((g, i) => (x = x.map((xi, j) => xi - rates[i]! * g[j]!)));
    expectClose(run({ name: 'sgd' }, X0, G, rates.map((learningRate) => ({ learningRate }))), expected);
  });

  it('momentum (heavy ball and nesterov), with a per-step momentum override', () => {
    for (const nesterov of [false, true]) {
      const mus = [0.9, 0.85, 0.95];
      let x = [...X0];
      let acc = [0, 0];
      const expected = G.map((g, i) => {
        acc = acc.map((a, j) => mus[i]! * a + g[j]!);
        const step = nesterov ? g.map((gj, j) => gj + mus[i]! * acc[j]!) : acc;
        return (x = x.map((xi, j) => xi - 0.1 * step[j]!));
      });
      expectClose(run({ name: 'momentum', momentum: 0.9, nesterov }, X0, G, mus.map((momentum) => ({ learningRate: 0.1, momentum }))), expected);
    }
  });

  it('adam with bias correction and a changing rate', () => {
    const [b1, b2, eps] = [0.9, 0.999, 1e-7];
    const rates = [0.01, 0.02, 0.005];
    let x = [...X0];
    let m = [0, 0];
    let s = [0, 0];
    const expected = G.map((g, i) => {
      const t = i + 1;
      m = m.map((mj, j) => b1 * mj + (1 - b1) * g[j]!);
      s = s.map((sj, j) => b2 * sj + (1 - b2) * g[j]! ** 2);
      return (x = x.map((xi, j) => xi - (rates[i]! * (m[j]! / (1 - b1 ** t))) / (Math.sqrt(s[j]! / (1 - b2 ** t)) + eps)));
    });
    expectClose(run({ name: 'adam', beta1: b1, beta2: b2, epsilon: eps }, X0, G, rates.map((learningRate) => ({ learningRate }))), expected);
  });

  it('rmsprop with and without momentum', () => {
    for (const momentum of [0, 0.5]) {
      const [rho, eps, lr] = [0.9, 1e-7, 0.01];
      let x = [...X0];
      let ms = [0, 0];
      let mom = [0, 0];
      const expected = G.map((g) => {
        ms = ms.map((v, j) => rho * v + (1 - rho) * g[j]! ** 2);
        const scaled = g.map((gj, j) => (lr * gj) / Math.sqrt(ms[j]! + eps));
        mom = mom.map((v, j) => momentum * v + scaled[j]!);
        return (x = x.map((xi, j) => xi - (momentum > 0 ? mom[j]! : scaled[j]!)));
      });
      expectClose(run({ name: 'rmsprop', rho, momentum, epsilon: eps }, X0, G, G.map(() => ({ learningRate: lr }))), expected);
    }
  });

  it('matches tfjs tf.train.adam at a constant rate', () => {
    const ours = run({ name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, X0, G, G.map(() => ({ learningRate: 0.03 })));
    const v = tf.variable(tf.tensor1d(X0));
    const reference = tf.train.adam(0.03, 0.9, 0.999, 1e-7);
    const theirs = G.map((g) => {
      reference.applyGradients([{ name: v.name, tensor: tf.tensor1d(g) }]);
      return Array.from(v.dataSync());
    });
    reference.dispose();
    v.dispose();
    expectClose(ours, theirs);
  });

  it('frees its slots on dispose', () => {
    const before = tf.memory().numTensors;
    run({ name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, X0, G, G.map(() => ({ learningRate: 0.01 })));
    run({ name: 'rmsprop', rho: 0.9, momentum: 0.5, epsilon: 1e-7 }, X0, G, G.map(() => ({ learningRate: 0.01 })));
    expect(tf.memory().numTensors).toBe(before);
  });
});
