import type { RateChange__Output } from '@lrsweep/shared/gen/lrsweep/v1/RateChange';
import type { Sweep__Output } from '@lrsweep/shared/gen/lrsweep/v1/Sweep';
import { builtinWeightedLayerNames, groupRates, resolveLayerGroups, specFromProto, sweptQuantity, type LayerGroupsConfig, type SweepSpec } from '@lrsweep/shared';
import { formatLoss, formatRate, table } from './format.js';

export type TrialStateName = 'PENDING' | 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'PRUNED' | 'FAILED' | 'CANCELLED';

/** The result object of `run --json` and `get --json`. */
export interface SweepResult {
  sweepId: string;
  name: string;
  state: string;
  backend: string;
  best: { lr: number; valLoss: number; valAccuracy: number } | null;
  range: { min: number; max: number } | null;
  trials: {
    lr: number;
    state: TrialStateName;
    reason: 'diverged' | 'stagnant' | 'rung' | null;
    steps: number;
    loss: number | null;
    valLoss: number | null;
    valAccuracy: number | null;
    worker: string;
  }[];
  budget: { stepsSpent: number; fullGridSteps: number };
  final: {
    schedule: string;
    lrMin: number;
    lrMax: number;
    epochs: number;
    steps: number;
    valLoss: number | null;
    valAccuracy: number | null;
    modelPath: string;
    /** Every change of the rate, in order: the rate applied = schedule(step) × multiplier. */
    adjustments: RateAdjustment[];
    /** Which candidate this is (final, final-2, ...). */
    trialId: string;
  } | null;
  /**
   * Every final training, one per candidate peak rate (final.candidates), in order; `final` is the
   * one with the lowest validation loss. One entry when a single final training ran.
   */
  finalCandidates: { trialId: string; lrMin: number; lrMax: number; steps: number; valLoss: number | null; valAccuracy: number | null; modelPath: string; error: string | null; chosen: boolean; startedEarly: boolean; restarts: number }[];
  decisions: { sequence: number; trial: string; kind: string; reason: string | null; summary: string; evidence: { rule: string; value: number | null; cutoff: number | null; rung: number; step: number } }[];
  wallSeconds: number;
  error: string | null;
  /** With layerGroups: what the trials' "lr" is, and each group's rate at the top of the final schedule (when the groups are known before a worker builds the model). */
  layerGroups: { swept: string; finalRates: { group: string; rate: number }[] | null } | null;
}

function layerGroupsOf(sweep: Sweep__Output): SweepResult['layerGroups'] {
  if (!sweep.spec?.layerGroups) return null;
  // A topology model's groups are resolved only on the worker; and parsing its spec would write the
  // topology to a file: name what is swept from the message alone.
  if (sweep.spec.model?.topologyJson) {
    const mode = sweep.spec.layerGroups.sweep;
    const swept: LayerGroupsConfig['sweep'] = mode === 'LAYER_GROUP_SWEEP_SPREAD' ? 'spread' : mode === 'LAYER_GROUP_SWEEP_GROUP' ? { group: sweep.spec.layerGroups.group } : 'base';
    return { swept: sweptQuantity({ sweep: swept }), finalRates: null };
  }
  let spec: SweepSpec;
  try {
    spec = specFromProto(sweep.spec);
  } catch {
    return null;
  }
  if (!spec.layerGroups) return null;
  const names = spec.layerGroups.groups ? spec.layerGroups.groups.map((g) => g.name) : 'builtin' in spec.model ? builtinWeightedLayerNames(spec.model) : undefined;
  let finalRates: { group: string; rate: number }[] | null = null;
  if (names && sweep.final && 'builtin' in spec.model) {
    const groups = resolveLayerGroups(spec.layerGroups, builtinWeightedLayerNames(spec.model));
    finalRates = groupRates(spec.layerGroups, groups, sweep.final.lrMax).map((rate, i) => ({ group: groups[i]!.name, rate }));
  }
  return { swept: sweptQuantity(spec.layerGroups), finalRates };
}

/** One change of the final training's rate (Sweep.final.adjustments), with its reason. */
export interface RateAdjustment {
  step: number;
  epoch: number;
  cause: 'non-finite' | 'divergence' | 'plateau' | 'warm-restart' | 'unspecified';
  fromMultiplier: number;
  toMultiplier: number;
  rolledBackTo: number | null;
  learningRate: number;
  value: number | null;
  threshold: number | null;
  reason: string;
}

const strip = (prefix: string, value: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value);

export function toAdjustment(c: RateChange__Output): RateAdjustment {
  return {
    step: c.step,
    epoch: c.epoch,
    cause: strip('RATE_CHANGE_CAUSE_', c.cause).toLowerCase().replace('_', '-') as RateAdjustment['cause'],
    fromMultiplier: c.fromMultiplier,
    toMultiplier: c.toMultiplier,
    rolledBackTo: c.rolledBackTo ?? null,
    learningRate: c.learningRate,
    value: finiteOrNull(c.value),
    threshold: finiteOrNull(c.threshold),
    reason: c.reason,
  };
}

/** One line for a rate change: "final training step 40 (epoch 1): rate ×1 → ×0.5 (lr 0.25): <reason>". */
export function formatAdjustment(a: RateAdjustment): string {
  const multipliers = a.fromMultiplier === a.toMultiplier ? `rate ×${formatRate(a.toMultiplier)}` : `rate ×${formatRate(a.fromMultiplier)} → ×${formatRate(a.toMultiplier)}`;
  return `step ${a.step} (epoch ${a.epoch}), ${a.cause}: ${multipliers}, next lr ${formatRate(a.learningRate)} — ${a.reason}`;
}
const finiteOrNull = (n: number | undefined | null) => (n == null || !Number.isFinite(n) ? null : n);

export function toResult(sweep: Sweep__Output): SweepResult {
  const reasonOf = (r: string) => (r === 'PRUNE_REASON_UNSPECIFIED' ? null : (strip('PRUNE_REASON_', r).toLowerCase() as 'diverged' | 'stagnant' | 'rung'));
  return {
    sweepId: sweep.sweepId,
    name: sweep.name,
    state: strip('SWEEP_STATE_', sweep.state),
    backend: sweep.backend,
    best: sweep.best ? { lr: sweep.best.learningRate, valLoss: sweep.best.valLoss, valAccuracy: sweep.best.valAccuracy } : null,
    range: sweep.range ? { min: sweep.range.min, max: sweep.range.max } : null,
    trials: [...sweep.trials]
      .sort((a, b) => a.learningRate - b.learningRate)
      .map((t) => ({
        lr: t.learningRate,
        state: strip('TRIAL_STATE_', t.state) as TrialStateName,
        reason: reasonOf(t.reason),
        steps: t.steps,
        loss: finiteOrNull(t.loss),
        valLoss: finiteOrNull(t.valLoss),
        valAccuracy: finiteOrNull(t.valAccuracy),
        worker: t.workerId,
      })),
    budget: { stepsSpent: Number(sweep.budget?.stepsSpent ?? 0), fullGridSteps: Number(sweep.budget?.fullGridSteps ?? 0) },
    final: sweep.final
      ? {
          schedule: strip('SCHEDULE_KIND_', sweep.final.schedule).toLowerCase().replace('_', '-'),
          lrMin: sweep.final.lrMin,
          lrMax: sweep.final.lrMax,
          epochs: sweep.final.epochs,
          steps: sweep.final.steps,
          valLoss: finiteOrNull(sweep.final.valLoss),
          valAccuracy: finiteOrNull(sweep.final.valAccuracy),
          modelPath: sweep.final.modelPath,
          adjustments: (sweep.final.adjustments ?? []).map(toAdjustment),
          trialId: sweep.final.trialId || 'final',
        }
      : null,
    finalCandidates: (sweep.finalCandidates ?? []).map((c) => ({
      trialId: c.trialId,
      lrMin: c.lrMin,
      lrMax: c.lrMax,
      steps: c.steps,
      valLoss: finiteOrNull(c.valLoss),
      valAccuracy: finiteOrNull(c.valAccuracy),
      modelPath: c.modelPath,
      error: c.error || null,
      chosen: sweep.state === 'SWEEP_STATE_COMPLETED' && c.trialId === sweep.final?.trialId,
      startedEarly: c.startedEarly,
      restarts: c.restarts,
    })),
    decisions: sweep.decisions.map((d) => ({
      sequence: Number(d.sequence),
      trial: d.trialId,
      kind: strip('DECISION_KIND_', d.kind).toLowerCase(),
      reason: reasonOf(d.reason),
      summary: d.summary,
      evidence: { rule: d.evidence?.rule ?? '', value: finiteOrNull(d.evidence?.value), cutoff: finiteOrNull(d.evidence?.cutoff), rung: d.evidence?.rung ?? 0, step: d.evidence?.step ?? 0 },
    })),
    wallSeconds: sweep.wallSeconds,
    error: sweep.error || null,
    layerGroups: layerGroupsOf(sweep),
  };
}

/** Final smoothed training loss of every trial against its rate, on a log axis, in text. */
export function lossPlot(result: SweepResult, width = 64, height = 12): string {
  const points = result.trials.filter((t) => t.lr > 0);
  if (points.length === 0) return '';
  const xs = points.map((t) => Math.log10(t.lr));
  const finite = points.map((t) => t.loss).filter((l): l is number => l !== null);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const sorted = [...finite].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 1;
  const yMin = Math.min(...finite, 0);
  // Blown-up losses would flatten everything else: clip at 2.5× the median (they sit on the top row).
  const yMax = Math.max(Math.min(Math.max(...finite), 2.5 * median), yMin + 1e-9);
  const grid = Array.from({ length: height }, () => new Array<string>(width).fill(' '));
  points.forEach((t, i) => {
    const col = xMax === xMin ? 0 : Math.round(((xs[i]! - xMin) / (xMax - xMin)) * (width - 1));
    const mark = t.state === 'COMPLETED' ? '●' : t.reason === 'diverged' ? '×' : t.reason === 'stagnant' ? 's' : t.reason === 'rung' ? 'o' : '·';
    const row = t.loss === null ? 0 : height - 1 - Math.round(((Math.min(t.loss, yMax) - yMin) / (yMax - yMin)) * (height - 1));
    grid[row]![col] = mark;
  });
  const label = (v: number) => v.toFixed(2).padStart(7);
  const lines = grid.map((row, r) => `${r === 0 ? label(yMax) : r === height - 1 ? label(yMin) : ' '.repeat(7)} │${row.join('')}`);
  lines.push(`${' '.repeat(7)} └${'─'.repeat(width)}`);
  const left = formatRate(10 ** xMin);
  const right = formatRate(10 ** xMax);
  lines.push(`${' '.repeat(9)}${left}${' '.repeat(Math.max(1, width - left.length - right.length))}${right}`);
  lines.push(`${' '.repeat(9)}training loss vs learning rate   ● completed  o stopped at a rung  s stagnant  × diverged (top row: NaN or clipped)`);
  return lines.join('\n');
}

export function summarizeSweep(result: SweepResult): string {
  const lines: string[] = [];
  lines.push(`sweep ${result.sweepId} (${result.name}): ${result.state}, backend ${result.backend || '—'}, ${result.wallSeconds.toFixed(1)} s`);
  if (result.error) lines.push(`error: ${result.error}`);
  lines.push('');
  lines.push(
    table([
      ['lr', 'state', 'steps', 'loss', 'val loss', 'val acc', 'worker'],
      ...result.trials.map((t) => [
        formatRate(t.lr),
        t.reason ? `${t.state} (${t.reason})` : t.state,
        String(t.steps),
        formatLoss(t.loss),
        formatLoss(t.valLoss),
        t.valAccuracy === null ? '—' : `${(t.valAccuracy * 100).toFixed(1)}%`,
        t.worker,
      ]),
    ]),
  );
  lines.push('', lossPlot(result), '');
  const shown = result.decisions.filter((d) => d.kind === 'pruned' || d.kind === 'promoted' || d.kind === 'completed' || d.kind === 'failed');
  if (shown.length > 0) {
    lines.push('decisions:');
    for (const d of shown) lines.push(`  ${String(d.sequence).padStart(3)}  ${d.summary}`);
    lines.push('');
  }
  if (result.layerGroups) lines.push(`layer groups: each trial's rate is the ${result.layerGroups.swept}`);
  if (result.best) lines.push(`best rate: ${formatRate(result.best.lr)} (val loss ${formatLoss(result.best.valLoss)}, accuracy ${(result.best.valAccuracy * 100).toFixed(1)}%)`);
  if (result.range) lines.push(`surviving range: ${formatRate(result.range.min)} – ${formatRate(result.range.max)}`);
  const share = result.budget.fullGridSteps > 0 ? (100 * result.budget.stepsSpent) / result.budget.fullGridSteps : 0;
  lines.push(`steps: ${result.budget.stepsSpent.toLocaleString('en-US')} of ${result.budget.fullGridSteps.toLocaleString('en-US')} for the full grid (${share.toFixed(0)}%)`);
  if (result.final) {
    const f = result.final;
    lines.push(
      `final training: ${f.schedule} ${formatRate(f.lrMin)} → ${formatRate(f.lrMax)}, ${f.epochs} epoch(s), ${f.steps} steps` +
        (f.valAccuracy !== null ? `: val loss ${formatLoss(f.valLoss)}, accuracy ${(f.valAccuracy * 100).toFixed(1)}%` : ''),
    );
    const only = result.finalCandidates.length === 1 ? result.finalCandidates[0] : undefined;
    if (only?.startedEarly) lines.push('  started early, while the search\'s last trials ran');
    else if (only && only.restarts > 0) lines.push(`  started over ${only.restarts} time(s): an early start the finished search did not confirm`);
    if (result.finalCandidates.length > 1) {
      lines.push(`  ${result.finalCandidates.length} candidate peak rates, trained at once; the lowest validation loss wins:`);
      for (const c of result.finalCandidates) {
        const outcome = c.error ? `failed: ${c.error}` : c.valAccuracy !== null ? `val loss ${formatLoss(c.valLoss)}, accuracy ${(c.valAccuracy * 100).toFixed(1)}%` : `${c.steps} steps`;
        const when = c.startedEarly ? ' (started while the search finished)' : c.restarts > 0 ? ` (started over ${c.restarts} time(s): an early start the finished search did not confirm)` : '';
        lines.push(`    ${c.chosen ? '*' : ' '} ${c.trialId.padEnd(8)} peak ${formatRate(c.lrMax)}: ${outcome}${when}`);
      }
    }
    if (result.layerGroups?.finalRates) lines.push(`  peak rate per layer group: ${result.layerGroups.finalRates.map((g) => `${g.group} ${g.rate === 0 ? 'frozen' : formatRate(g.rate)}`).join(', ')}`);
    if (f.adjustments.length > 0) {
      lines.push(`rate changes during final training (${f.adjustments.length}):`);
      for (const a of f.adjustments) lines.push(`  ${formatAdjustment(a)}`);
    }
    if (f.modelPath) lines.push(`model: ${f.modelPath}`);
  }
  return lines.join('\n') + '\n';
}
