import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainingSetupError, type ModelSpec } from '@lrsweep/shared';
import { selectBackend } from '../backend/select.js';
import { buildModel, builtinParameterCount } from './build.js';

type BuiltinSpec = Exclude<ModelSpec, { topology: string }>;

const dir = mkdtempSync(join(tmpdir(), 'lrsweep-topology-'));

function writeTopology(name: string, inputShape: number[], classes: number, wrapInModelJson: boolean): string {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ inputShape, units: 8, activation: 'relu' }));
  model.add(tfl.layers.dropout({ rate: 0.1 }));
  model.add(tfl.layers.dense({ units: classes, activation: 'softmax' }));
  const topology = model.toJSON(null, false);
  model.dispose();
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(wrapInModelJson ? { modelTopology: topology, format: 'layers-model' } : topology));
  return path;
}

const weightsOf = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('buildModel', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('loads a tfjs-layers topology (model.json or bare), seeds its initializers, and outputs logits', async () => {
    for (const wrap of [true, false]) {
      const path = writeTopology(`model-${wrap}.json`, [2], 3, wrap);
      const a = await buildModel({ topology: path }, [2], 3, 7);
      const b = await buildModel({ topology: path }, [2], 3, 7);
      const c = await buildModel({ topology: path }, [2], 3, 8);
      expect(weightsOf(b.model)).toEqual(weightsOf(a.model));
      expect(weightsOf(c.model)).not.toEqual(weightsOf(a.model));
      expect(a.parameterCount).toBe(2 * 8 + 8 + 8 * 3 + 3);
      // The final softmax became linear: outputs are logits, so rows need not sum to 1.
      const out = tf.tidy(() => Array.from((a.model.predict(tf.tensor2d([[5, -5]])) as tf.Tensor).dataSync()));
      expect(Math.abs(out.reduce((s, v) => s + v, 0) - 1)).toBeGreaterThan(1e-3);
      for (const m of [a, b, c]) m.model.dispose();
    }
  });

  it('rejects a topology whose input or output does not fit the data', async () => {
    const path = writeTopology('mismatch.json', [4], 3, true);
    await expect(buildModel({ topology: path }, [2], 3, 1)).rejects.toThrow(/input shape \[4\] does not match the data's \[2\]/);
    const path2 = writeTopology('classes.json', [2], 5, true);
    await expect(buildModel({ topology: path2 }, [2], 3, 1)).rejects.toThrow(/5 outputs but the data has 3 classes/);
    await expect(buildModel({ topology: join(dir, 'missing.json') }, [2], 3, 1)).rejects.toThrow(TrainingSetupError);
  });

  it('refuses a model with more parameters than the limit', async () => {
    const before = tf.memory().numTensors;
    await expect(buildModel({ builtin: 'mlp', hidden: [4096, 4096, 4096], activation: 'relu' }, [28, 28, 1], 10, 1)).rejects.toThrow(/more than the limit/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('builds the CNN of the issue: conv3x3x8, pool, conv3x3x16, pool, dense 10', async () => {
    const { model, parameterCount } = await buildModel({ builtin: 'cnn', filters: [8, 16], kernelSize: 3, dense: [] }, [28, 28, 1], 10, 1);
    expect(parameterCount).toBe(3 * 3 * 8 + 8 + 3 * 3 * 8 * 16 + 16 + 7 * 7 * 16 * 10 + 10);
    model.dispose();
  });

  it('counts built-in parameters before building, exactly as tfjs counts them after', async () => {
    const specs: BuiltinSpec[] = [
      { builtin: 'mlp', hidden: [128], activation: 'relu' },
      { builtin: 'mlp', hidden: [], activation: 'relu' },
      { builtin: 'mlp', hidden: [64, 32, 16], activation: 'tanh' },
      { builtin: 'cnn', filters: [8, 16], kernelSize: 3, dense: [] },
      { builtin: 'cnn', filters: [4, 6, 5], kernelSize: 5, dense: [32, 16] },
    ];
    for (const spec of specs) {
      const { model, parameterCount } = await buildModel(spec, [28, 28, 1], 10, 1);
      expect(builtinParameterCount(spec, [28, 28, 1], 10)).toBe(parameterCount);
      model.dispose();
    }
  });
});
