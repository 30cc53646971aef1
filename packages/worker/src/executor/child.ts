/**
 * An executor process: runs one trial at a time for its worker and streams progress over IPC
 * (structured clone, so snapshots travel as typed arrays). A crash here fails one trial, not the
 * worker. Forked by ExecutorPool.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { constant, finalGroupRates } from '@lrsweep/shared';
import { selectBackend, type BackendInfo } from '../backend/select.js';
import type { DataSplits } from '../data/dataset.js';
import { loadDataSplits } from '../data/load.js';
import { saveLayersModel } from '../models/save.js';
import { runRangeTestSeed } from '../rangetest/run.js';
import { Trainer, type TrainerSnapshot } from '../trainer/trainer.js';
import { runFinalTraining } from './final-training.js';
import type { ExecutorEvent, ExecutorJob, ExecutorRequest } from './protocol.js';

let backend: BackendInfo | undefined;
let draining = false;
const splitsCache = new Map<string, DataSplits>();
const running = new Map<string, AbortController>();
/** Per running job: when it arrived and how long it took to be ready to train (its end event's timing). */
const timings = new Map<string, { startedAtMs: number; t0: number; setupMs: number }>();
/** The state of the last search trial that paused here: a resume here needs no snapshot over the pipe (ExecutorJob.keptSnapshotStep). */
let kept: { key: string; snapshot: TrainerSnapshot } | undefined;

/**
 * The last search job's trainer, kept for the next search job built from the same options (a
 * sweep's search trials differ only in their rate and progress): restoring a state into it costs
 * less than building the model, its optimizer, the validation chunks and the first epoch again,
 * and a resume of the trial that paused in it needs no restore at all (`holds`).
 */
let warm: { options: string; trainer: Trainer; initial: TrainerSnapshot; holds: string | undefined; inUse: boolean } | undefined;

function discardWarm(): void {
  warm?.trainer.dispose();
  warm = undefined;
}

/** Done with a search job's trainer: kept warm, or disposed if it is not the warm one (or failed). */
function releaseTrainer(trainer: Trainer, failed: boolean): void {
  if (warm?.trainer !== trainer) return trainer.dispose();
  warm.inUse = false;
  // A trainer that failed mid-way is not trusted again.
  if (failed) discardWarm();
}

/** A new trainer for a search job, in the state the job starts from. */
async function newSearchTrainer(job: ExecutorJob, splits: DataSplits): Promise<{ trainer: Trainer; initial: TrainerSnapshot }> {
  const { spec } = job;
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: job.seed, train: splits.sample, validation: splits.validation, layerGroups: spec.layerGroups });
  try {
    const initial = trainer.snapshot();
    const snapshot = job.snapshot ?? keptSnapshot(job);
    if (snapshot) trainer.restore(snapshot);
    return { trainer, initial };
  } catch (error) {
    trainer.dispose();
    throw error;
  }
}

/** A trainer for a search job, in the state the job starts from: the warm one when it fits. */
async function searchTrainer(job: ExecutorJob, splits: DataSplits): Promise<Trainer> {
  const { spec } = job;
  // Never two jobs at once here; if it ever happened, the second gets a trainer of its own.
  if (warm?.inUse) return (await newSearchTrainer(job, splits)).trainer;
  const options = JSON.stringify([spec.dataset, spec.seed, spec.model, spec.optimizer, spec.batchSize, spec.layerGroups ?? null, job.seed]);
  if (warm?.options !== options) {
    discardWarm();
    const { trainer, initial } = await newSearchTrainer(job, splits);
    warm = { options, trainer, initial, holds: undefined, inUse: true };
    return trainer;
  }
  const holds = warm.holds;
  warm.holds = undefined;
  // Paused here and nothing ran since: the trainer is in that state already.
  if (job.keptSnapshotStep !== undefined && holds === `${job.sweepId}/${job.trialId}@${job.keptSnapshotStep}`) {
    warm.inUse = true;
    return warm.trainer;
  }
  try {
    warm.trainer.restore(job.snapshot ?? keptSnapshot(job) ?? warm.initial);
  } catch (error) {
    discardWarm();
    throw error;
  }
  warm.inUse = true;
  return warm.trainer;
}

/**
 * The last paused state, not yet sent to the worker. It goes once the next job here is set up (or
 * after PAUSED_SEND_DELAY_MS without one): copying 400 KB across the pipe costs both processes a
 * few milliseconds, better spent while a trial trains than while the coordinator decides what
 * runs next. The worker saves it as the trial's checkpoint.
 */
let unsent: { event: Extract<ExecutorEvent, { type: 'paused' }>; timer: NodeJS.Timeout } | undefined;
const PAUSED_SEND_DELAY_MS = 30;

function sendPaused(): void {
  if (!unsent) return;
  clearTimeout(unsent.timer);
  const { event } = unsent;
  unsent = undefined;
  send(event);
}

function keptSnapshot(job: ExecutorJob): TrainerSnapshot | undefined {
  if (job.keptSnapshotStep === undefined) return undefined;
  const key = `${job.sweepId}/${job.trialId}`;
  if (kept?.key !== key || kept.snapshot.step !== job.keptSnapshotStep) throw new Error(`this executor keeps no state of ${key} at step ${job.keptSnapshotStep}`);
  return kept.snapshot;
}

function markSetupDone(trialId: string): void {
  const t = timings.get(trialId);
  if (t) t.setupMs = performance.now() - t.t0;
  sendPaused();
}

function send(event: ExecutorEvent): void {
  // Reports carry the executor's tfjs memory, for the worker's gauges.
  if (event.type === 'report') {
    const { numTensors, numBytes } = tf.memory();
    process.send?.({ ...event, numTensors, numBytes });
    return;
  }
  // Events that end a job carry its timing (slot utilisation: see bench parallel).
  const ends = event.type === 'budget' || event.type === 'stopped' || event.type === 'final-done' || event.type === 'range-test-done' || event.type === 'failed';
  const t = ends ? timings.get(event.trialId) : undefined;
  process.send?.(t ? { ...event, timing: { startedAtMs: t.startedAtMs, setupMs: t.setupMs, busyMs: performance.now() - t.t0 } } : event);
}

function splitsFor(job: ExecutorJob): DataSplits {
  const key = JSON.stringify([job.spec.dataset, job.spec.seed]);
  let splits = splitsCache.get(key);
  if (!splits) {
    if (splitsCache.size >= 4) splitsCache.clear();
    splits = loadDataSplits(job.spec);
    splitsCache.set(key, splits);
  }
  return splits;
}

async function runSearch(job: ExecutorJob, signal: AbortSignal): Promise<void> {
  const splits = splitsFor(job);
  const { spec } = job;
  const trainer = await searchTrainer(job, splits);
  const from = trainer.step;
  let failed = true;
  try {
    markSetupDone(job.trialId);
    // Train in stretches that end on checkpoint steps, snapshotting at each (not at the budget,
    // which sends its own snapshot after the validation result).
    const every = job.checkpointEvery > 0 ? job.checkpointEvery : 0;
    for (;;) {
      const until = every > 0 ? Math.min(job.untilStep, (Math.floor(trainer.step / every) + 1) * every) : job.untilStep;
      const outcome = await trainer.run({
        untilStep: until,
        schedule: constant(job.learningRate),
        reportEvery: spec.search.reportEvery,
        signal,
        onReport: (r) => send({ type: 'report', sweepId: job.sweepId, trialId: job.trialId, ...r }),
      });
      if (outcome !== 'budget') {
        // Draining for a shutdown: leave a checkpoint at the step reached, so nothing is lost.
        if (outcome === 'stopped' && draining && trainer.step > from) {
          send({ type: 'checkpoint', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, snapshot: trainer.snapshot() });
        }
        failed = false;
        send({ type: 'stopped', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, outcome });
        return;
      }
      if (until >= job.untilStep) break;
      send({ type: 'checkpoint', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, snapshot: trainer.snapshot() });
    }
    const evaluation = await trainer.evaluate();
    const snapshot = trainer.snapshot();
    const key = `${job.sweepId}/${job.trialId}`;
    kept = { key, snapshot };
    if (warm?.trainer === trainer) warm.holds = `${key}@${trainer.step}`;
    failed = false;
    // The small message first: its decision need not wait for 400 KB of weights to cross the pipe.
    send({ type: 'budget', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, ...evaluation });
    sendPaused();
    unsent = { event: { type: 'paused', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, snapshot }, timer: setTimeout(sendPaused, PAUSED_SEND_DELAY_MS) };
  } finally {
    releaseTrainer(trainer, failed);
  }
}

async function runFinal(job: ExecutorJob, signal: AbortSignal): Promise<void> {
  const splits = splitsFor(job);
  const { spec } = job;
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: job.seed, train: splits.train, validation: splits.validation, layerGroups: spec.layerGroups, rates: finalGroupRates(spec.layerGroups, job.lrMax) });
  markSetupDone(job.trialId);
  try {
    // The spec's schedule × the multiplier of the divergence guard / reduce-on-plateau (final-training.ts).
    const ids = { sweepId: job.sweepId, trialId: job.trialId };
    const result = await runFinalTraining(
      trainer,
      { final: spec.final, optimizerName: spec.optimizer.name, pruningDivergenceFactor: spec.pruning.divergenceFactor, lrMin: job.lrMin, lrMax: job.lrMax, reportEvery: spec.search.reportEvery, signal },
      (event) => send({ ...event, ...ids }),
    );
    if (result.outcome === 'diverged') {
      send({ type: 'failed', ...ids, error: result.error });
      return;
    }
    if (result.outcome !== 'done') {
      send({ type: 'stopped', ...ids, step: result.step, outcome: result.outcome });
      return;
    }
    const modelPath = await saveLayersModel(trainer.model, join(job.modelsDir, job.sweepId, job.trialId));
    send({ type: 'final-done', ...ids, steps: result.steps, valLoss: result.valLoss, valAccuracy: result.valAccuracy, modelPath });
  } finally {
    trainer.dispose();
  }
}

async function runJob(job: ExecutorJob): Promise<void> {
  const abort = new AbortController();
  running.set(job.trialId, abort);
  timings.set(job.trialId, { startedAtMs: Date.now(), t0: performance.now(), setupMs: 0 });
  try {
    if (!backend) throw new Error('executor not initialised');
    // A final (the whole training set) or a range test needs the memory more than a warm search trainer.
    if (job.kind !== 'search' && !warm?.inUse) discardWarm();
    if (job.kind === 'search') await runSearch(job, abort.signal);
    else if (job.kind === 'final') await runFinal(job, abort.signal);
    else {
      const splits = splitsFor(job);
      markSetupDone(job.trialId);
      const result = await runRangeTestSeed(job.spec, splits, job.seed, { backend: backend.name, signal: abort.signal });
      send({ type: 'range-test-done', sweepId: job.sweepId, trialId: job.trialId, result });
    }
  } catch (error) {
    send({ type: 'failed', sweepId: job.sweepId, trialId: job.trialId, error: error instanceof Error ? error.message : String(error) });
  } finally {
    running.delete(job.trialId);
    timings.delete(job.trialId);
  }
}

process.on('message', (request: ExecutorRequest) => {
  if (request.type === 'init') {
    selectBackend(request.backend)
      .then((info) => {
        backend = info;
        send({ type: 'ready', backend: info.name });
      })
      .catch((error: unknown) => {
        process.stderr.write(`executor: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(3);
      });
  } else if (request.type === 'run') {
    void runJob(request.job);
  } else if (request.type === 'drain') {
    sendPaused();
    draining = true;
    for (const abort of running.values()) abort.abort();
  } else {
    running.get(request.trialId)?.abort();
  }
});
process.on('disconnect', () => process.exit(0));
