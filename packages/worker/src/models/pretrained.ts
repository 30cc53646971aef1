import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { globToRegExp, TrainingSetupError } from '@lrsweep/shared';

export interface PretrainedSpec {
  path: string;
  reinitialize: string[];
}

/**
 * Copies trained weights into a freshly built model, layer by layer and weight by weight, matched
 * by name (`conv1/kernel`) and checked by shape. Layers named by `reinitialize` keep their seeded
 * initialisation (a new head). Any mismatch is an error: a silently half-loaded model would make
 * every fine-tuning result meaningless.
 */
export function applyPretrained(model: tfl.LayersModel, spec: PretrainedSpec): { loaded: string[]; reinitialized: string[] } {
  const field = 'model.pretrained.path';
  let json: { weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(readFileSync(spec.path, 'utf8')) as typeof json;
  } catch (cause) {
    throw new TrainingSetupError(`cannot read pretrained model ${spec.path}: ${(cause as Error).message}`, field, { cause });
  }
  if (!json.weightsManifest) throw new TrainingSetupError(`${spec.path} has no weightsManifest: it is a topology, not a saved model`, field);
  let weights: tf.NamedTensorMap;
  try {
    const directory = dirname(spec.path);
    const data = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(directory, p)))));
    weights = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), json.weightsManifest.flatMap((g) => g.weights));
  } catch (cause) {
    throw new TrainingSetupError(`cannot read the weights of ${spec.path}: ${(cause as Error).message}`, field, { cause });
  }
  try {
    const patterns = spec.reinitialize.map(globToRegExp);
    spec.reinitialize.forEach((pattern, i) => {
      if (!model.layers.some((l) => patterns[i]!.test(l.name) && l.weights.length > 0)) {
        throw new TrainingSetupError(`reinitialize pattern '${pattern}' matches no layer with weights (layers: ${model.layers.filter((l) => l.weights.length > 0).map((l) => l.name).join(', ')})`, `model.pretrained.reinitialize.${i}`);
      }
    });
    const loaded: string[] = [];
    const reinitialized: string[] = [];
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      if (patterns.some((p) => p.test(layer.name))) {
        reinitialized.push(layer.name);
        continue;
      }
      const values = layer.weights.map((w) => {
        const saved = weights[w.originalName];
        if (!saved) throw new TrainingSetupError(`pretrained model ${spec.path} has no weight '${w.originalName}'; list the layer under model.pretrained.reinitialize to start it fresh`, field);
        if (saved.shape.join(',') !== w.shape.join(',')) {
          throw new TrainingSetupError(`pretrained weight '${w.originalName}' has shape [${saved.shape.join(', ')}], the model [${w.shape.join(', ')}]; list '${layer.name}' under model.pretrained.reinitialize to start it fresh`, field);
        }
        return saved;
      });
      layer.setWeights(values);
      loaded.push(layer.name);
    }
    return { loaded, reinitialized };
  } finally {
    tf.dispose(Object.values(weights));
  }
}
