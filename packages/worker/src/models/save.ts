import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Saves a model in the TensorFlow.js layers format (model.json + weights.bin), loadable with
 * `tf.loadLayersModel('file://.../model.json')` in tfjs-node or over HTTP in a browser. Written by
 * hand because the file:// handler lives in tfjs-node, which is optional here.
 * Built-in models output logits (the trainer applies softmax inside the loss).
 */
export async function saveLayersModel(model: tfl.LayersModel, directory: string): Promise<string> {
  mkdirSync(directory, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      writeFileSync(join(directory, 'weights.bin'), Buffer.concat(buffers.map((b) => Buffer.from(b))));
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(directory, 'model.json'), JSON.stringify(modelJson));
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }),
  );
  // Absolute, so the path in a result is usable from anywhere.
  return resolve(directory, 'model.json');
}

/** Loads a model saved by `saveLayersModel` (or any tfjs layers model.json with one weights file). */
export async function loadLayersModel(modelJsonPath: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const directory = join(modelJsonPath, '..');
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const weightData = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(directory, p)))));
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) }),
  );
}
