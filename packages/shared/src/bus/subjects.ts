/**
 * NATS subjects, defined once. Sweep and trial ids are restricted to [A-Za-z0-9_-] so they are
 * always a single subject token.
 */
export const SUBJECT_ROOT = 'lrsweep';

export const subjects = {
  /** Loss reports of one trial: lrsweep.loss.<sweep>.<trial> */
  loss: (sweepId: string, trialId: string) => `${SUBJECT_ROOT}.loss.${sweepId}.${trialId}`,
  /** Lifecycle events of one trial (budget reached, finished, failed, results). */
  trial: (sweepId: string, trialId: string) => `${SUBJECT_ROOT}.trial.${sweepId}.${trialId}`,
  /** Worker announcements and heartbeats: lrsweep.worker.<id> */
  worker: (workerId: string) => `${SUBJECT_ROOT}.worker.${workerId}`,
  /** Coordinator events (the journal's own entries): lrsweep.ctl.<sweep or _>.<kind> */
  ctl: (scope: string, kind: string) => `${SUBJECT_ROOT}.ctl.${scope}.${kind}`,
  /** Everything of one sweep, for watchers. */
  sweepAll: (sweepId: string) => [`${SUBJECT_ROOT}.loss.${sweepId}.>`, `${SUBJECT_ROOT}.trial.${sweepId}.>`],
  /** Everything, for the coordinator: one subscription keeps reports and events of a trial in order. */
  all: `${SUBJECT_ROOT}.>`,
} as const;

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function isSubjectToken(id: string): boolean {
  return TOKEN.test(id);
}

/** Splits `lrsweep.<kind>.<...>` into its parts, or undefined for a foreign subject. */
export function parseSubject(
  subject: string,
): { kind: 'loss' | 'trial'; sweepId: string; trialId: string } | { kind: 'worker'; workerId: string } | { kind: 'ctl'; scope: string; event: string } | undefined {
  const parts = subject.split('.');
  if (parts[0] !== SUBJECT_ROOT) return undefined;
  if (parts[1] === 'ctl' && parts.length === 4) return { kind: 'ctl', scope: parts[2]!, event: parts[3]! };
  if ((parts[1] === 'loss' || parts[1] === 'trial') && parts.length === 4) return { kind: parts[1], sweepId: parts[2]!, trialId: parts[3]! };
  if (parts[1] === 'worker' && parts.length === 3) return { kind: 'worker', workerId: parts[2]! };
  return undefined;
}
