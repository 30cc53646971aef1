import { availableParallelism } from 'node:os';
import { Coordinator } from '@lrsweep/coordinator';
import type { NatsAccess, TlsFiles } from '@lrsweep/shared';
import type { BackendChoice } from '@lrsweep/worker';
// The server module alone: the package's index loads TensorFlow.js, which only the executors need
// (a worker process starts faster, and its executors with it).
import { WorkerServer } from '@lrsweep/worker/server/worker-server';

const DEFAULT_NATS = 'nats://127.0.0.1:4222';

/** Flags shared by the servers: gRPC TLS files and NATS auth (flags win over the environment). */
export interface SecurityFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  natsToken?: string;
  natsCreds?: string;
  natsCa?: string;
}

export function tlsOf(flags: SecurityFlags): TlsFiles | undefined {
  const files = { cert: flags.tlsCert ?? process.env.LRSWEEP_TLS_CERT, key: flags.tlsKey ?? process.env.LRSWEEP_TLS_KEY, ca: flags.tlsCa ?? process.env.LRSWEEP_TLS_CA };
  return files.cert || files.key || files.ca ? files : undefined;
}

export function natsAuthOf(flags: SecurityFlags): Omit<NatsAccess, 'url' | 'name'> {
  const token = flags.natsToken ?? process.env.NATS_TOKEN;
  const credsFile = flags.natsCreds ?? process.env.NATS_CREDS;
  const caFile = flags.natsCa ?? process.env.NATS_CA;
  return { ...(token ? { token } : {}), ...(credsFile ? { credsFile } : {}), ...(caFile ? { caFile } : {}) };
}

/** Runs until SIGTERM or SIGINT, then shuts down gracefully (a second signal exits at once). */
function untilSignal(shutdown: () => Promise<void>, quiet = false): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.once('SIGTERM', () => process.exit(143));
      process.once('SIGINT', () => process.exit(130));
      if (!quiet) process.stderr.write(`${signal}: shutting down\n`);
      void shutdown().then(() => {
        // Closed: a timer a library left behind (the nats client's heartbeat checks, after a close
        // with the server gone) must not keep the process alive past its grace period.
        setTimeout(() => process.exit(), 1000).unref();
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

export async function coordinatorCommand(options: { listen: string; nats?: string; heartbeatTimeout: number; checkpointEvery: number; checkpointDir?: string; leaseTtl: number; metricsPort?: number } & SecurityFlags): Promise<void> {
  const tls = tlsOf(options);
  const coordinator = await Coordinator.start({
    ...(options.metricsPort !== undefined ? { metricsPort: options.metricsPort } : {}),
    ...(tls ? { tls } : {}),
    natsAuth: natsAuthOf(options),
    listen: options.listen,
    natsUrl: options.nats ?? process.env.NATS_URL ?? DEFAULT_NATS,
    heartbeatTimeoutMs: options.heartbeatTimeout * 1000,
    checkpointEvery: options.checkpointEvery,
    ...(options.checkpointDir !== undefined ? { checkpointDir: options.checkpointDir } : {}),
    leaseTtlMs: options.leaseTtl * 1000,
    // Another coordinator acts on this journal now: this one has stopped, and says so by its exit code.
    onLeaseLost: () => process.exit(3),
  });
  process.stdout.write(`coordinator listening on ${coordinator.address}${coordinator.metricsPort !== undefined ? `, metrics on :${coordinator.metricsPort}` : ''}\n`);
  await untilSignal(() => coordinator.shutdown(5000));
}

export async function workerCommand(options: {
  listen: string;
  advertise?: string;
  nats?: string;
  slots?: number;
  backend: BackendChoice;
  id?: string;
  modelsDir: string;
  checkpointDir?: string;
  heartbeatInterval: number;
  quiet?: boolean;
  metricsPort?: number;
} & SecurityFlags): Promise<void> {
  const tls = tlsOf(options);
  const worker = await WorkerServer.start({
    ...(options.metricsPort !== undefined ? { metricsPort: options.metricsPort } : {}),
    ...(tls ? { tls } : {}),
    natsAuth: natsAuthOf(options),
    listen: options.listen,
    ...(options.advertise ? { advertise: options.advertise } : {}),
    natsUrl: options.nats ?? process.env.NATS_URL ?? DEFAULT_NATS,
    slots: options.slots ?? availableParallelism(),
    backend: options.backend,
    ...(options.id ? { workerId: options.id } : {}),
    modelsDir: options.modelsDir,
    ...(options.checkpointDir !== undefined ? { checkpointDir: options.checkpointDir } : {}),
    heartbeatMs: options.heartbeatInterval * 1000,
    ...(options.quiet ? { log: () => undefined } : {}),
  });
  if (!options.quiet) process.stdout.write(`worker ${worker.workerId} serving on ${worker.address} (${worker.slots} slot(s), ${worker.backend})${worker.metricsPort !== undefined ? `, metrics on :${worker.metricsPort}` : ''}\n`);
  await untilSignal(() => worker.shutdown(5000), options.quiet);
}
