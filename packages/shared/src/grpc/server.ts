import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { Counter, Histogram, type Registry } from 'prom-client';
import { loadLrsweepPackageDefinition } from './loader.js';
import { settledBy } from '../deadline.js';

export interface CreateServerOptions {
  /**
   * Fully qualified names of the services this server serves (e.g. `lrsweep.v1.SweepService`).
   * The health service reports each of them, and '' for the server as a whole; reflection lists
   * only these. Add their implementations with `server.addService(...)`.
   */
  readonly services: readonly string[];
  /** What reflection describes (default: lrsweep.v1 as loaded by {@link loadLrsweepPackageDefinition}). */
  readonly packageDefinition?: PackageDefinition;
  /** Health status until changed with `health.setStatus` (default SERVING). */
  readonly initialStatus?: ServingStatus;
  /** Server credentials (default insecure: the cluster network is trusted, see deploy/). */
  readonly credentials?: grpc.ServerCredentials;
  /** grpc-js server options (message size limits, keepalive, ...). */
  readonly serverOptions?: grpc.ServerOptions;
  /** Count handled calls and time them, by service, method and status code, into this registry. */
  readonly metrics?: Registry;
}

/**
 * `grpc_server_handled_total{grpc_service,grpc_method,grpc_code}` and
 * `grpc_server_handling_seconds{grpc_service,grpc_method}` (the go-grpc-prometheus names), from an
 * interceptor that sees each call's final status.
 */
function metricsInterceptor(registry: Registry): grpc.ServerInterceptor {
  const handled = new Counter({ name: 'grpc_server_handled_total', help: 'gRPC calls completed, by status code', labelNames: ['grpc_service', 'grpc_method', 'grpc_code'] as const, registers: [registry] });
  const seconds = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'Time from a gRPC call arriving to its status being sent',
    labelNames: ['grpc_service', 'grpc_method'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  return (descriptor, call) => {
    const started = performance.now();
    const [, service = '', method = ''] = descriptor.path.split('/');
    return new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        handled.inc({ grpc_service: service, grpc_method: method, grpc_code: grpc.status[status.code] ?? String(status.code) });
        seconds.observe({ grpc_service: service, grpc_method: method }, (performance.now() - started) / 1000);
        next(status);
      },
    });
  };
}

export interface LrsweepServer {
  readonly server: grpc.Server;
  readonly health: HealthImplementation;
  /** Binds `address` (`host:port`; port 0 picks a free one) and resolves with the bound port. */
  bind(address: string): Promise<number>;
  /**
   * Sets every service NOT_SERVING (watchers and load balancers see it first), then shuts down
   * gracefully, letting calls in progress finish for up to `graceMs`, then cancels whatever is left.
   * Idempotent: later calls return the first call's promise.
   */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * A grpc-js server with the standard health service (`grpc.health.v1.Health`) and server
 * reflection (`grpc.reflection.v1` and `v1alpha`), so grpcurl, grpc_health_probe and Kubernetes
 * gRPC probes work against it.
 */
export function createServer(options: CreateServerOptions): LrsweepServer {
  const server = new grpc.Server({ ...options.serverOptions, ...(options.metrics ? { interceptors: [metricsInterceptor(options.metrics)] } : {}) });
  const names = ['', ...options.services];
  const initial = options.initialStatus ?? 'SERVING';
  const health = new HealthImplementation(Object.fromEntries(names.map((name) => [name, initial])));
  health.addToServer(server);
  const definition = options.packageDefinition ?? loadLrsweepPackageDefinition();
  new ReflectionService(definition, { services: [...options.services] }).addToServer(server);
  const credentials = options.credentials ?? grpc.ServerCredentials.createInsecure();

  let shuttingDown: Promise<void> | undefined;

  return {
    server,
    health,
    bind: (address) =>
      new Promise<number>((resolvePort, reject) => {
        server.bindAsync(address, credentials, (error, port) => {
          if (error) reject(new Error(`cannot bind gRPC server to ${address}: ${error.message}`, { cause: error }));
          else resolvePort(port);
        });
      }),
    shutdown: (graceMs) => {
      shuttingDown ??= (async () => {
        for (const name of names) health.setStatus(name, 'NOT_SERVING');
        const graceful = new Promise<void>((done) => server.tryShutdown(() => done()));
        if (!(await settledBy(graceful, Date.now() + Math.max(0, graceMs)))) server.forceShutdown();
      })();
      return shuttingDown;
    },
  };
}
