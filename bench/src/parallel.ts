import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats, decodeMessage, EmbeddedNatsServer, loadSpecFile, parseSubject, TrialEvent, WorkerHeartbeat, type SweepSpec } from '@lrsweep/shared';
import { runLocalSweep, toResult } from '@lrsweep/cli';

/** One attempt as its executor timed it (the `timing` of the event that ended it). */
export interface SlotAttempt {
  workerId: string;
  trialId: string;
  /** The event that ended it: budget-reached, stopped, final-done, range-test-done, failed. */
  end: string;
  startedAtMs: number;
  endedAtMs: number;
  setupMs: number;
  busyMs: number;
}

/** Slot-seconds during which a slot ran nothing, by where in the sweep they fell. */
export interface IdleBreakdown {
  /** Submission until the worker's first heartbeat: process start, module load, backend init, NATS. */
  workerStart: number;
  /** First heartbeat until the slot's first attempt: discovery by the coordinator and dispatch. */
  firstDispatch: number;
  /** Between two attempts on the slot: end event → NATS → coordinator → RunTrial → executor, or nothing to run. */
  betweenAttempts: number;
  /** After the slot's last attempt, before the final training began: the last search trials ran elsewhere (ASHA's top rung). */
  searchTail: number;
  /** After the slot's last attempt while the final training (one trial) ran on another slot. */
  duringFinal: number;
  /** After the slot's last attempt otherwise (the end of the search, the sweep's completion). */
  tail: number;
  /** A final started early and stopped (the finished search moved its rates, or the search needed the slot): work thrown away. */
  discardedFinal: number;
}

export interface ParallelRun {
  workers: number;
  /** shared: the workers share checkpoints (a paused trial resumes on any free one), as \`run\` does; local: only where it paused. */
  checkpoints: CheckpointSharing;
  strategy: string;
  state: string;
  backend: string;
  /** Submission to completion, the coordinator's clock (what `run` reports). */
  sweepSeconds: number;
  /** The whole `run`: embedded coordinator start, worker processes' start, sweep, shutdown. */
  endToEndSeconds: number;
  /** Sum over attempts of the executors' busy time (setup, training, evaluation, snapshots). */
  busySeconds: number;
  /** Of which setup: data, model build, restoring a paused trial. */
  setupSeconds: number;
  /** The longest final training's busy time (each is one job: other slots cannot help with it). */
  finalSeconds: number;
  /** Final trainings run (one per candidate peak rate, final.candidates). */
  finalCandidates: number;
  /** (busySeconds / workers) / sweepSeconds. */
  efficiency: number;
  /** Share of slot time with no attempt running: 1 − efficiency. */
  idleShare: number;
  /** Efficiency without the worker start: busy / (N × sweep wall − idle.workerStart). */
  efficiencyAfterStart: number;
  /** The best efficiency possible with this busy time given the final trainings' length (each on one slot). */
  finalBound: number;
  /**
   * The best efficiency possible with this busy time given, as well, the search's best trial: its
   * attempts (its promotion chain) run one after another, from when it first started. With few
   * rates, ASHA's best trial trains to the top rung alone once every other job is done.
   */
  chainBound: number;
  /** The search's best trial: when it first started (seconds into the sweep), and its attempts' busy time. */
  bestChain: { trialId: string; startSeconds: number; busySeconds: number } | null;
  idle: IdleBreakdown;
  /** Gaps between consecutive attempts on one slot. */
  gaps: { count: number; medianMs: number; totalSeconds: number };
  attempts: SlotAttempt[];
  /** First-attempt setup (a fresh executor: the data load) against the median later one. */
  firstSetupMs: number[];
  laterSetupMedianMs: number;
  stepsSpent: number;
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Final trainings' job ids: final, final-2, ... (one per candidate peak rate). */
const isFinal = (trialId: string): boolean => /^final(-\d+)?$/.test(trialId);

/**
 * `lrsweep run --workers N` for each N, through the real coordinator, NATS and worker processes
 * (one slot each), with a listener on NATS collecting every attempt's executor timing and each
 * worker's first heartbeat. Efficiency = busy slot time / (N × sweep wall time); the idle rest is
 * split by where it falls (worker start, dispatch, between attempts, the search's last trials, the
 * final training, the tail).
 */
export type CheckpointSharing = 'shared' | 'local';

export async function runParallelBench(
  specPath: string,
  workerCounts: number[],
  options: { backend: string; strategy?: SweepSpec['search']['strategy']; checkpoints?: CheckpointSharing[] },
): Promise<ParallelRun[]> {
  const base = loadSpecFile(specPath);
  const spec: SweepSpec = options.strategy ? { ...base, search: { ...base.search, strategy: options.strategy } } : base;
  const modelsDir = mkdtempSync(join(tmpdir(), 'lrsweep-bench-models-'));
  const runs: ParallelRun[] = [];
  for (const workers of workerCounts) for (const checkpoints of options.checkpoints ?? ['shared']) {
    // A NATS of its own per run: every event on it belongs to this sweep.
    const nats = await EmbeddedNatsServer.start();
    const nc = await connectNats({ url: nats.url, name: 'bench-parallel' });
    const attempts: SlotAttempt[] = [];
    const firstBeat = new Map<string, number>();
    nc.subscribe('lrsweep.>', {
      callback: (_error, msg) => {
        const subject = parseSubject(msg.subject);
        if (subject?.kind === 'worker') {
          const beat = decodeMessage(WorkerHeartbeat, msg.data);
          if (beat.ok && !firstBeat.has(beat.value.workerId)) firstBeat.set(beat.value.workerId, beat.value.sentAtMs);
        } else if (subject?.kind === 'trial') {
          const event = decodeMessage(TrialEvent, msg.data);
          if (!event.ok || !('timing' in event.value) || !event.value.timing) return;
          const { timing } = event.value;
          attempts.push({ workerId: event.value.workerId, trialId: event.value.trialId, end: event.value.type, ...timing, endedAtMs: timing.startedAtMs + timing.busyMs });
        }
      },
    });
    const started = Date.now();
    try {
      const done = await runLocalSweep(spec, { workers, backend: options.backend, modelsDir, verbose: false, natsUrl: nats.url, shareCheckpoints: checkpoints === 'shared' });
      const endToEndSeconds = (Date.now() - started) / 1000;
      await nc.flush();
      const result = toResult(done);
      runs.push(analyse(workers, checkpoints, spec, result.state, result.backend, Number(done.createdUnixMs), done.wallSeconds, endToEndSeconds, attempts, firstBeat, result.budget.stepsSpent, done.best?.trialId));
      process.stderr.write(`  ${workers} worker(s), ${checkpoints} checkpoints: ${result.state} in ${done.wallSeconds.toFixed(1)} s\n`);
    } finally {
      await nc.drain().catch(() => undefined);
      await nats.close();
    }
  }
  return runs;
}

function analyse(
  workers: number,
  checkpoints: CheckpointSharing,
  spec: SweepSpec,
  state: string,
  backend: string,
  createdMs: number,
  sweepSeconds: number,
  endToEndSeconds: number,
  attempts: SlotAttempt[],
  firstBeat: Map<string, number>,
  stepsSpent: number,
  bestTrialId: string | undefined,
): ParallelRun {
  const windowEnd = createdMs + sweepSeconds * 1000;
  const clip = (t: number) => Math.min(windowEnd, Math.max(createdMs, t));
  // Final trainings: one per candidate peak rate (final, final-2, ...), run at once on free slots.
  const finals = attempts.filter((a) => isFinal(a.trialId) && a.end === 'final-done');
  const finalsStart = finals.length > 0 ? Math.min(...finals.map((f) => clip(f.startedAtMs))) : undefined;
  const finalsEnd = finals.length > 0 ? Math.max(...finals.map((f) => clip(f.endedAtMs))) : undefined;
  const idle: IdleBreakdown = { workerStart: 0, firstDispatch: 0, betweenAttempts: 0, searchTail: 0, duringFinal: 0, tail: 0, discardedFinal: 0 };
  const gapsMs: number[] = [];
  const firstSetupMs: number[] = [];
  const laterSetupMs: number[] = [];
  // The run's workers are local-1 … local-N (runLocalSweep), one slot each.
  for (let i = 1; i <= workers; i++) {
    const workerId = `local-${i}`;
    const mine = attempts.filter((a) => a.workerId === workerId).sort((a, b) => a.startedAtMs - b.startedAtMs);
    const beat = clip(firstBeat.get(workerId) ?? windowEnd);
    const firstStart = clip(mine[0]?.startedAtMs ?? windowEnd);
    idle.workerStart += (Math.min(beat, firstStart) - createdMs) / 1000;
    idle.firstDispatch += Math.max(0, firstStart - beat) / 1000;
    mine.forEach((a, k) => {
      (k === 0 ? firstSetupMs : laterSetupMs).push(a.setupMs);
      const next = mine[k + 1];
      if (next) {
        const gap = Math.max(0, clip(next.startedAtMs) - clip(a.endedAtMs));
        // Waiting for a final to start is waiting for the search's last trials, not dispatch.
        if (finals.includes(next)) {
          idle.searchTail += gap / 1000;
          return;
        }
        gapsMs.push(gap);
        idle.betweenAttempts += gap / 1000;
      }
    });
    const last = mine.at(-1);
    if (last) {
      const lastEnd = clip(last.endedAtMs);
      // After its last job: waiting for the finals to start (the search's last trials), then for
      // the last of them to end (a slot with no final, or one whose final ended first).
      const finalStart = finalsStart === undefined ? lastEnd : Math.max(lastEnd, finalsStart);
      const finalEnd = finalsEnd === undefined ? lastEnd : Math.max(finalStart, finalsEnd);
      idle.searchTail += (finalStart - lastEnd) / 1000;
      idle.duringFinal += (finalEnd - finalStart) / 1000;
      idle.tail += (windowEnd - finalEnd) / 1000;
    }
  }
  // A final that did not finish (stopped to start over) was work thrown away: not busy time.
  const discarded = attempts.filter((a) => isFinal(a.trialId) && a.end !== 'final-done');
  idle.discardedFinal = discarded.reduce((sum, a) => sum + a.busyMs, 0) / 1000;
  const busySeconds = attempts.reduce((sum, a) => sum + a.busyMs, 0) / 1000 - idle.discardedFinal;
  const efficiency = busySeconds / workers / sweepSeconds;
  const finalBusySeconds = finals.reduce((sum, f) => sum + f.busyMs, 0) / 1000;
  const finalSeconds = finals.reduce((max, f) => Math.max(max, f.busyMs), 0) / 1000;
  const chain = attempts.filter((a) => a.trialId === bestTrialId);
  const bestChain =
    bestTrialId && chain.length > 0
      ? { trialId: bestTrialId, startSeconds: (Math.min(...chain.map((a) => a.startedAtMs)) - createdMs) / 1000, busySeconds: chain.reduce((sum, a) => sum + a.busyMs, 0) / 1000 }
      : null;
  const searchBound = Math.max((busySeconds - finalBusySeconds) / workers, bestChain ? bestChain.startSeconds + bestChain.busySeconds : 0);
  return {
    workers,
    checkpoints,
    strategy: spec.search.strategy,
    state,
    backend,
    sweepSeconds,
    endToEndSeconds,
    busySeconds,
    setupSeconds: attempts.reduce((s, a) => s + a.setupMs, 0) / 1000,
    finalSeconds,
    efficiency,
    idleShare: 1 - efficiency,
    efficiencyAfterStart: busySeconds / (workers * sweepSeconds - idle.workerStart),
    finalBound: busySeconds / (workers * ((busySeconds - finalBusySeconds) / workers + finalSeconds)),
    chainBound: busySeconds / (workers * (searchBound + finalSeconds)),
    bestChain,
    finalCandidates: finals.length,
    idle,
    gaps: { count: gapsMs.length, medianMs: median(gapsMs), totalSeconds: gapsMs.reduce((s, g) => s + g, 0) / 1000 },
    attempts,
    firstSetupMs,
    laterSetupMedianMs: median(laterSetupMs),
    stepsSpent,
  };
}
