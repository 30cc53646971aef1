import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select.js';
import { buildModel } from './build.js';
import { loadLayersModel, saveLayersModel } from './save.js';

describe('saveLayersModel', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('writes model.json + weights.bin that load back to the same predictions', async () => {
    const { model } = await buildModel({ builtin: 'cnn', filters: [4, 8], kernelSize: 3, dense: [16] }, [28, 28, 1], 10, 3);
    const dir = join(mkdtempSync(join(tmpdir(), 'lrsweep-model-')), 'model');
    const path = await saveLayersModel(model, dir);
    const json = JSON.parse(readFileSync(path, 'utf8')) as { format: string; weightsManifest: { paths: string[] }[] };
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    expect(readFileSync(join(dir, 'weights.bin')).byteLength).toBe(model.countParams() * 4);
    const loaded = await loadLayersModel(path);
    const input = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 1);
    const [a, b] = [model.predict(input) as tf.Tensor, loaded.predict(input) as tf.Tensor];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([input, a, b]);
    model.dispose();
    loaded.dispose();
  });
});
