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

/** How many of `n` trials at a rung go on: the top 1/η (floor), and at least one once the rung is final. */
export function promotionQuota(n: number, reductionFactor: number, rungIsFinal: boolean): number {
  const quota = Math.floor(n / reductionFactor);
  return rungIsFinal && n > 0 ? Math.max(1, quota) : quota;
}

/**
 * Ranking value of a trial at a rung: its validation loss, with anything non-finite, and any
 * diverged trial, ranked below every live one. NaN never reaches a comparison.
 */
export function rankValue(value: number | undefined, diverged: boolean): number {
  return diverged || value === undefined || !Number.isFinite(value) ? Infinity : value;
}
