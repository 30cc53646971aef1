import type { Command, SchedulerConfig } from './scheduler.js';
import { SweepScheduler } from './scheduler.js';

/** A synthetic trial: its mean training loss over the steps up to `step`, and its validation loss at a step. */
export interface SyntheticCurve {
  loss(learningRate: number, step: number): number;
  valLoss(learningRate: number, step: number): number;
}

export interface SimulatedWorker {
  id: string;
  slots: number;
}

export interface SimulationLog {
  scheduler: SweepScheduler;
  commands: Command[];
  /** Every moment a slot sat idle while the scheduler still had work it could give that worker. */
  idleWithWork: { tick: number; workerId: string }[];
  ticks: number;
}

/**
 * Drives a scheduler with a deterministic fake cluster: every tick, each running trial trains
 * `reportEvery` steps and reports; free slots ask for work. A fake trainer for the pure core's
 * tests and for load tests, never the product.
 */
export function simulate(config: SchedulerConfig, curve: SyntheticCurve, workers: SimulatedWorker[], reportEvery = 5, maxTicks = 100_000): SimulationLog {
  const scheduler = new SweepScheduler(config);
  const commands: Command[] = [];
  const idleWithWork: SimulationLog['idleWithWork'] = [];
  const running = new Map<string, { workerId: string; learningRate: number; step: number; until: number }>();
  const busy = new Map<string, number>(workers.map((w) => [w.id, 0]));
  const paused = new Map<string, { workerId: string; step: number }>();

  const apply = (cmds: Command[]) => {
    for (const c of cmds) {
      commands.push(c);
      if (c.type === 'start') {
        running.set(c.trialId, { workerId: c.workerId, learningRate: c.learningRate, step: 0, until: c.untilStep });
        busy.set(c.workerId, busy.get(c.workerId)! + 1);
      } else if (c.type === 'resume') {
        const p = paused.get(c.trialId)!;
        paused.delete(c.trialId);
        running.set(c.trialId, { workerId: c.workerId, learningRate: c.learningRate, step: p.step, until: c.untilStep });
        busy.set(c.workerId, busy.get(c.workerId)! + 1);
      } else if (c.type === 'stop') {
        if (running.delete(c.trialId)) busy.set(c.workerId, busy.get(c.workerId)! - 1);
      } else {
        paused.delete(c.trialId);
      }
    }
  };
  // Judged from the trial views alone, independently of the scheduler's own bookkeeping: a pending
  // rate, or a paused trial on this worker ranked in the top 1/η of its rung, is work.
  const hasWorkFor = (workerId: string): boolean => {
    const trials = scheduler.allTrials();
    if (config.strategy === 'grid' || trials.some((t) => t.state === 'PENDING')) return trials.some((t) => t.state === 'PENDING');
    return trials.some((t) => {
      if (t.state !== 'PAUSED' || t.workerId !== workerId || config.strategy === 'sh') return false;
      const entrants = trials
        .filter((o) => o.rungValues[t.rung] != null)
        .map((o) => (o.reason === 'diverged' || !Number.isFinite(o.rungValues[t.rung]!) ? Infinity : o.rungValues[t.rung]!))
        .sort((a, b) => a - b);
      const quota = Math.floor(entrants.length / config.reductionFactor);
      return quota > 0 && t.rungValues[t.rung]! <= entrants[quota - 1]!;
    });
  };
  const fill = (tick: number) => {
    for (const w of workers) {
      while (busy.get(w.id)! < w.slots) {
        const c = scheduler.nextJob(w.id);
        if (!c) break;
        apply([c]);
      }
      if (busy.get(w.id)! < w.slots && hasWorkFor(w.id)) idleWithWork.push({ tick, workerId: w.id });
    }
  };

  let tick = 0;
  fill(tick);
  while (!scheduler.isDone() && tick < maxTicks) {
    tick += 1;
    for (const [trialId, r] of [...running]) {
      if (!running.has(trialId)) continue;
      const step = Math.min(r.step + reportEvery, r.until);
      r.step = step;
      apply(scheduler.onLoss(trialId, step, curve.loss(r.learningRate, step)));
      if (!running.has(trialId)) continue;
      if (scheduler.trial(trialId)?.state !== 'RUNNING') {
        running.delete(trialId);
        busy.set(r.workerId, busy.get(r.workerId)! - 1);
        continue;
      }
      if (step >= r.until) {
        running.delete(trialId);
        busy.set(r.workerId, busy.get(r.workerId)! - 1);
        paused.set(trialId, { workerId: r.workerId, step });
        apply(scheduler.onBudgetReached(trialId, step, curve.valLoss(r.learningRate, step), 1 / (1 + curve.valLoss(r.learningRate, step))));
      }
    }
    fill(tick);
    if (running.size === 0 && !scheduler.isDone()) break; // stuck: reported by the caller's assertions
  }
  return { scheduler, commands, idleWithWork, ticks: tick };
}

/**
 * A loss landscape shaped like real SGD on a small network: too small a rate learns slowly, a good
 * rate learns fast, too large a rate blows up (NaN past `nanAbove`).
 */
export function sgdLikeCurve(options: { best: number; divergeAbove: number; nanAbove?: number; start?: number }): SyntheticCurve {
  const { best, divergeAbove, nanAbove = Infinity, start = 2.3 } = options;
  const loss = (lr: number, step: number) => {
    if (lr >= nanAbove && step >= 10) return NaN;
    if (lr >= divergeAbove) return start * (1 + (step / 10) * (lr / divergeAbove));
    const speed = Math.exp(-Math.abs(Math.log10(lr / best)) * 1.2);
    return 0.1 + (start - 0.1) * Math.exp(-(step / 60) * speed);
  };
  return { loss, valLoss: (lr, step) => loss(lr, step) * 1.05 + 0.02 };
}
