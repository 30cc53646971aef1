import type { AttemptTiming, RateChange, SeedResult, SweepSpec, TrialKindName } from '@lrsweep/shared';
import type { BackendChoice } from '../backend/select.js';
import type { TrainerSnapshot } from '../trainer/trainer.js';

/** One unit of work for an executor process. */
export interface ExecutorJob {
  sweepId: string;
  trialId: string;
  kind: TrialKindName;
  spec: SweepSpec;
  seed: number;
  /** search: the constant rate. */
  learningRate: number;
  /** search: train until this absolute step, evaluate, pause. */
  untilStep: number;
  /** final: the range of the schedule. */
  lrMin: number;
  lrMax: number;
  /** search: continue from here instead of from scratch. */
  snapshot?: TrainerSnapshot;
  /**
   * search: continue from the snapshot this executor kept when the trial paused on it, at this
   * step (set by the pool instead of `snapshot`, so the state does not cross the pipe again).
   */
  keptSnapshotStep?: number;
  /** search: also send a snapshot every this many steps (0: only at the budget). */
  checkpointEvery: number;
  /** final: where the trained model goes (a folder per trial is made inside). */
  modelsDir: string;
}

export type ExecutorRequest =
  | { type: 'init'; backend: BackendChoice }
  | { type: 'run'; job: ExecutorJob }
  | { type: 'stop'; trialId: string }
  /** Shutting down: stop at the next step, checkpointing a search trial there first. */
  | { type: 'drain' };

/** Every event but 'ready' names its trial by sweepId and trialId; those that end a job carry its timing. */
export type ExecutorEvent =
  | { type: 'ready'; backend: 'tensorflow' | 'wasm' | 'cpu' }
  | { type: 'report'; sweepId: string; trialId: string; step: number; learningRate: number; loss: number; epoch?: number; totalSteps?: number; valLoss?: number; valAccuracy?: number; numTensors?: number; numBytes?: number }
  /**
   * The trial paused at its budget. Its state follows in a 'paused' event: a snapshot takes 5-8 ms
   * to cross the pipe, and the decision this one leads to should not wait for it.
   */
  | { type: 'budget'; sweepId: string; trialId: string; step: number; valLoss: number; valAccuracy: number; timing?: AttemptTiming }
  /**
   * The state a trial paused with, sent after its 'budget' once the next job here is set up (or
   * soon after if none comes). The executor keeps it too, for a resume here. Not an end of the job.
   */
  | { type: 'paused'; sweepId: string; trialId: string; step: number; snapshot: TrainerSnapshot }
  | { type: 'checkpoint'; sweepId: string; trialId: string; step: number; snapshot: TrainerSnapshot }
  /** Final training changed its rate (see RateController); the `index`-th change of this job. Not an end of the job. */
  | ({ type: 'rate-change'; sweepId: string; trialId: string; index: number; learningRate: number; epoch: number } & RateChange)
  | { type: 'stopped'; sweepId: string; trialId: string; step: number; outcome: 'stopped' | 'non-finite'; timing?: AttemptTiming }
  | { type: 'final-done'; sweepId: string; trialId: string; steps: number; valLoss: number; valAccuracy: number; modelPath: string; timing?: AttemptTiming }
  | { type: 'range-test-done'; sweepId: string; trialId: string; result: SeedResult; timing?: AttemptTiming }
  | { type: 'failed'; sweepId: string; trialId: string; error: string; timing?: AttemptTiming };
