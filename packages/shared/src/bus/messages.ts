import { z } from 'zod';

/**
 * Messages on NATS, JSON-encoded and validated with zod on receipt (never trusted as a cast).
 * JSON has no NaN or Infinity: non-finite numbers travel as the strings "NaN", "Infinity" and
 * "-Infinity", so a diverged loss arrives as a diverged loss, not as null.
 */
const FiniteOrNot = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]).transform((v) => (typeof v === 'number' ? v : Number(v)));

export function encodeNumber(value: number): number | 'NaN' | 'Infinity' | '-Infinity' {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
export const TrialKindName = z.enum(['search', 'final', 'range-test']);
export type TrialKindName = z.infer<typeof TrialKindName>;

const Attempt = z.number().int().nonnegative().default(0);

export const LossReport = z.object({
  sweepId: Id,
  trialId: Id,
  workerId: Id,
  /** The trial's (re)start this report belongs to (see RunTrialRequest.attempt). */
  attempt: Attempt,
  kind: TrialKindName,
  step: z.number().int().nonnegative(),
  learningRate: FiniteOrNot,
  /** Mean training loss of the steps since the previous report. */
  loss: FiniteOrNot,
  /** Final training: epoch of this step, and validation at epoch ends. */
  epoch: z.number().int().nonnegative().optional(),
  totalSteps: z.number().int().positive().optional(),
  valLoss: FiniteOrNot.optional(),
  valAccuracy: FiniteOrNot.optional(),
  /** Publisher's clock, for report-lag metrics only. */
  sentAtMs: z.number(),
});
export type LossReport = z.output<typeof LossReport>;

/**
 * When the executor ran the attempt an end event closes (clock of the worker's machine): it got the
 * job at startedAtMs, was ready to train (data, model, resumed state) setupMs later, and sent the
 * event busyMs after it got the job. Optional: for slot-utilisation benchmarks and metrics only.
 */
export const AttemptTiming = z.object({ startedAtMs: z.number(), setupMs: z.number().nonnegative(), busyMs: z.number().nonnegative() });
export type AttemptTiming = z.output<typeof AttemptTiming>;
const EndTiming = { timing: AttemptTiming.optional() };

export const TrialEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('budget-reached'),
    sweepId: Id,
    trialId: Id,
    workerId: Id,
    attempt: Attempt,
    step: z.number().int().nonnegative(),
    valLoss: FiniteOrNot,
    valAccuracy: FiniteOrNot,
    /** True when the paused state was also saved to the shared checkpoint store. */
    checkpointed: z.boolean().default(false),
    ...EndTiming,
  }),
  z.object({
    type: z.literal('checkpointed'),
    sweepId: Id,
    trialId: Id,
    workerId: Id,
    attempt: Attempt,
    step: z.number().int().nonnegative(),
  }),
  z.object({
    type: z.literal('stopped'),
    sweepId: Id,
    trialId: Id,
    workerId: Id,
    attempt: Attempt,
    step: z.number().int().nonnegative(),
    /** 'stopped' when asked, 'non-finite' when the loss turned NaN or infinite. */
    outcome: z.enum(['stopped', 'non-finite']),
    ...EndTiming,
  }),
  z.object({ type: z.literal('failed'), sweepId: Id, trialId: Id, workerId: Id, attempt: Attempt, error: z.string(), ...EndTiming }),
  z.object({
    type: z.literal('final-done'),
    sweepId: Id,
    trialId: Id,
    workerId: Id,
    attempt: Attempt,
    steps: z.number().int().nonnegative(),
    valLoss: FiniteOrNot,
    valAccuracy: FiniteOrNot,
    modelPath: z.string(),
    backend: z.string(),
    ...EndTiming,
  }),
  z.object({
    type: z.literal('range-test-done'),
    sweepId: Id,
    trialId: Id,
    workerId: Id,
    attempt: Attempt,
    /** The SeedResult as JSON (non-finite losses encoded as strings). */
    result: z.unknown(),
    ...EndTiming,
  }),
  z.object({
    /** Final training: the rate changed (divergence guard, plateau, warm restart); not an end of the trial. */
    type: z.literal('rate-change'),
    sweepId: Id,
    trialId: Id,
    workerId: Id,
    attempt: Attempt,
    step: z.number().int().nonnegative(),
    /** How many rate changes of this attempt came before (orders them; a replay keeps the ids apart). */
    index: z.number().int().nonnegative(),
    cause: z.enum(['non-finite', 'divergence', 'plateau', 'warm-restart']),
    fromMultiplier: FiniteOrNot,
    toMultiplier: FiniteOrNot,
    rolledBackTo: z.number().int().nonnegative().optional(),
    learningRate: FiniteOrNot,
    value: FiniteOrNot,
    threshold: FiniteOrNot,
    epoch: z.number().int().nonnegative().optional(),
    reason: z.string().max(2000),
  }),
]);
export type TrialEvent = z.output<typeof TrialEvent>;

export const WorkerHeartbeat = z.object({
  workerId: Id,
  /** host:port of the worker's gRPC WorkerService. */
  address: z.string().min(3),
  slots: z.number().int().positive().max(1024),
  backend: z.enum(['tensorflow', 'wasm', 'cpu']),
  running: z.array(z.object({ sweepId: Id, trialId: Id, attempt: z.number().int().nonnegative().default(0) })),
  /** false in the last message of a worker that is shutting down. */
  alive: z.boolean(),
  sentAtMs: z.number(),
});
export type WorkerHeartbeat = z.output<typeof WorkerHeartbeat>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON with non-finite numbers kept (see above). */
export function encodeMessage(message: object): Uint8Array {
  return encoder.encode(JSON.stringify(message, (_key, value: unknown) => (typeof value === 'number' ? encodeNumber(value) : value)));
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses and validates; garbage gives a reason, never an exception. */
export function decodeMessage<S extends z.ZodType>(schema: S, data: Uint8Array): Decoded<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: z.prettifyError(parsed.error) };
}
