import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';
import { freePort, startCoordinator, startNats, startWorker, type Managed } from '../processes.js';

/** /metrics, /livez and /readyz of a coordinator and a worker after a real sweep. */
describe('Prometheus endpoints', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  let worker: Managed;
  let coordinatorPort: number;
  let workerPort: number;

  beforeAll(async () => {
    nats = await startNats();
    [coordinatorPort, workerPort] = [await freePort(), await freePort()];
    coordinator = await startCoordinator(nats.url, ['--metrics-port', String(coordinatorPort)]);
    worker = await startWorker(nats.url, 'metrics-w1', ['--metrics-port', String(workerPort)]);
  });

  afterAll(async () => {
    await worker?.stop();
    await coordinator?.process.stop();
    await nats?.server.stop();
  });

  const get = async (port: number, path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, text: await response.text() };
  };
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(series + ' ') || l.startsWith(series + '{') && l.includes(series));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('report the sweep in base units with bounded labels', async () => {
    expect((await get(coordinatorPort, '/livez')).status).toBe(200);
    expect((await get(coordinatorPort, '/readyz')).status).toBe(200);
    expect((await get(workerPort, '/readyz')).status).toBe(200);
    const run = await runCli(['submit', 'examples/spirals.yaml', '--coordinator', coordinator.address, '--wait', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const c = (await get(coordinatorPort, '/metrics')).text;
    expect(value(c, 'lrsweep_sweeps{state="COMPLETED",service="lrsweep-coordinator"}')).toBe(1);
    expect(value(c, 'lrsweep_workers_connected{service="lrsweep-coordinator"}')).toBe(1);
    expect(c).toMatch(/lrsweep_decisions_total\{kind="pruned",reason="rung",rung="0",service="lrsweep-coordinator"\} [1-9]/);
    expect(c).toMatch(/lrsweep_rung_cutoff_val_loss\{rung="0",service="lrsweep-coordinator"\} [0-9.]+/);
    expect(value(c, 'lrsweep_loss_reports_received_total{service="lrsweep-coordinator"}')).toBeGreaterThan(10);
    expect(c).toMatch(/lrsweep_decision_latency_seconds_count\{service="lrsweep-coordinator"\} [1-9]/);
    expect(c).toMatch(/process_cpu_seconds_total/);
    // No trial id, sweep id or learning rate ever becomes a label.
    expect(c).not.toMatch(/\{[^}]*(trial|sweep_id|lr|learning_rate)=/);
    const w = (await get(workerPort, '/metrics')).text;
    expect(value(w, 'lrsweep_loss_reports_published_total{service="lrsweep-worker"}')).toBeGreaterThan(10);
    expect(value(w, 'lrsweep_worker_slots{service="lrsweep-worker"}')).toBe(1);
    expect(w).toMatch(/lrsweep_backend_info\{backend="wasm",service="lrsweep-worker"\} 1/);
    expect(value(w, 'lrsweep_checkpoint_bytes_total{service="lrsweep-worker"}')).toBeGreaterThan(0);
    // Step timing and tfjs memory on the worker; gRPC calls by method and code on both.
    expect(value(w, 'lrsweep_training_steps_total{service="lrsweep-worker"}')).toBeGreaterThan(100);
    expect(w).toMatch(/lrsweep_train_step_duration_seconds_count\{service="lrsweep-worker"\} [1-9]/);
    expect(w).toMatch(/^lrsweep_tfjs_tensors\{service="lrsweep-worker"\} \d+$/m);
    expect(w).toMatch(/grpc_server_handled_total\{grpc_service="lrsweep.v1.WorkerService",grpc_method="RunTrial",grpc_code="OK",service="lrsweep-worker"\} [1-9]/);
    expect(c).toMatch(/grpc_server_handled_total\{grpc_service="lrsweep.v1.SweepService",grpc_method="SubmitSweep",grpc_code="OK",service="lrsweep-coordinator"\} 1/);
    const handling = c.split('\n').find((l) => l.startsWith('grpc_server_handling_seconds_count{') && l.includes('grpc_method="SubmitSweep"'));
    expect(handling).toMatch(/grpc_service="lrsweep.v1.SweepService"/);
    expect(handling).toMatch(/\} 1$/);
  });
});
