/**
 * Final-training candidates: where in the surviving range a one-cycle should peak is the one
 * choice the search leaves open (fastai peaks near the top; the best constant rate is often
 * lower). With free slots, lrsweep trains the final at a few peaks at once and keeps the one with
 * the lowest validation loss. Pure: the coordinator journals nothing extra to replay it.
 */

/** Most candidates `auto` picks (more rarely pays: the peaks get close together). */
export const AUTO_FINAL_CANDIDATES = 3;

/** Below the top of the range, candidates reach down to the best rate, or this far when it is the top. */
const DEFAULT_SPAN = Math.sqrt(10);

export interface FinalCandidate {
  /** `final`, then `final-2`, `final-3`, ... */
  trialId: string;
  lrMin: number;
  /** The peak rate of its schedule. */
  lrMax: number;
}

export function finalCandidateId(index: number): string {
  return index === 0 ? 'final' : `final-${index + 1}`;
}

/** The candidate count: the spec's number, or for `auto` the free slots (1 … AUTO_FINAL_CANDIDATES). */
export function finalCandidateCount(spec: 'auto' | number, slots: number): number {
  if (spec !== 'auto') return spec;
  return Math.max(1, Math.min(AUTO_FINAL_CANDIDATES, Math.floor(slots)));
}

/**
 * `count` peaks from the top of `range` down to `best` (geometrically spaced), or down to
 * top / √10 when best is within a factor 2 of the top (a range of one rate included). The first
 * candidate is always the top of the range, what a single final training runs. Each candidate's
 * floor is the range's, lowered to its peak when the peak is below it.
 */
export function finalCandidates(range: { min: number; max: number }, best: number, count: number): FinalCandidate[] {
  if (!(range.min > 0 && range.max >= range.min && Number.isFinite(range.max))) throw new RangeError(`invalid range [${range.min}, ${range.max}]`);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`candidate count must be a positive integer, got ${count}`);
  const top = range.max;
  const low = best > 0 && best <= top / 2 ? best : top / DEFAULT_SPAN;
  return Array.from({ length: count }, (_, i) => {
    const lrMax = count === 1 ? top : top * Math.pow(low / top, i / (count - 1));
    return { trialId: finalCandidateId(i), lrMin: Math.min(range.min, lrMax), lrMax };
  });
}

/**
 * The candidate that wins: the lowest finite validation loss among those that finished; ties go
 * to the earlier candidate (the higher peak, the usual one-cycle choice). Undefined when none did.
 */
export function chooseFinalCandidate<T extends { valLoss?: number | undefined; done: boolean }>(candidates: readonly T[]): T | undefined {
  let chosen: T | undefined;
  for (const c of candidates) {
    if (!c.done || c.valLoss === undefined || !Number.isFinite(c.valLoss)) continue;
    if (!chosen || c.valLoss < chosen.valLoss!) chosen = c;
  }
  return chosen;
}
