import { readFileSync } from 'node:fs';
import * as tfl from '@tensorflow/tfjs-layers';
import { applyPretrained } from './pretrained.js';
import { builtinParameterCount, deriveSeed, MAX_PARAMETERS, TrainingSetupError, type ModelSpec } from '@lrsweep/shared';

export { builtinParameterCount };

const RANDOM_INITIALIZERS = new Set([
  'GlorotUniform', 'GlorotNormal', 'HeUniform', 'HeNormal', 'LeCunUniform', 'LeCunNormal',
  'RandomUniform', 'RandomNormal', 'TruncatedNormal', 'VarianceScaling', 'Orthogonal',
]);

/**
 * Gives every random initializer and dropout layer in a tfjs-layers topology an explicit seed
 * (unless it has one), so a topology model is as reproducible as a built-in one. The final
 * softmax, if any, becomes linear: the trainer works on logits for a stable cross-entropy.
 */
function seedTopology(node: unknown, seed: number, counter = { n: 0 }): void {
  if (Array.isArray(node)) {
    for (const item of node) seedTopology(item, seed, counter);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  const config = obj.config as Record<string, unknown> | undefined;
  if (typeof obj.class_name === 'string' && config && typeof config === 'object') {
    if ((RANDOM_INITIALIZERS.has(obj.class_name) || obj.class_name === 'Dropout') && config.seed == null) {
      config.seed = deriveSeed(seed, 1000 + counter.n++);
    }
  }
  for (const value of Object.values(obj)) seedTopology(value, seed, counter);
}

function lastLayerToLogits(topology: Record<string, unknown>): void {
  const config = topology.config as { layers?: { config?: { activation?: string } }[] } | undefined;
  const last = config?.layers?.at(-1);
  if (last?.config?.activation === 'softmax') last.config.activation = 'linear';
}

function refuseOversized(parameterCount: number): void {
  if (parameterCount > MAX_PARAMETERS) {
    throw new TrainingSetupError(`the model has ${parameterCount.toLocaleString('en-US')} parameters, more than the limit of ${MAX_PARAMETERS.toLocaleString('en-US')}`, 'model');
  }
}

export interface BuiltModel {
  model: tfl.LayersModel;
  parameterCount: number;
  description: string;
}

/**
 * Builds the spec's model with deterministic initial weights for `seed`. Built-in models output
 * logits; `mlp` flattens image inputs.
 */
export async function buildModel(spec: ModelSpec, inputShape: number[], numClasses: number, seed: number): Promise<BuiltModel> {
  if (!('topology' in spec)) refuseOversized(builtinParameterCount(spec, inputShape, numClasses));
  let model: tfl.LayersModel;
  let description: string;
  let layerSeed = 0;
  const init = () => tfl.initializers.glorotUniform({ seed: deriveSeed(seed, layerSeed++) });
  if ('topology' in spec) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(spec.topology, 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new TrainingSetupError(`cannot read model topology ${spec.topology}: ${(cause as Error).message}`, 'model.topology', { cause });
    }
    const topology = (json.modelTopology ?? json) as Record<string, unknown>;
    seedTopology(topology, seed);
    lastLayerToLogits(topology);
    try {
      model = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
    } catch (cause) {
      throw new TrainingSetupError(`model.topology ${spec.topology} is not a tfjs-layers model: ${(cause as Error).message}`, 'model.topology', { cause });
    }
    const expected = model.inputs[0]?.shape.slice(1);
    if (!expected || expected.join(',') !== inputShape.join(',')) {
      throw new TrainingSetupError(`model input shape [${expected?.join(', ')}] does not match the data's [${inputShape.join(', ')}]`, 'model.topology');
    }
    const out = model.outputs[0]?.shape.at(-1);
    if (out !== numClasses) throw new TrainingSetupError(`model has ${out} outputs but the data has ${numClasses} classes`, 'model.topology');
    description = `topology ${spec.topology}`;
  } else if (spec.builtin === 'mlp') {
    const seq = tfl.sequential();
    // Images are flattened; flat features go straight into the first dense layer.
    if (inputShape.length > 1) seq.add(tfl.layers.flatten({ inputShape, name: 'flatten' }));
    const inputOf = (i: number) => (i === 0 && inputShape.length === 1 ? { inputShape } : {});
    // Layer names are fixed (not tfjs's process-wide counters), so layer groups can name them.
    spec.hidden.forEach((units, i) => seq.add(tfl.layers.dense({ ...inputOf(i), name: `hidden${i + 1}`, units, activation: spec.activation, kernelInitializer: init() })));
    seq.add(tfl.layers.dense({ ...inputOf(spec.hidden.length), name: 'logits', units: numClasses, kernelInitializer: init() }));
    model = seq;
    description = `mlp ${[inputShape.reduce((a, b) => a * b, 1), ...spec.hidden, numClasses].join('-')}`;
  } else {
    if (inputShape.length !== 3) throw new TrainingSetupError('cnn needs image data of shape [height, width, channels]', 'model.builtin');
    const seq = tfl.sequential();
    spec.filters.forEach((filters, i) => {
      seq.add(
        tfl.layers.conv2d({
          ...(i === 0 ? { inputShape } : {}),
          name: `conv${i + 1}`,
          filters,
          kernelSize: spec.kernelSize,
          activation: 'relu',
          padding: 'same',
          kernelInitializer: init(),
        }),
      );
      seq.add(tfl.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2, strides: 2 }));
    });
    seq.add(tfl.layers.flatten({ name: 'flatten' }));
    spec.dense.forEach((units, i) => seq.add(tfl.layers.dense({ name: `dense${i + 1}`, units, activation: 'relu', kernelInitializer: init() })));
    seq.add(tfl.layers.dense({ name: 'logits', units: numClasses, kernelInitializer: init() }));
    model = seq;
    description = `cnn conv${spec.kernelSize}x${spec.kernelSize}x[${spec.filters.join(',')}]+pool, dense [${[...spec.dense, numClasses].join(',')}]`;
  }
  const parameterCount = model.countParams();
  try {
    refuseOversized(parameterCount);
    if (spec.pretrained) {
      const { loaded, reinitialized } = applyPretrained(model, spec.pretrained);
      description += `, pretrained ${loaded.length} layers${reinitialized.length ? ` (fresh: ${reinitialized.join(', ')})` : ''}`;
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, parameterCount, description };
}
