import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the coordinator's gauges read when scraped (no timers: values are taken at scrape time). */
export interface CoordinatorGauges {
  sweepsByState(): Record<string, number>;
  trialsByState(): Record<string, number>;
  workers(): { connected: number; slots: number; busy: number };
  rejectedMessages(): number;
  stepsSpent(): number;
  fullGridSteps(): number;
}

/** Bounded labels only: states, kinds, reasons. Never a sweep, trial or learning rate. */
export function createCoordinatorMetrics(registry: Registry, gauges: CoordinatorGauges) {
  const registers = [registry];
  const byLabel = (gauge: Gauge<'state'>, values: Record<string, number>) => {
    gauge.reset();
    for (const [state, n] of Object.entries(values)) gauge.set({ state }, n);
  };
  new Gauge({
    name: 'lrsweep_sweeps',
    help: 'Sweeps this coordinator knows, by state',
    labelNames: ['state'] as const,
    registers,
    collect() {
      byLabel(this, gauges.sweepsByState());
    },
  });
  new Gauge({
    name: 'lrsweep_trials',
    help: 'Trials of all sweeps, by state',
    labelNames: ['state'] as const,
    registers,
    collect() {
      byLabel(this, gauges.trialsByState());
    },
  });
  new Gauge({ name: 'lrsweep_workers_connected', help: 'Workers heard from', registers, collect() { this.set(gauges.workers().connected); } });
  new Gauge({ name: 'lrsweep_worker_slots', help: 'Trial slots of all workers', registers, collect() { this.set(gauges.workers().slots); } });
  new Gauge({ name: 'lrsweep_worker_slots_busy', help: 'Trial slots running a job', registers, collect() { this.set(gauges.workers().busy); } });
  new Gauge({ name: 'lrsweep_messages_rejected', help: 'Messages on the lrsweep subjects that failed validation (counted since start)', registers, collect() { this.set(gauges.rejectedMessages()); } });
  new Gauge({ name: 'lrsweep_search_steps', help: 'Training steps spent by the searches of all sweeps', registers, collect() { this.set(gauges.stepsSpent()); } });
  new Gauge({ name: 'lrsweep_search_full_grid_steps', help: 'Steps the same grids would cost without pruning', registers, collect() { this.set(gauges.fullGridSteps()); } });
  return {
    decisions: new Counter({ name: 'lrsweep_decisions_total', help: 'Scheduler decisions, by kind, prune reason and rung', labelNames: ['kind', 'reason', 'rung'] as const, registers }),
    rungCutoff: new Gauge({ name: 'lrsweep_rung_cutoff_val_loss', help: 'Validation loss a trial had to beat at each rung, at the last promotion or rung decision', labelNames: ['rung'] as const, registers }),
    lossReports: new Counter({ name: 'lrsweep_loss_reports_received_total', help: 'Loss reports applied (replays excluded)', registers }),
    // Fine buckets around the targets (decided within 50 ms of publishing, thousands of reports a second).
    reportLag: new Histogram({ name: 'lrsweep_report_lag_seconds', help: 'From a worker publishing a loss report to the coordinator applying it', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.25, 0.5, 1, 5, 30], registers }),
    decisionLatency: new Histogram({ name: 'lrsweep_decision_latency_seconds', help: 'From receiving a loss report to its decision being made', buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5], registers }),
  };
}

export type CoordinatorMetrics = ReturnType<typeof createCoordinatorMetrics>;
