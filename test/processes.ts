import { spawn, type ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { loadLrsweepPackage } from '@lrsweep/shared';
import type { SweepServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO } from './helpers.js';

export const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Managed {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the output (stdout and stderr). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function manage(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Managed {
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    child,
    output: () => text,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in:\n${text.slice(-2000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
  };
}

/** A NATS server with JetStream of the test's own, on a free port. */
export async function startNats(): Promise<{ url: string; port: number; server: Managed }> {
  const port = await freePort();
  const server = manage(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', mkdtempSync(join(tmpdir(), 'lrsweep-nats-'))]);
  await server.waitFor(/Server is ready/);
  return { url: `nats://127.0.0.1:${port}`, port, server };
}

export async function startCoordinator(natsUrl: string, extra: string[] = []): Promise<{ address: string; process: Managed }> {
  const port = await freePort();
  const coordinator = manage(process.execPath, [CLI, 'coordinator', '--listen', `127.0.0.1:${port}`, '--nats', natsUrl, ...extra]);
  await coordinator.waitFor(/coordinator listening on (\S+)/);
  return { address: `127.0.0.1:${port}`, process: coordinator };
}

export async function startWorker(natsUrl: string, id: string, extra: string[] = []): Promise<Managed> {
  const worker = manage(process.execPath, [CLI, 'worker', '--nats', natsUrl, '--id', id, '--slots', '1', '--backend', 'wasm', ...extra]);
  await worker.waitFor(/serving on/);
  return worker;
}

export interface Cluster {
  nats: Awaited<ReturnType<typeof startNats>>;
  coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  /** Stopped by `stop()`, workers pushed later included. */
  workers: Managed[];
  client: SweepServiceClient;
  stop(): Promise<void>;
}

/** A NATS server, a coordinator and one-slot workers of the test's own, and a SweepService client of it. */
export async function startCluster(workerIds: readonly string[], coordinatorArgs: string[] = []): Promise<Cluster> {
  const nats = await startNats();
  const coordinator = await startCoordinator(nats.url, coordinatorArgs);
  const workers = await Promise.all(workerIds.map((id) => startWorker(nats.url, id)));
  const { proto } = loadLrsweepPackage();
  const client = new proto.lrsweep.v1.SweepService(coordinator.address, grpc.credentials.createInsecure());
  return {
    nats,
    coordinator,
    workers,
    client,
    async stop() {
      client.close();
      await Promise.all(workers.map((w) => w.stop()));
      await coordinator.process.stop();
      await nats.server.stop();
    },
  };
}
