import type { TrialEvent } from '@lrsweep/shared';
import type { RateChange as RateChangeMessage } from '@lrsweep/shared/gen/lrsweep/v1/RateChange';

type RateChangeEvent = Extract<TrialEvent, { type: 'rate-change' }>;

const CAUSES = {
  'non-finite': 'RATE_CHANGE_CAUSE_NON_FINITE',
  divergence: 'RATE_CHANGE_CAUSE_DIVERGENCE',
  plateau: 'RATE_CHANGE_CAUSE_PLATEAU',
  'warm-restart': 'RATE_CHANGE_CAUSE_WARM_RESTART',
} as const satisfies Record<RateChangeEvent['cause'], string>;

/** A final training's rate change, as Sweep.final.adjustments and WatchSweepResponse.rate_change carry it. */
export function rateChangeToProto(event: RateChangeEvent): RateChangeMessage {
  return {
    step: event.step,
    cause: CAUSES[event.cause],
    fromMultiplier: event.fromMultiplier,
    toMultiplier: event.toMultiplier,
    ...(event.rolledBackTo !== undefined ? { rolledBackTo: event.rolledBackTo } : {}),
    learningRate: event.learningRate,
    value: event.value,
    threshold: event.threshold,
    reason: event.reason,
    epoch: event.epoch ?? 0,
  };
}

/** Adjustments of a final training, kept with the attempt they belong to (a new attempt starts over). */
export type Adjustments = { attempt: number; index: number; change: RateChangeMessage }[];

/** Adds one unless it is already there (the same attempt and index); keeps them in index order. */
export function addAdjustment(list: Adjustments, event: RateChangeEvent): RateChangeMessage | undefined {
  if (list.some((a) => a.attempt === event.attempt && a.index === event.index)) return undefined;
  const change = rateChangeToProto(event);
  list.push({ attempt: event.attempt, index: event.index, change });
  list.sort((a, b) => a.attempt - b.attempt || a.index - b.index);
  return change;
}

/** The adjustments of `attempt`, in order. */
export function adjustmentsOf(list: Adjustments | undefined, attempt: number): RateChangeMessage[] {
  return (list ?? []).filter((a) => a.attempt === attempt).map((a) => a.change);
}
