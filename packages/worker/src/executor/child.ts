/**
 * An executor process: runs one trial at a time for its worker and streams progress over IPC
 * (structured clone, so snapshots travel as typed arrays). A crash here fails one trial, not the
 * worker. Forked by ExecutorPool.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { constant, oneCycleMomentum, scheduleForRange } from '@lrsweep/shared';
import { selectBackend, type BackendInfo } from '../backend/select.js';
import type { DataSplits } from '../data/dataset.js';
import { loadDataSplits } from '../data/load.js';
import { saveLayersModel } from '../models/save.js';
import { runRangeTestSeed } from '../rangetest/run.js';
import { Trainer } from '../trainer/trainer.js';
import type { ExecutorEvent, ExecutorJob, ExecutorRequest } from './protocol.js';

let backend: BackendInfo | undefined;
let draining = false;
const splitsCache = new Map<string, DataSplits>();
const running = new Map<string, AbortController>();

function send(event: ExecutorEvent): void {
  // Reports carry the executor's tfjs memory, for the worker's gauges.
  if (event.type === 'report') {
    const { numTensors, numBytes } = tf.memory();
    process.send?.({ ...event, numTensors, numBytes });
    return;
  }
  process.send?.(event);
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
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: job.seed, train: splits.sample, validation: splits.validation });
  try {
    if (job.snapshot) trainer.restore(job.snapshot);
    // Train in stretches that end on checkpoint steps, snapshotting at each (not at the budget,
    // which sends its own snapshot with the validation result).
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
        if (outcome === 'stopped' && draining && trainer.step > (job.snapshot?.step ?? 0)) {
          send({ type: 'checkpoint', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, snapshot: trainer.snapshot() });
        }
        send({ type: 'stopped', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, outcome });
        return;
      }
      if (until >= job.untilStep) break;
      send({ type: 'checkpoint', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, snapshot: trainer.snapshot() });
    }
    const evaluation = await trainer.evaluate();
    send({ type: 'budget', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, ...evaluation, snapshot: trainer.snapshot() });
  } finally {
    trainer.dispose();
  }
}

async function runFinal(job: ExecutorJob, signal: AbortSignal): Promise<void> {
  const splits = splitsFor(job);
  const { spec } = job;
  const trainer = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: job.seed, train: splits.train, validation: splits.validation });
  try {
    const perEpoch = trainer.batchesPerEpoch;
    const totalSteps = perEpoch * spec.final.epochs;
    const schedule = scheduleForRange(spec.final.schedule, job.lrMin, job.lrMax, totalSteps);
    // One-cycle pairs its rate with cyclical momentum for the optimizers that have one (fastai's moms).
    const cyclesMomentum = spec.final.schedule === 'one-cycle' && (spec.optimizer.name === 'momentum' || spec.optimizer.name === 'adam');
    let evaluation = { valLoss: NaN, valAccuracy: NaN };
    for (let epoch = 1; epoch <= spec.final.epochs; epoch++) {
      const epochEnd = epoch * perEpoch;
      let last: Extract<ExecutorEvent, { type: 'report' }> | undefined;
      const outcome = await trainer.run({
        untilStep: epochEnd,
        schedule,
        ...(cyclesMomentum ? { momentumSchedule: oneCycleMomentum(totalSteps) } : {}),
        reportEvery: spec.search.reportEvery,
        signal,
        onReport: (r) => {
          const report = { type: 'report' as const, sweepId: job.sweepId, trialId: job.trialId, ...r, epoch, totalSteps };
          // The epoch's last report waits for its validation pass and carries it.
          if (r.step === epochEnd) last = report;
          else send(report);
        },
      });
      if (outcome !== 'budget') {
        if (last) send(last);
        send({ type: 'stopped', sweepId: job.sweepId, trialId: job.trialId, step: trainer.step, outcome });
        return;
      }
      evaluation = await trainer.evaluate();
      if (last) send({ ...last, ...evaluation });
    }
    const modelPath = await saveLayersModel(trainer.model, join(job.modelsDir, job.sweepId, job.trialId));
    send({ type: 'final-done', sweepId: job.sweepId, trialId: job.trialId, steps: trainer.step, ...evaluation, modelPath });
  } finally {
    trainer.dispose();
  }
}

async function runJob(job: ExecutorJob): Promise<void> {
  const abort = new AbortController();
  running.set(job.trialId, abort);
  try {
    if (!backend) throw new Error('executor not initialised');
    if (job.kind === 'search') await runSearch(job, abort.signal);
    else if (job.kind === 'final') await runFinal(job, abort.signal);
    else {
      const result = await runRangeTestSeed(job.spec, splitsFor(job), job.seed, { backend: backend.name, signal: abort.signal });
      send({ type: 'range-test-done', sweepId: job.sweepId, trialId: job.trialId, result });
    }
  } catch (error) {
    send({ type: 'failed', sweepId: job.sweepId, trialId: job.trialId, error: error instanceof Error ? error.message : String(error) });
  } finally {
    running.delete(job.trialId);
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
    draining = true;
    for (const abort of running.values()) abort.abort();
  } else {
    running.get(request.trialId)?.abort();
  }
});
process.on('disconnect', () => process.exit(0));
