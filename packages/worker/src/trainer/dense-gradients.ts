import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { isCsrBatch, type CsrBatch, type SparseDenseKernels } from '../backend/sparse-dense.js';

/**
 * A tape-free training step for plain MLPs. `tf.variableGrads` records every op of the forward
 * pass (and softmaxCrossEntropy's many small ones) and replays their gradients, about 80 kernels
 * per step for a one-hidden-layer MLP; on wasm each costs engine overhead comparable to its work.
 * Written out by hand, forward and backward of dense layers take about half as many, with the
 * same matMuls, and the same gradient formulas as tfjs's (so results agree to float rounding).
 */
export interface DenseFastPath {
  /**
   * The mean softmax cross-entropy of the batch (as `tf.losses.softmaxCrossEntropy(ys, logits)`
   * with its default reduction) and its gradients, keyed by variable name like
   * `tf.variableGrads`. Allocates intermediates: call inside `tf.tidy`. `xs` may be a CSR batch
   * (flattened) only when `sparseInput` is true.
   */
  lossAndGrads(xs: tf.Tensor | CsrBatch, ys: tf.Tensor): { value: tf.Scalar; grads: tf.NamedTensorMap };
  /**
   * The logits for `xs`, as `model.apply(xs, { training: false })` gives them (to float rounding):
   * the evaluation's forward pass, which may then take CSR input too. Call inside `tf.tidy`.
   */
  logits(xs: tf.Tensor | CsrBatch): tf.Tensor;
  /**
   * Whether the first layer takes its input in CSR form, through the sparse kernels: they were
   * given and its units are a multiple of 4.
   */
  readonly sparseInput: boolean;
}

type Activation = 'linear' | 'relu' | 'tanh' | 'sigmoid';
const ACTIVATIONS: ReadonlySet<string> = new Set<Activation>(['linear', 'relu', 'tanh', 'sigmoid']);

interface DenseLayer {
  kernel: tf.Variable;
  bias: tf.Variable;
  activation: Activation;
  /** Gradients are returned for these (their layer group trains). */
  kernelWanted: boolean;
  biasWanted: boolean;
}

/** Config keys of a Dense layer that must be empty for the hand-written gradients to be the whole story. */
const EXTRAS = ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'] as const;

const isVariable = (t: tf.Tensor): t is tf.Variable => t instanceof tf.Variable;

/** The layer as a plain Dense (linear, relu, tanh or sigmoid, with bias), or undefined. */
function asDense(layer: tfl.layers.Layer): Omit<DenseLayer, 'kernelWanted' | 'biasWanted'> | undefined {
  const config = layer.getConfig() as Record<string, unknown>;
  if (config.useBias !== true || EXTRAS.some((key) => config[key] != null)) return undefined;
  const activation = config.activation;
  if (typeof activation !== 'string' || !ACTIVATIONS.has(activation)) return undefined;
  // layer.weights holds kernel then bias whether or not the layer is trainable.
  const weights = layer.weights.map((w) => w.read());
  const [kernel, bias] = weights;
  if (weights.length !== 2 || kernel?.rank !== 2 || bias?.rank !== 1 || kernel.dtype !== 'float32' || bias.dtype !== 'float32') return undefined;
  if (!isVariable(kernel) || !isVariable(bias)) return undefined;
  return { kernel, bias, activation: activation as Activation };
}

/**
 * The fast path for `model`, or undefined when it does not apply: the model must be a Sequential
 * of an optional leading Flatten (channels last) and Dense layers with bias, activations linear,
 * relu, tanh or sigmoid, no regularizers and no constraints (so no dropout, no normalization).
 * `variables` are those the trainer takes gradients for, in its order; every one must be a
 * weight of the model's Dense layers. Holds the variables, never their values: weights change
 * at every step and are read at each call. With `sparse` kernels (wasm) and a first layer of a
 * multiple of 4 units, that layer can take its input as a CSR batch of the non-zeros.
 */
export function denseFastPath(model: tfl.LayersModel, variables: readonly tf.Variable[], options: { sparse?: SparseDenseKernels | undefined } = {}): DenseFastPath | undefined {
  if (model.getClassName() !== 'Sequential' || model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  const inputShape = model.inputs[0]!.shape;
  let flatten = false;
  const dense: DenseLayer[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (kind === 'InputLayer' && dense.length === 0 && !flatten) continue;
    if (kind === 'Flatten' && dense.length === 0 && !flatten) {
      // channels_first flattening permutes the axes first.
      if ((layer.getConfig() as { dataFormat?: string }).dataFormat === 'channels_first') return undefined;
      flatten = true;
      continue;
    }
    if (kind !== 'Dense') return undefined;
    const d = asDense(layer);
    if (!d) return undefined;
    dense.push({ ...d, kernelWanted: false, biasWanted: false });
  }
  // Without a Flatten, Dense would act on the last axis of a higher-rank input.
  if (dense.length === 0 || (!flatten && inputShape.length !== 2)) return undefined;
  for (const v of variables) {
    const owner = dense.find((d) => d.kernel === v || d.bias === v);
    if (!owner) return undefined;
    if (owner.kernel === v) owner.kernelWanted = true;
    else owner.biasWanted = true;
  }
  // Backpropagate no further down than the lowest layer that wants a gradient.
  const lowest = dense.findIndex((d) => d.kernelWanted || d.biasWanted);
  if (lowest < 0) return undefined;
  const sparse = options.sparse && dense[0]!.kernel.shape[1]! % 4 === 0 ? options.sparse : undefined;

  const csrOf = (input: tf.Tensor | CsrBatch): CsrBatch | undefined => {
    if (!isCsrBatch(input)) return undefined;
    if (!sparse) throw new Error('this model takes no CSR input: its first layer has no sparse kernels');
    return input;
  };
  const activate = (d: DenseLayer, out: tf.Tensor): tf.Tensor => (d.activation === 'tanh' ? tf.tanh(out) : d.activation === 'sigmoid' ? tf.sigmoid(out) : out);

  return {
    sparseInput: sparse !== undefined,
    logits(input) {
      const csr = csrOf(input);
      const xs = input as tf.Tensor;
      let a: tf.Tensor | undefined = csr ? undefined : flatten ? tf.reshape(xs, [xs.shape[0], -1]) : xs;
      dense.forEach((d, i) => {
        const relu = d.activation === 'relu' ? 'relu' : 'linear';
        const out = i === 0 && csr ? sparse!.matMul(csr, d.kernel, d.bias, relu) : tf.fused.matMul({ a: a!, b: d.kernel, bias: d.bias, activation: relu });
        a = activate(d, out);
      });
      return a!;
    },
    lossAndGrads(input, ys) {
      const csr = csrOf(input);
      const xs = csr ? undefined : (input as tf.Tensor);
      const batch = csr ? csr.rows : xs!.shape[0];
      // Each layer's input, then the logits last: the backward pass reads all of them. A CSR
      // input is read by the first layer's kernels only, so its slot is never looked at.
      const acts: (tf.Tensor | undefined)[] = [xs && (flatten ? tf.reshape(xs, [batch, -1]) : xs)];
      // Transposed inputs of the layers computed the transposed way (see below).
      const inputsT: (tf.Tensor | undefined)[] = [];
      dense.forEach((d, i) => {
        const a = acts[i]!;
        let out: tf.Tensor;
        if (i === 0 && csr) {
          // Sparse input: multiply-adds only for its non-zeros; relu fuses into the kernel.
          out = sparse!.matMul(csr, d.kernel, d.bias, d.activation === 'relu' ? 'relu' : 'linear');
          acts.push(activate(d, out));
          return;
        }
        // wasm's matMul (XNNPACK) repacks its second operand whenever that is a new tensor, and
        // the weights are new at every step. Computing zᵀ = Wᵀ·aᵀ packs aᵀ instead, which is
        // cheaper when the layer is wider than the batch (784→128 at batch 64: about 0.15 ms of a
        // 2.5 ms step), and dW = aᵀ·dZ reuses aᵀ (the matMul would transpose a for it anyway).
        if (d.kernelWanted && d.kernel.shape[1]! > batch) {
          const aT = tf.transpose(a);
          inputsT[i] = aT;
          const z = tf.add(tf.transpose(tf.matMul(tf.transpose(d.kernel), aT)), d.bias);
          out = d.activation === 'relu' ? tf.relu(z) : z;
        } else {
          // relu fuses into the matMul (a clamp).
          out = tf.fused.matMul({ a, b: d.kernel, bias: d.bias, activation: d.activation === 'relu' ? 'relu' : 'linear' });
        }
        acts.push(activate(d, out));
      });
      const logits = acts.at(-1)!;
      const logProbs = tf.sub(logits, tf.logSumExp(logits, 1, true));
      const value = tf.div<tf.Scalar>(tf.neg(tf.sum(tf.mul(ys, logProbs))), batch);
      // tfjs's softmaxCrossEntropy gradient: dy · (softmax − labels), dy = 1/batch for the mean.
      let dOut: tf.Tensor = tf.div(tf.sub(tf.exp(logProbs), ys), batch);
      const grads: tf.NamedTensorMap = {};
      for (let i = dense.length - 1; i >= lowest; i--) {
        const d = dense[i]!;
        const out = acts[i + 1]!;
        // dOut is the gradient w.r.t. the layer's output; take it through the activation.
        const dZ =
          d.activation === 'relu' ? tf.mul(dOut, tf.step(out))
          : d.activation === 'tanh' ? tf.mul(dOut, tf.sub(1, tf.square(out)))
          : d.activation === 'sigmoid' ? tf.mul(dOut, tf.mul(out, tf.sub(1, out)))
          : dOut;
        if (d.kernelWanted) {
          const aT = inputsT[i];
          grads[d.kernel.name] =
            i === 0 && csr ? sparse!.transposedMatMul(csr, dZ)
            : aT ? tf.matMul(aT, dZ)
            : tf.matMul(acts[i]!, dZ, true, false);
        }
        if (d.biasWanted) grads[d.bias.name] = tf.sum(dZ, 0);
        // The input gradient only feeds layers further down; the model input needs none.
        if (i > lowest) dOut = tf.matMul(dZ, d.kernel, false, true);
      }
      return { value, grads };
    },
  };
}
