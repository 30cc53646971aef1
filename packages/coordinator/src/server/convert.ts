import type { Decision as DecisionMessage } from '@lrsweep/shared/gen/lrsweep/v1/Decision';
import type { Trial as TrialMessage } from '@lrsweep/shared/gen/lrsweep/v1/Trial';
import type { SweepState as SweepStateMessage } from '@lrsweep/shared/gen/lrsweep/v1/SweepState';
import type { Decision, PruneReason, TrialView } from '../scheduler/scheduler.js';

export type SweepState = 'PENDING' | 'RANGE_TEST' | 'SEARCHING' | 'FINAL_TRAINING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export function sweepStateName(state: SweepState): SweepStateMessage & string {
  return `SWEEP_STATE_${state}`;
}

const REASONS: Record<PruneReason, 'PRUNE_REASON_DIVERGED' | 'PRUNE_REASON_STAGNANT' | 'PRUNE_REASON_RUNG'> = {
  diverged: 'PRUNE_REASON_DIVERGED',
  stagnant: 'PRUNE_REASON_STAGNANT',
  rung: 'PRUNE_REASON_RUNG',
};

export function trialToProto(t: TrialView): TrialMessage {
  return {
    trialId: t.trialId,
    index: t.index,
    learningRate: t.learningRate,
    state: `TRIAL_STATE_${t.state}`,
    reason: t.reason ? REASONS[t.reason] : 'PRUNE_REASON_UNSPECIFIED',
    steps: t.steps,
    loss: t.loss,
    ...(t.valLoss !== undefined ? { valLoss: t.valLoss } : {}),
    ...(t.valAccuracy !== undefined ? { valAccuracy: t.valAccuracy } : {}),
    workerId: t.workerId ?? '',
    rung: t.rung,
  };
}

const KINDS = {
  started: 'DECISION_KIND_STARTED',
  paused: 'DECISION_KIND_PAUSED',
  promoted: 'DECISION_KIND_PROMOTED',
  pruned: 'DECISION_KIND_PRUNED',
  completed: 'DECISION_KIND_COMPLETED',
  failed: 'DECISION_KIND_FAILED',
  cancelled: 'DECISION_KIND_CANCELLED',
  // A requeue is shown as a (re)start: the trial begins again.
  requeued: 'DECISION_KIND_STARTED',
} as const;

export function decisionToProto(d: Decision): DecisionMessage {
  return {
    sequence: d.sequence,
    trialId: d.trialId,
    kind: KINDS[d.kind],
    reason: d.reason ? REASONS[d.reason] : 'PRUNE_REASON_UNSPECIFIED',
    summary: d.summary,
    evidence: { rule: d.evidence.rule, value: d.evidence.value, cutoff: d.evidence.cutoff, rung: d.evidence.rung, step: d.evidence.step, peers: d.evidence.peers },
  };
}
