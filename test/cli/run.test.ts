import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

describe('lrsweep run (no set-up: embedded NATS, local worker processes)', () => {
  it('--json: the whole sweep and the final training, as one JSON object', async () => {
    const run = await runCli(['run', 'examples/spirals.yaml', '--workers', '2', '--json'], { env: { NATS_URL: '' } });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      sweepId: string;
      state: string;
      backend: string;
      best: { lr: number; valLoss: number; valAccuracy: number };
      range: { min: number; max: number };
      trials: { lr: number; state: string; reason: string | null; steps: number; worker: string }[];
      budget: { stepsSpent: number; fullGridSteps: number };
      final: { schedule: string; lrMin: number; lrMax: number; epochs: number; steps: number; valAccuracy: number; modelPath: string };
      wallSeconds: number;
    };
    expect(result.state).toBe('COMPLETED');
    expect(['wasm', 'tensorflow', 'cpu']).toContain(result.backend);
    expect(result.trials.map((t) => t.lr)).toEqual([...result.trials.map((t) => t.lr)].sort((a, b) => a - b));
    expect(new Set(result.trials.map((t) => t.worker))).toEqual(new Set(['local-1', 'local-2']));
    expect(result.range.min).toBeLessThanOrEqual(result.best.lr);
    expect(result.range.max).toBeGreaterThanOrEqual(result.best.lr);
    expect(result.budget.stepsSpent).toBeLessThan(result.budget.fullGridSteps / 2);
    expect(result.final).toMatchObject({ schedule: 'one-cycle', lrMin: result.range.min, lrMax: result.range.max, epochs: 20 });
    expect(result.final.valAccuracy).toBeGreaterThan(0.95);
    expect(existsSync(result.final.modelPath)).toBe(true);
  });

  it('without --json: a readable summary with a loss-against-rate plot', async () => {
    const run = await runCli(['run', 'examples/spirals.yaml', '--workers', '1'], { env: { NATS_URL: '' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/best rate: \S+/);
    expect(run.stdout).toMatch(/training loss vs learning rate/);
    expect(run.stdout).toMatch(/final training: one-cycle/);
    // Without JetStream the local workers share checkpoints through a directory of the run's own,
    // which is gone when the run ends.
    const shared = run.stderr.match(/checkpoints shared in (\S+)/)?.[1];
    expect(shared, run.stderr).toBeDefined();
    expect(existsSync(shared!)).toBe(false);
  });

  it('a bad flag value is refused with the fix, before anything starts', async () => {
    for (const value of ['0', '-1', 'soon']) {
      // An unreachable NATS: should the check ever let a value through, nothing reaches a real server.
      const worker = await runCli(['worker', '--nats', 'nats://127.0.0.1:1', '--heartbeat-interval', value], { env: { NATS_URL: '' }, timeoutMs: 30_000 });
      expect(worker.code).not.toBe(0);
      expect(worker.stderr).toContain(`--heartbeat-interval must be a number of seconds > 0, e.g. 2 or 0.5, got '${value}'`);
    }
    // Before, a timeout that is not a number was taken as NaN: no worker was ever lost.
    const coordinator = await runCli(['coordinator', '--nats', 'nats://127.0.0.1:1', '--heartbeat-timeout', 'ten'], { env: { NATS_URL: '' }, timeoutMs: 30_000 });
    expect(coordinator.code).not.toBe(0);
    expect(coordinator.stderr).toContain(`--heartbeat-timeout must be a number of seconds > 0, e.g. 2 or 0.5, got 'ten'`);
  });
});
