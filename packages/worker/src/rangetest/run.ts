import {
  analyzeCurve,
  DebiasedEma,
  exponentialRamp,
  type BackendName,
  type RangeTestPoint,
  type RangeTestStopReason,
  type SeedResult,
  type SweepSpec,
} from '@lrsweep/shared';
import type { DataSplits } from '../data/dataset.js';
import { Trainer } from '../trainer/trainer.js';

export interface SeedRunOptions {
  backend: BackendName;
  onStep?: (point: RangeTestPoint) => void;
  signal?: AbortSignal;
}

/**
 * One LR range test: a fresh model (weights never reused) trained on the search sample while the
 * rate rises exponentially from rangeTest.min to rangeTest.max, one step per rate. It stops when
 * the debiased smoothed loss exceeds divergenceFactor × its minimum, or the loss turns non-finite.
 */
export async function runRangeTestSeed(spec: SweepSpec, splits: DataSplits, seed: number, options: SeedRunOptions): Promise<SeedResult> {
  const started = performance.now();
  const { min, max, steps, beta } = spec.rangeTest;
  const divergenceFactor = spec.rangeTest.divergenceFactor ?? spec.pruning.divergenceFactor;
  const schedule = exponentialRamp(min, max, steps);
  const trainer = await Trainer.create({
    model: spec.model,
    optimizer: spec.optimizer,
    batchSize: spec.batchSize,
    seed,
    train: splits.sample,
    validation: splits.validation,
    layerGroups: spec.layerGroups,
  });
  const points: RangeTestPoint[] = [];
  const ema = new DebiasedEma(beta);
  let best = Infinity;
  let stopReason: RangeTestStopReason = 'completed';
  try {
    for (let step = 0; step < steps; step++) {
      if (options.signal?.aborted) {
        stopReason = 'cancelled';
        break;
      }
      const learningRate = schedule(step);
      const lossTensor = trainer.trainStep({ learningRate });
      const loss = (await lossTensor.data())[0]!;
      lossTensor.dispose();
      const smoothed = ema.push(loss);
      const point = { step, learningRate, loss, smoothed };
      points.push(point);
      options.onStep?.(point);
      if (!Number.isFinite(loss)) {
        stopReason = 'non-finite';
        break;
      }
      best = Math.min(best, smoothed);
      if (smoothed > divergenceFactor * best) {
        stopReason = 'diverged';
        break;
      }
    }
  } finally {
    trainer.dispose();
  }
  const analysis = analyzeCurve(points, { beta, plannedSteps: steps });
  return {
    seed,
    points,
    stopReason,
    backend: options.backend,
    suggestions: analysis.suggestions,
    range: analysis.range,
    warnings: analysis.warnings,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
