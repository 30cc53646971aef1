import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers.js';
import { startCoordinator, startNats, startWorker, type Managed } from '../processes.js';

/**
 * examples/python/lrsweep_client.py against real processes: a nats-server, a coordinator and one
 * worker. Debian's python3-grpcio and python3-grpc-tools install for /usr/bin/python3 (`.ci/run`
 * installs them), not for a pyenv python3 that may come first on PATH.
 */
const PYTHON = '/usr/bin/python3';
const CLIENT = join(REPO, 'examples/python/lrsweep_client.py');

function pythonGrpcMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} -c "import grpc, grpc_tools" failed (${probe.stderr.trim().split('\n').at(-1)}); apt-get install -y python3-grpcio python3-grpc-tools`;
  return undefined;
}

const missing = pythonGrpcMissing();
if (missing) console.warn(`skipping the Python client tests: ${missing}`);

interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runClient(args: readonly string[], timeoutMs = 150_000): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [CLIENT, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function stopOrKill(managed: Managed | undefined): Promise<void> {
  if (!managed) return;
  const stopped = managed.stop().then(() => true);
  if (await Promise.race([stopped, new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))])) return;
  await managed.stop('SIGKILL');
}

/** The parts of the client's --json output (MessageToDict of lrsweep.v1.Sweep) the test reads. */
interface SweepJson {
  sweepId: string;
  name: string;
  state: string;
  backend: string;
  best: { learningRate: number; valAccuracy: number };
  range: { min: number; max: number };
  trials: { learningRate: number; state: string; steps: number }[];
  budget: { stepsSpent: string; fullGridSteps: string };
  final: { schedule: string; epochs: number; valAccuracy: number; modelPath: string; workerId: string };
  decisions: { summary: string }[];
}

describe.skipIf(missing !== undefined)('the Python client (examples/python) against a coordinator and a worker', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  let worker: Managed;

  beforeAll(async () => {
    nats = await startNats();
    coordinator = await startCoordinator(nats.url);
    worker = await startWorker(nats.url, 'py-w1');
    await coordinator.process.waitFor(/worker py-w1 joined/);
  });

  afterAll(async () => {
    // Workers and coordinator before NATS (they shut down over it); a process that does not stop
    // within 15 s is killed, so none outlives the test.
    await stopOrKill(worker);
    await stopOrKill(coordinator?.process);
    await stopOrKill(nats?.server);
  });

  it('submits the spirals spec it builds, watches it and prints the finished sweep as JSON', async () => {
    const run = await runClient(['--coordinator', coordinator.address, '--json', '--watch-timeout', '140']);
    expect(run.code, `${run.stderr}\n--- coordinator:\n${coordinator.process.output().slice(-4000)}\n--- worker:\n${worker.output().slice(-4000)}`).toBe(0);
    const sweep = JSON.parse(run.stdout) as SweepJson;
    expect(sweep.state).toBe('SWEEP_STATE_COMPLETED');
    expect(sweep.name).toBe('python-spirals');
    expect(sweep.backend).toBe('wasm');
    expect(sweep.trials).toHaveLength(9);
    const rates = sweep.trials.map((t) => t.learningRate).sort((a, b) => a - b);
    expect(rates[0]).toBeCloseTo(1e-3, 12);
    expect(rates.at(-1)).toBeCloseTo(300, 9);
    for (const t of sweep.trials) expect(['TRIAL_STATE_COMPLETED', 'TRIAL_STATE_PRUNED']).toContain(t.state);
    expect(sweep.best.learningRate).toBeGreaterThan(1e-3);
    expect(sweep.best.learningRate).toBeLessThan(300);
    expect(sweep.range.min).toBeLessThanOrEqual(sweep.best.learningRate);
    expect(sweep.range.max).toBeGreaterThanOrEqual(sweep.best.learningRate);
    // int64 counts are strings in proto3 JSON.
    expect(Number(sweep.budget.stepsSpent)).toBeGreaterThan(0);
    expect(Number(sweep.budget.stepsSpent)).toBeLessThan(Number(sweep.budget.fullGridSteps));
    expect(sweep.final).toMatchObject({ schedule: 'SCHEDULE_KIND_ONE_CYCLE', epochs: 2, workerId: 'py-w1' });
    expect(sweep.final.valAccuracy).toBeGreaterThan(0.5);
    // The worker's path (relative to its working directory, the repository here).
    expect(existsSync(resolve(REPO, sweep.final.modelPath))).toBe(true);
    expect(sweep.decisions.length).toBeGreaterThan(0);
    // Progress went to stderr: the decisions' summaries and the final training's epochs.
    expect(run.stderr).toContain(`submitted ${sweep.sweepId}`);
    expect(run.stderr).toMatch(/diverged at step/);
    expect(run.stderr).toMatch(/final training epoch 2 .*accuracy/);
  });

  it('--list-services lists lrsweep.v1.SweepService through server reflection (v1, and v1alpha)', async () => {
    const run = await runClient(['--coordinator', coordinator.address, '--list-services']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n')).toContain('lrsweep.v1.SweepService');
    expect(run.stdout).toContain('rpc WatchSweep(lrsweep.v1.WatchSweepRequest) returns (stream lrsweep.v1.WatchSweepResponse)');
    const alpha = await runClient(['--coordinator', coordinator.address, '--list-services', '--reflection', 'v1alpha', '--json']);
    expect(alpha.code, alpha.stderr).toBe(0);
    const listing = JSON.parse(alpha.stdout) as { reflection: string; services: { name: string; methods: { name: string }[] }[] };
    expect(listing.reflection).toBe('grpc.reflection.v1alpha');
    const service = listing.services.find((s) => s.name === 'lrsweep.v1.SweepService');
    expect(service?.methods.map((m) => m.name)).toEqual(['SubmitSweep', 'GetSweep', 'ListSweeps', 'WatchSweep', 'CancelSweep']);
  });

  it('exits non-zero on INVALID_ARGUMENT, printing the field paths', async () => {
    const run = await runClient(['--coordinator', coordinator.address, '--break-spec']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('INVALID_ARGUMENT');
    expect(run.stderr).toContain('spec.grid.min');
    // Also decoded from the google.rpc.BadRequest in grpc-status-details-bin.
    expect(run.stderr).toMatch(/field violations[^\n]*\n\s+spec\.grid\.min: /);
  });

  it('exits non-zero with the fix when the coordinator is unreachable', async () => {
    const run = await runClient(['--coordinator', '127.0.0.1:1', '--deadline', '5']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach the coordinator at 127\.0\.0\.1:1[\s\S]*fix:/);
    const listing = await runClient(['--coordinator', '127.0.0.1:1', '--list-services', '--deadline', '5']);
    expect(listing.code).toBe(1);
    expect(listing.stderr).toMatch(/cannot reach the coordinator at 127\.0\.0\.1:1/);
  });
});
