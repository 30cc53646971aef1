import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '@lrsweep/shared';
import type { BackendChoice } from '../backend/select.js';
import type { ExecutorEvent, ExecutorJob, ExecutorRequest } from './protocol.js';

interface Executor {
  child: ChildProcess;
  trialId?: string;
  ready: boolean;
  /** The trial whose paused state the process keeps (its last budget), and at which step. */
  kept?: { key: string; step: number };
}

/** Under vitest the sources run as .ts; executors always run the compiled file. */
function executorScript(): string {
  const here = fileURLToPath(new URL('./child.js', import.meta.url));
  return here.replace(/([\\/])src([\\/]executor[\\/])child\.js$/, '$1dist$2child.js');
}

export const trialKey = (sweepId: string, trialId: string): string => `${sweepId}/${trialId}`;

export class NoFreeSlotError extends Error {
  override readonly name = 'NoFreeSlotError';
}

/**
 * One executor process per slot: trials run in parallel on separate cores, and a crash costs one
 * trial. An executor that dies is replaced, and its trial reported failed.
 */
export class ExecutorPool {
  private readonly executors: Executor[] = [];
  private closing = false;
  backend: BackendName | undefined;

  private constructor(
    readonly slots: number,
    private readonly backendChoice: BackendChoice,
    private readonly onEvent: (event: ExecutorEvent) => void,
  ) {}

  static async start(slots: number, backend: BackendChoice, onEvent: (event: ExecutorEvent) => void): Promise<ExecutorPool> {
    const pool = new ExecutorPool(slots, backend, onEvent);
    await Promise.all(Array.from({ length: slots }, () => pool.spawn()));
    return pool;
  }

  private spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = fork(executorScript(), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const executor: Executor = { child, ready: false };
      this.executors.push(executor);
      child.on('message', (event: ExecutorEvent) => {
        if (event.type === 'ready') {
          executor.ready = true;
          this.backend = event.backend;
          resolve();
          return;
        }
        // At a budget the process keeps the trial's state (its 'paused' event follows later).
        if (event.type === 'budget') executor.kept = { key: trialKey(event.sweepId, event.trialId), step: event.step };
        // Only an event that ends the job frees the executor (reports, checkpoints, states and rate changes do not).
        if (event.type !== 'report' && event.type !== 'checkpoint' && event.type !== 'paused' && event.type !== 'rate-change' && trialKey(event.sweepId, event.trialId) === executor.trialId) executor.trialId = undefined;
        this.onEvent(event);
      });
      child.on('exit', (code, signal) => {
        this.executors.splice(this.executors.indexOf(executor), 1);
        if (!executor.ready) reject(new Error(`executor exited before it was ready (${signal ?? `code ${code}`})`));
        if (executor.trialId) {
          const [sweepId = '', trialId = ''] = executor.trialId.split('/');
          this.onEvent({ type: 'failed', sweepId, trialId, error: `executor process died (${signal ?? `code ${code}`})` });
        }
        if (!this.closing) void this.spawn().catch(() => undefined);
      });
      child.send({ type: 'init', backend: this.backendChoice } satisfies ExecutorRequest);
    });
  }

  /** Ready executors with no trial. */
  get freeSlots(): number {
    return this.executors.filter((e) => e.ready && e.trialId === undefined).length;
  }

  get busy(): number {
    return this.executors.filter((e) => e.trialId !== undefined).length;
  }

  /** Running trials as `sweepId/trialId` keys. */
  runningTrials(): string[] {
    return this.executors.flatMap((e) => (e.trialId ? [e.trialId] : []));
  }

  isRunning(sweepId: string, trialId: string): boolean {
    return this.executors.some((e) => e.trialId === trialKey(sweepId, trialId));
  }

  /**
   * Runs the job on a free process. A resume goes to the process that keeps the trial's state at
   * that step when it is free, without the snapshot (400 KB over the pipe cost 5-8 ms); a job with
   * only `keptSnapshotStep` must find that process free (see `freeKeeper`).
   */
  run(job: ExecutorJob): void {
    const free = this.executors.filter((e) => e.ready && e.trialId === undefined);
    if (free.length === 0) throw new NoFreeSlotError(`all ${this.slots} slots are busy`);
    const key = trialKey(job.sweepId, job.trialId);
    const step = job.snapshot?.step ?? job.keptSnapshotStep;
    const keeper = step === undefined ? undefined : free.find((e) => e.kept?.key === key && e.kept.step === step);
    if (!keeper && !job.snapshot && job.keptSnapshotStep !== undefined) throw new Error(`no free executor keeps the state of ${key} at step ${job.keptSnapshotStep}`);
    const executor = keeper ?? free[0]!;
    executor.trialId = key;
    const { snapshot: _sent, ...withoutSnapshot } = job;
    executor.child.send({ type: 'run', job: keeper ? { ...withoutSnapshot, keptSnapshotStep: step! } : job } satisfies ExecutorRequest);
  }

  /** Whether a free process keeps the trial's paused state at `step`: a resume there needs no snapshot. */
  freeKeeper(sweepId: string, trialId: string, step: number): boolean {
    return this.executors.some((e) => e.ready && e.trialId === undefined && e.kept?.key === trialKey(sweepId, trialId) && e.kept.step === step);
  }

  /** Asks the trial to stop at its next step; its 'stopped' event follows. */
  stop(sweepId: string, trialId: string): boolean {
    const executor = this.executors.find((e) => e.trialId === trialKey(sweepId, trialId));
    executor?.child.send({ type: 'stop', trialId } satisfies ExecutorRequest);
    return executor !== undefined;
  }

  /** Asks every running trial to stop at its next step, leaving a checkpoint (search trials). */
  drain(): void {
    for (const e of this.executors) if (e.trialId) e.child.send({ type: 'drain' } satisfies ExecutorRequest);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.executors.map(
        (e) =>
          new Promise<void>((resolve) => {
            e.child.once('exit', () => resolve());
            e.child.kill('SIGTERM');
          }),
      ),
    );
  }
}
