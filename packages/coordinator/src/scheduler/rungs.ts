/**
 * Rung budgets of successive halving: minSteps · η^k while below maxSteps, then maxSteps itself.
 * (25, 375, η=3) → [25, 75, 225, 375]. The last rung is the full budget.
 */
export function rungBudgets(minSteps: number, maxSteps: number, reductionFactor: number): number[] {
  if (!(minSteps >= 1) || !(maxSteps >= minSteps) || !(reductionFactor >= 2)) {
    throw new RangeError(`rungBudgets needs 1 ≤ minSteps ≤ maxSteps and reductionFactor ≥ 2, got ${minSteps}, ${maxSteps}, ${reductionFactor}`);
  }
  const budgets: number[] = [];
  for (let r = minSteps; r < maxSteps; r *= reductionFactor) budgets.push(Math.round(r));
  budgets.push(maxSteps);
  return budgets;
}

/** How many of a rung's best a promotion's evidence lists: the decision needs the top and the cutoff, not every peer. */
export const PROMOTION_PEERS = 10;

/**
 * The peers a promotion's evidence lists: the rung's best (at most PROMOTION_PEERS, best first),
 * then the promoted trial itself when it ranks below them (`position` is its 0-based rank). A
 * bounded list: with every peer, each promotion kept O(n) and a sweep O(n²).
 */
export function promotionPeers<P>(best: readonly P[], self: P, position: number): P[] {
  const shown = best.slice(0, PROMOTION_PEERS);
  return position < shown.length ? shown : [...shown, self];
}

/**
 * How many of `n` trials at a rung go on: the top 1/η (floor), as in ASHA. A rung of fewer than η
 * sends none on: once it is final the search ends there, its best trial the winner (see
 * `completeAtRung` in scheduler.ts). Promoting that one alone would rank it against nothing at the
 * next rung, and the final training that follows trains its rate in full anyway.
 */
export function promotionQuota(n: number, reductionFactor: number): number {
  return Math.floor(n / reductionFactor);
}

/** `grid`: the completed rates that make the surviving range, the top 1/η and at least one. */
export function survivorQuota(n: number, reductionFactor: number): number {
  return n > 0 ? Math.max(1, Math.floor(n / reductionFactor)) : 0;
}

/**
 * Ranking value of a trial at a rung: its validation loss, with anything non-finite, and any
 * diverged trial, ranked below every live one. NaN never reaches a comparison.
 */
export function rankValue(value: number | undefined, diverged: boolean): number {
  return diverged || value === undefined || !Number.isFinite(value) ? Infinity : value;
}
