import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select.js';
import { buildModel } from './build.js';
import { saveLayersModel } from './save.js';

const CNN = { builtin: 'cnn' as const, filters: [4, 8], kernelSize: 3, dense: [16] };
const values = (model: { layers: { name: string; weights: { read(): tf.Tensor }[] }[] }, layer: string) =>
  Array.from(model.layers.find((l) => l.name === layer)!.weights[0]!.read().dataSync());

describe('pretrained weights', () => {
  let path: string;
  let source: Awaited<ReturnType<typeof buildModel>>['model'];

  beforeAll(async () => {
    await selectBackend('cpu');
    ({ model: source } = await buildModel(CNN, [28, 28, 1], 10, 1));
    path = await saveLayersModel(source, join(mkdtempSync(join(tmpdir(), 'lrsweep-pre-')), 'm'));
  });

  it('load into a model built with another seed, layer by layer; reinitialized layers keep the fresh seeded weights', async () => {
    const { model: fresh } = await buildModel(CNN, [28, 28, 1], 10, 2);
    const { model, description } = await buildModel({ ...CNN, pretrained: { path, reinitialize: ['logits'] } }, [28, 28, 1], 10, 2);
    for (const layer of ['conv1', 'conv2', 'dense1']) {
      expect(values(model, layer)).toEqual(values(source, layer));
      expect(values(fresh, layer)).not.toEqual(values(source, layer));
    }
    expect(values(model, 'logits')).toEqual(values(fresh, 'logits'));
    expect(description).toMatch(/pretrained 3 layers \(fresh: logits\)/);
    model.dispose();
    fresh.dispose();
  });

  it('refuses a model of another shape, naming the weight and the fix', async () => {
    await expect(buildModel({ ...CNN, dense: [32], pretrained: { path, reinitialize: [] } }, [28, 28, 1], 10, 2)).rejects.toMatchObject({
      name: 'TrainingSetupError',
      field: 'model.pretrained.path',
      message: expect.stringMatching(/'dense1\/kernel' has shape \[392, 16\], the model \[392, 32\]; list 'dense1' under model.pretrained.reinitialize/) as string,
    });
    await expect(buildModel({ ...CNN, pretrained: { path: '/nonexistent/model.json', reinitialize: [] } }, [28, 28, 1], 10, 2)).rejects.toMatchObject({ field: 'model.pretrained.path' });
    await expect(buildModel({ ...CNN, pretrained: { path, reinitialize: ['head*'] } }, [28, 28, 1], 10, 2)).rejects.toMatchObject({ field: 'model.pretrained.reinitialize.0' });
  });
});
