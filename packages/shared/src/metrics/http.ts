import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** A registry per process (never the global one), with the process and Node.js defaults. */
export function createRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters (prom-client's defaults); `promtool check metrics` rejects them.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  return registry;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `/metrics` (Prometheus text format), `/livez` (the process answers) and `/readyz` (it serves:
 * 503 while starting or draining) on their own port, for scrapes and Kubernetes probes.
 */
export function startMetricsServer(options: { port: number; host?: string; registry: Registry; ready: () => boolean }): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      options.registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { 'content-type': options.registry.contentType });
          response.end(text);
        })
        .catch((error: unknown) => {
          response.writeHead(500);
          response.end(String(error));
        });
    } else if (path === '/livez') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
      response.end(ready ? 'ready\n' : 'not ready\n');
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : options.port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
