/**
 * The final training loop: the spec's schedule over the surviving range for `final.epochs` epochs,
 * validated at each epoch's end, with the rate adapted by a RateController (@lrsweep/shared):
 * the divergence guard rolls back to the last good in-memory snapshot and lowers the rate,
 * reduce-on-plateau cuts it when the validation loss stalls, and cosine-restarts (SGDR) announce
 * each cycle. The rate applied at a step is schedule(step) × the controller's multiplier, and every
 * change of it is emitted with its reason. Uses only the Trainer's public API.
 */
import {
  oneCycleMomentum,
  RateController,
  restartSteps,
  scheduleForRange,
  warmRestartChange,
  type RateChange,
  type RateControllerConfig,
  type Schedule,
  type SweepSpec,
} from '@lrsweep/shared';
import type { Evaluation, Trainer, TrainerSnapshot } from '../trainer/trainer.js';

/** The part of a Trainer the loop drives. */
export type FinalTrainer = Pick<Trainer, 'run' | 'snapshot' | 'restore' | 'evaluate' | 'step' | 'batchesPerEpoch'>;

export interface FinalTrainingOptions {
  final: SweepSpec['final'];
  optimizerName: SweepSpec['optimizer']['name'];
  /** pruning.divergenceFactor: the guard's divergenceFactor unless final.divergenceGuard sets one. */
  pruningDivergenceFactor: number;
  lrMin: number;
  lrMax: number;
  reportEvery: number;
  signal?: AbortSignal;
}

export type FinalTrainingEvent =
  | { type: 'report'; step: number; learningRate: number; loss: number; epoch: number; totalSteps: number; valLoss?: number; valAccuracy?: number }
  | ({ type: 'rate-change'; index: number; learningRate: number; epoch: number } & RateChange);

export type FinalTrainingOutcome =
  | ({ outcome: 'done'; steps: number; adjustments: number } & Evaluation)
  /** Stopped when asked, or a non-finite loss without the guard (as before the guard existed). */
  | { outcome: 'stopped' | 'non-finite'; step: number }
  /** The guard's retries are spent (or it had nothing to roll back to). */
  | { outcome: 'diverged'; step: number; error: string };

/** The first cycle of cosine-restarts in steps, and its growth (defaults: 1 epoch, ×2). */
export function restartCyclesOf(final: SweepSpec['final'], perEpoch: number): { firstCycle: number; cycleMult: number } {
  const w = final.warmRestarts;
  const firstCycle = w?.cycleSteps ?? Math.max(1, Math.round((w?.cycleEpochs ?? 1) * perEpoch));
  return { firstCycle, cycleMult: w?.cycleMult ?? 2 };
}

/** The controller's configuration for a final spec (guard and plateau as the spec has them). */
export function controllerConfig(final: SweepSpec['final'], pruningDivergenceFactor: number): RateControllerConfig {
  const g = final.divergenceGuard;
  const p = final.reduceOnPlateau;
  return {
    ...(g.enabled ? { guard: { divergenceFactor: g.divergenceFactor ?? pruningDivergenceFactor, factor: g.factor, maxRetries: g.maxRetries, checkpointEvery: g.checkpointEvery } } : {}),
    ...(p ? { plateau: { patience: p.patience, factor: p.factor, minDelta: p.minDelta, cooldown: p.cooldown, ...(p.minRate !== undefined ? { minRate: p.minRate } : {}) } } : {}),
  };
}

const nextMultiple = (step: number, every: number) => (Math.floor(step / every) + 1) * every;

export async function runFinalTraining(trainer: FinalTrainer, options: FinalTrainingOptions, emit: (event: FinalTrainingEvent) => void): Promise<FinalTrainingOutcome> {
  const { final } = options;
  const perEpoch = trainer.batchesPerEpoch;
  const totalSteps = perEpoch * final.epochs;
  const restarts = final.schedule === 'cosine-restarts' ? restartCyclesOf(final, perEpoch) : undefined;
  const base = scheduleForRange(final.schedule, options.lrMin, options.lrMax, totalSteps, restarts);
  const config = controllerConfig(final, options.pruningDivergenceFactor);
  // The guard's first reference: the loss before training (one validation pass), so that even the
  // first window blowing up is caught.
  if (config.guard) config.guard.initialLoss = (await trainer.evaluate()).valLoss;
  const controller = new RateController(config);
  const schedule: Schedule = (step) => base(step) * controller.multiplier;
  // One-cycle pairs its rate with cyclical momentum for the optimizers that have one (fastai's moms).
  const cyclesMomentum = final.schedule === 'one-cycle' && (options.optimizerName === 'momentum' || options.optimizerName === 'adam');
  const momentumSchedule = cyclesMomentum ? oneCycleMomentum(totalSteps) : undefined;
  const evaluateEvery = final.reduceOnPlateau?.everySteps;
  const restartAt = restarts ? restartSteps(restarts.firstCycle, restarts.cycleMult, totalSteps) : [];
  const epochOf = (step: number) => Math.max(1, Math.ceil(step / perEpoch));
  const evaluatesAt = (step: number) => step % perEpoch === 0 || step === totalSteps || (evaluateEvery !== undefined && step % evaluateEvery === 0);

  let index = 0;
  const change = (c: RateChange, nextStep: number) => emit({ type: 'rate-change', index: index++, ...c, learningRate: schedule(nextStep), epoch: epochOf(Math.max(1, c.step)) });

  // The guard's snapshots, by step: the rollback target and at most one candidate after it.
  const snapshots = new Map<number, TrainerSnapshot>();
  const keepOnly = (steps: number[]) => {
    for (const step of snapshots.keys()) if (!steps.includes(step)) snapshots.delete(step);
  };
  if (controller.config.guard) {
    snapshots.set(trainer.step, trainer.snapshot());
    controller.checkpointed(trainer.step);
  }

  let evaluation: Evaluation = { valLoss: NaN, valAccuracy: NaN };
  let restartsAnnounced = 0;
  while (trainer.step < totalSteps) {
    const from = trainer.step;
    const stops = [nextMultiple(from, perEpoch), totalSteps];
    if (evaluateEvery !== undefined) stops.push(nextMultiple(from, evaluateEvery));
    const restart = restartAt.find((s) => s > from);
    if (restart !== undefined) stops.push(restart);
    const until = Math.min(...stops);

    const interrupt = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, interrupt.signal]) : interrupt.signal;
    let verdict: ReturnType<RateController['onReport']> | undefined;
    let held: Extract<FinalTrainingEvent, { type: 'report' }> | undefined;
    const outcome = await trainer.run({
      untilStep: until,
      schedule,
      ...(momentumSchedule ? { momentumSchedule } : {}),
      reportEvery: options.reportEvery,
      signal,
      onReport: (r) => {
        const report = { type: 'report' as const, ...r, epoch: epochOf(r.step), totalSteps };
        const v = controller.onReport(r.step, r.loss);
        if (v.action !== 'continue') {
          // The loss that set it off is shown, then the change; training stops at once.
          emit(report);
          verdict = v;
          interrupt.abort();
          return;
        }
        // A report at an evaluation step waits for its validation pass and carries it.
        if (r.step === until && evaluatesAt(until)) held = report;
        else emit(report);
        if (v.checkpoint) {
          snapshots.set(r.step, trainer.snapshot());
          controller.checkpointed(r.step);
        }
        keepOnly(controller.retainedSteps());
      },
    });
    if (options.signal?.aborted) {
      if (held) emit(held);
      return { outcome: 'stopped', step: trainer.step };
    }
    const decided = verdict;
    if (decided?.action === 'rollback') {
      const snapshot = snapshots.get(decided.toStep);
      if (!snapshot) throw new Error(`no snapshot of step ${decided.toStep} to roll back to (kept: ${[...snapshots.keys()].join(', ')})`);
      trainer.restore(snapshot);
      keepOnly(controller.retainedSteps());
      change(decided.change, decided.toStep);
      continue;
    }
    if (decided?.action === 'fail') {
      return { outcome: 'diverged', step: decided.step, error: `the loss diverged and the divergence guard gave up: ${decided.reason}` };
    }
    if (outcome !== 'budget') {
      if (held) emit(held);
      return { outcome, step: trainer.step };
    }
    if (evaluatesAt(until)) {
      evaluation = await trainer.evaluate();
      emit({ ...(held ?? { type: 'report', step: until, learningRate: schedule(until - 1), loss: NaN, epoch: epochOf(until), totalSteps }), ...evaluation });
      if (until < totalSteps) {
        const cut = controller.onValidation(until, evaluation.valLoss, base(until));
        if (cut) change(cut, until);
      }
    }
    if (restarts && until === restart && until < totalSteps) {
      // Every time training crosses it (again after a rollback), announced once.
      controller.onCycleStart();
      if (restartsAnnounced < restartAt.indexOf(until) + 1) {
        restartsAnnounced = restartAt.indexOf(until) + 1;
        change(warmRestartChange(until, restarts.firstCycle, restarts.cycleMult, controller.multiplier, base(until)), until);
      }
    }
  }
  return { outcome: 'done', steps: trainer.step, adjustments: index, ...evaluation };
}
