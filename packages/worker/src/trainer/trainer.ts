import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  deriveSeed,
  groupRates,
  LayerGroupError,
  resolveLayerGroups,
  SeededRandom,
  TrainingSetupError,
  type LayerGroupsConfig,
  type ModelSpec,
  type OptimizerSpec,
  type ResolvedLayerGroup,
  type Schedule,
} from '@lrsweep/shared';
import { csrBatch, disposeCsrBatch, isCsrBatch, sparseDenseKernels, type CsrBatch } from '../backend/sparse-dense.js';
import { exampleCount, featureSize, type LabelledData } from '../data/dataset.js';
import { csrOfRows, sparseRowsIfSparse, type SparseRows } from '../data/sparse.js';
import { buildModel } from '../models/build.js';
import { denseFastPath, type DenseFastPath } from './dense-gradients.js';
import { createOptimizer, type Optimizer, type OptimizerSnapshot, type StepHyper } from './optimizers.js';

export interface TrainerOptions {
  model: ModelSpec;
  optimizer: OptimizerSpec;
  batchSize: number;
  /** Seeds the initial weights and the data order. */
  seed: number;
  train: LabelledData;
  validation: LabelledData;
  /** Evaluate on at most this many validation examples (the first ones of the fixed split). */
  validationLimit?: number;
  /** Per-layer-group rates (discriminative) and frozen groups; absent: one group, one rate. */
  layerGroups?: LayerGroupsConfig | undefined;
  /**
   * Maps the scheduled value to one rate per group, overriding the layerGroups mapping (final
   * training scales every group's peak rate by the schedule's shape).
   */
  rates?: (x: number, groups: readonly ResolvedLayerGroup[]) => number[];
  /**
   * Take gradients of plain MLPs with hand-written backpropagation instead of the gradient tape
   * (default true; other models always use the tape). Off only to compare the two.
   */
  fastPath?: boolean;
  /**
   * On the fast path, feed the first layer the input's non-zeros only (CSR batches and the wasm
   * sparse kernels) when at most half the training features are non-zero (default true). Off
   * only to compare the two.
   */
  sparseInput?: boolean;
}

/** A training batch: dense features, or their non-zeros when the first layer takes CSR input. */
interface Batch {
  xs: tf.Tensor | CsrBatch;
  ys: tf.Tensor;
}

function disposeBatch(batch: Batch): void {
  if (isCsrBatch(batch.xs)) disposeCsrBatch(batch.xs);
  else batch.xs.dispose();
  batch.ys.dispose();
}

/** A layer group as the trainer holds it: its variables and its own optimizer (none when frozen). */
interface TrainerGroup extends ResolvedLayerGroup {
  variables: tf.Variable[];
  optimizer: Optimizer | undefined;
}

export interface Evaluation {
  valLoss: number;
  valAccuracy: number;
}

export interface StepReport {
  step: number;
  /** Rate of the last step of the window. */
  learningRate: number;
  /** Mean training loss of the steps since the previous report. */
  loss: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface RunOptions {
  /** Train until `step` reaches this (absolute step count, so a resumed trial continues its count). */
  untilStep: number;
  schedule: Schedule;
  momentumSchedule?: Schedule;
  /** Read the loss back every this many steps (reading forces a sync with the backend). */
  reportEvery: number;
  onReport?: (report: StepReport) => void | Promise<void>;
  /** Checked before every step: training stops at the next step boundary once it is aborted. */
  signal?: AbortSignal;
}

export type RunOutcome = 'budget' | 'stopped' | 'non-finite';

/**
 * Everything needed to continue a trial exactly where it paused, on any process: weights,
 * optimizer state, and the position in the seeded data order.
 */
export interface TrainerSnapshot {
  step: number;
  weights: Float32Array[];
  /** One per trainable (not frozen) layer group, in group order: each group keeps its own state. */
  optimizers: OptimizerSnapshot[];
  /** Data-order generator state at the start of the current epoch, and the next batch in it. */
  epochRngState: number;
  batchCursor: number;
}

const EVAL_CHUNK = 1000;

/**
 * The training loop: one model, one optimizer, batches of a fixed dataset in a seeded order.
 * The rate is set at every step from a schedule; losses are read back only when reported.
 * Everything it allocates is released by `dispose()`.
 */
export class Trainer {
  /** Updates applied so far. */
  step = 0;
  private epochBatches: Batch[] = [];
  private batchCursor = 0;
  private epochRngState: number;
  private readonly order: SeededRandom;
  /** Variables of the groups that train, in group order (gradients are taken for these only). */
  private readonly variables: tf.Variable[];
  /** Tape-free gradients when the model is a plain MLP (see dense-gradients.ts). */
  private readonly fastPath: DenseFastPath | undefined;
  /** The training examples' non-zeros, when the fast path's first layer takes them (sparse input). */
  private readonly sparseTrain: SparseRows | undefined;
  /** Validation chunks, made at the first evaluation; CSR when the first layer takes sparse input. */
  private validationTensors: Batch[] | undefined;

  private constructor(
    readonly options: TrainerOptions,
    readonly model: tfl.LayersModel,
    readonly parameterCount: number,
    readonly modelDescription: string,
    private readonly groups: TrainerGroup[],
  ) {
    this.order = new SeededRandom(deriveSeed(options.seed, 7));
    this.epochRngState = this.order.state;
    this.variables = groups.flatMap((g) => (g.optimizer ? g.variables : []));
    const dense = options.fastPath === false ? undefined : denseFastPath(model, this.variables);
    // The training set's non-zeros are indexed only for a model whose first layer can read them.
    const kernels = dense && options.sparseInput !== false ? sparseDenseKernels() : undefined;
    const sparseTrain = kernels ? sparseRowsIfSparse(options.train.features, featureSize(options.train)) : undefined;
    const sparse = sparseTrain && denseFastPath(model, this.variables, { sparse: kernels });
    this.fastPath = sparse?.sparseInput ? sparse : dense;
    this.sparseTrain = sparse?.sparseInput ? sparseTrain : undefined;
  }

  /** How the first layer reads its input: 'sparse' when it takes the non-zeros only. */
  get inputPath(): 'sparse' | 'dense' {
    return this.sparseTrain ? 'sparse' : 'dense';
  }

  static async create(options: TrainerOptions): Promise<Trainer> {
    const { model, parameterCount, description } = await buildModel(options.model, options.train.featureShape, options.train.numClasses, options.seed);
    const weighted = model.layers.filter((l) => l.trainableWeights.length > 0);
    let resolved: ResolvedLayerGroup[];
    try {
      resolved = resolveLayerGroups(options.layerGroups, weighted.map((l) => l.name));
    } catch (error) {
      model.dispose();
      if (error instanceof LayerGroupError) throw new TrainingSetupError(error.message, error.field, { cause: error });
      throw error;
    }
    const groups = resolved.map((g): TrainerGroup => {
      const variables = g.layers.flatMap((i) => weighted[i]!.trainableWeights.map((w) => w.read() as tf.Variable));
      return { ...g, variables, optimizer: g.frozen ? undefined : createOptimizer(options.optimizer, variables) };
    });
    const frozen = groups.filter((g) => g.frozen).map((g) => g.name);
    return new Trainer(options, model, parameterCount, frozen.length ? `${description}, frozen: ${frozen.join(', ')}` : description, groups);
  }

  /** The layer groups, in order, with the layers (by name) each holds. */
  get layerGroups(): { name: string; layers: string[]; frozen: boolean }[] {
    const weighted = this.model.layers.filter((l) => l.trainableWeights.length > 0);
    return this.groups.map((g) => ({ name: g.name, layers: g.layers.map((i) => weighted[i]!.name), frozen: g.frozen }));
  }

  /** Each group's rate for the scheduled value x (0 for frozen groups). */
  ratesFor(x: number): number[] {
    return this.options.rates ? this.options.rates(x, this.groups) : groupRates(this.options.layerGroups, this.groups, x);
  }

  /** Builds the next epoch's batches at once: slicing one batch per step out of a resident tensor costs more. */
  private nextBatch(): Batch {
    if (this.batchCursor >= this.epochBatches.length || this.epochBatches.length === 0) {
      for (const b of this.epochBatches) disposeBatch(b);
      this.epochRngState = this.order.state;
      this.epochBatches = this.makeEpoch();
      this.batchCursor = 0;
    }
    return this.epochBatches[this.batchCursor++]!;
  }

  private makeEpoch(): Batch[] {
    const data = this.options.train;
    const count = exampleCount(data);
    const size = featureSize(data);
    const rows = this.order.shuffle(Array.from({ length: count }, (_, i) => i));
    const batchSize = Math.min(this.options.batchSize, count);
    const batches: Batch[] = [];
    // Drop the last partial batch: every step sees the same batch size, so losses are comparable.
    for (let start = 0; start + batchSize <= count; start += batchSize) {
      const batchRows = rows.slice(start, start + batchSize);
      const ys = new Float32Array(batchSize * data.numClasses);
      batchRows.forEach((row, i) => (ys[i * data.numClasses + data.labels[row]!] = 1));
      let xs: tf.Tensor | CsrBatch;
      if (this.sparseTrain) {
        const csr = csrOfRows(this.sparseTrain, batchRows);
        xs = csrBatch(batchSize, size, csr.rowPtr, csr.indices, csr.values);
      } else {
        const dense = new Float32Array(batchSize * size);
        batchRows.forEach((row, i) => dense.set(data.features.subarray(row * size, (row + 1) * size), i * size));
        xs = tf.tensor(dense, [batchSize, ...data.featureShape]);
      }
      batches.push({ xs, ys: tf.tensor2d(ys, [batchSize, data.numClasses]) });
    }
    return batches;
  }

  private lossOf(xs: tf.Tensor, ys: tf.Tensor, training: boolean): tf.Scalar {
    const logits = this.model.apply(xs, { training }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(ys, logits);
  }

  /**
   * One update with the scheduled value `hyper.learningRate` (mapped to one rate per layer group).
   * Returns the batch loss as a tensor the caller must dispose.
   */
  trainStep(hyper: StepHyper): tf.Scalar {
    const { xs, ys } = this.nextBatch();
    const rates = this.ratesFor(hyper.learningRate);
    const loss = tf.tidy(() => {
      // `training: true` matters only for dropout, which the fast path refuses.
      const { value, grads } = this.fastPath ? this.fastPath.lossAndGrads(xs, ys) : tf.variableGrads(() => this.lossOf(xs as tf.Tensor, ys, true), this.variables);
      this.groups.forEach((g, i) => {
        if (!g.optimizer) return;
        g.optimizer.apply(
          g.variables.map((v) => grads[v.name]!),
          { ...hyper, learningRate: rates[i]! },
        );
      });
      return value;
    });
    this.step += 1;
    return loss;
  }

  /**
   * Trains up to `untilStep`, reporting every `reportEvery` steps and at the last step. Stops at the
   * next step when the signal aborts, and at once on a non-finite loss (it is reported first).
   */
  async run(options: RunOptions): Promise<RunOutcome> {
    let windowSum: tf.Scalar | undefined;
    let windowSteps = 0;
    try {
      while (this.step < options.untilStep) {
        if (options.signal?.aborted) return 'stopped';
        const learningRate = options.schedule(this.step);
        const momentum = options.momentumSchedule?.(this.step);
        const loss = this.trainStep(momentum === undefined ? { learningRate } : { learningRate, momentum });
        // Sum the window's losses on the backend: one read per report instead of one per step.
        const sum: tf.Scalar = windowSum ? tf.add<tf.Scalar>(windowSum, loss) : loss;
        if (windowSum) tf.dispose([windowSum, loss]);
        windowSum = sum;
        windowSteps += 1;
        if (this.step % options.reportEvery !== 0 && this.step !== options.untilStep) {
          // Let a stop request (an RPC, an IPC message) in between steps.
          await yieldToEventLoop();
          continue;
        }
        const value = (await sum.data())[0]! / windowSteps;
        sum.dispose();
        windowSum = undefined;
        windowSteps = 0;
        await options.onReport?.({ step: this.step, learningRate, loss: value });
        if (!Number.isFinite(value)) return 'non-finite';
      }
      return 'budget';
    } finally {
      windowSum?.dispose();
    }
  }

  /** Mean loss and accuracy on the fixed validation examples. */
  async evaluate(): Promise<Evaluation> {
    this.validationTensors ??= this.makeValidation();
    let lossSum = 0;
    let correct = 0;
    let total = 0;
    for (const chunk of this.validationTensors) {
      const [lossTotal, hits] = tf.tidy((): [tf.Scalar, tf.Scalar] => {
        // The fast path's forward pass, sparse where training is (most of an MLP's evaluation is its first layer).
        const logits = this.fastPath ? this.fastPath.logits(chunk.xs) : (this.model.apply(chunk.xs as tf.Tensor, { training: false }) as tf.Tensor);
        const perExample = tf.losses.softmaxCrossEntropy(chunk.ys, logits, undefined, undefined, tf.Reduction.NONE);
        const matches = tf.equal(tf.argMax(logits, -1), tf.argMax(chunk.ys, -1));
        return [tf.sum(perExample), tf.sum(tf.cast(matches, 'float32'))];
      });
      const [l, h] = await Promise.all([lossTotal.data(), hits.data()]);
      tf.dispose([lossTotal, hits]);
      lossSum += l[0]!;
      correct += h[0]!;
      total += chunk.ys.shape[0];
    }
    return { valLoss: lossSum / total, valAccuracy: correct / total };
  }

  private makeValidation(): Batch[] {
    const data = this.options.validation;
    const count = Math.min(exampleCount(data), this.options.validationLimit ?? Infinity);
    const size = featureSize(data);
    // Sparse like the training batches, when the validation features are sparse too.
    const sparse = this.sparseTrain ? sparseRowsIfSparse(data.features, size) : undefined;
    const chunks: Batch[] = [];
    for (let start = 0; start < count; start += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, count - start);
      const ys = new Float32Array(n * data.numClasses);
      for (let i = 0; i < n; i++) ys[i * data.numClasses + data.labels[start + i]!] = 1;
      let xs: tf.Tensor | CsrBatch;
      if (sparse) {
        const csr = csrOfRows(sparse, Array.from({ length: n }, (_, i) => start + i));
        xs = csrBatch(n, size, csr.rowPtr, csr.indices, csr.values);
      } else {
        xs = tf.tensor(data.features.subarray(start * size, (start + n) * size), [n, ...data.featureShape]);
      }
      chunks.push({ xs, ys: tf.tensor2d(ys, [n, data.numClasses]) });
    }
    return chunks;
  }

  /** Batches per epoch of the training data. */
  get batchesPerEpoch(): number {
    return Math.max(1, Math.floor(exampleCount(this.options.train) / Math.min(this.options.batchSize, exampleCount(this.options.train))));
  }

  snapshot(): TrainerSnapshot {
    return {
      step: this.step,
      weights: this.model.getWeights().map((w) => (w.dataSync() as Float32Array).slice()),
      optimizers: this.groups.flatMap((g) => (g.optimizer ? [g.optimizer.snapshot()] : [])),
      epochRngState: this.epochRngState,
      batchCursor: this.batchCursor,
    };
  }

  /** Continues from a snapshot of a trainer built from the same options. */
  restore(snapshot: TrainerSnapshot): void {
    const current = this.model.getWeights();
    if (snapshot.weights.length !== current.length) throw new Error(`snapshot has ${snapshot.weights.length} weight tensors, the model ${current.length}`);
    const tensors = snapshot.weights.map((w, i) => tf.tensor(w, current[i]!.shape));
    this.model.setWeights(tensors);
    tf.dispose(tensors);
    const trainable = this.groups.filter((g) => g.optimizer);
    if (snapshot.optimizers.length !== trainable.length) throw new Error(`snapshot has optimizer state for ${snapshot.optimizers.length} layer groups, the trainer ${trainable.length}`);
    trainable.forEach((g, i) => g.optimizer!.restore(snapshot.optimizers[i]!));
    this.step = snapshot.step;
    for (const b of this.epochBatches) disposeBatch(b);
    // Regenerate the epoch in progress from the generator state it started with.
    this.order.state = snapshot.epochRngState;
    this.epochRngState = snapshot.epochRngState;
    this.epochBatches = this.makeEpoch();
    this.batchCursor = snapshot.batchCursor;
  }

  dispose(): void {
    for (const b of this.epochBatches) disposeBatch(b);
    this.epochBatches = [];
    for (const c of this.validationTensors ?? []) disposeBatch(c);
    this.validationTensors = undefined;
    for (const g of this.groups) g.optimizer?.dispose();
    this.model.dispose();
  }
}
