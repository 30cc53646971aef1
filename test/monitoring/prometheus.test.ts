import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers.js';
import { freePort, manage, startCoordinator, startNats, startWorker, type Managed } from '../processes.js';

/**
 * deploy/k8s/monitoring against the real thing: promtool checks the alert rules and both /metrics
 * outputs, every metric the dashboard and the alerts query is one the coordinator or a worker
 * exports, and a real Prometheus scraping a coordinator and a worker through the spirals sweep
 * answers with the sweep's values (and evaluates the alert rules without errors or alerts).
 * Needs Debian's `prometheus` (promtool and prometheus on PATH; .ci/run installs it).
 */

const MONITORING = fileURLToPath(new URL('../../deploy/k8s/monitoring/', import.meta.url));
const ALERTS = join(MONITORING, 'alerts.yaml');
const missing = ['promtool', 'prometheus'].filter((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
const title = missing.length === 0
  ? 'deploy/k8s/monitoring with promtool and a real Prometheus'
  : `deploy/k8s/monitoring (skipped: ${missing.join(' and ')} not on PATH; install Debian's prometheus as .ci/run does)`;

interface Rule { alert?: string; record?: string; expr: string }
interface RuleFile { groups: { name: string; rules: Rule[] }[] }
interface Dashboard {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
/** The metric names a PromQL expression selects (functions, keywords, labels and literals left out). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)\s*(\()?/g)]
    .filter((m) => m[2] === undefined && !KEYWORDS.has(m[1]!.toLowerCase()))
    .map((m) => m[1]!);
}


/** The value of an unlabelled series (apart from the default `service` label) in a text exposition. */
function exposed(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Sample names (with _bucket, _sum, _count) of a text exposition. */
function sampleNames(text: string): Set<string> {
  return new Set(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][\w:]*/.exec(l)![0]));
}

function run(command: string, args: string[], input?: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(input ?? '');
  });
}

const alerts = parse(readFileSync(ALERTS, 'utf8')) as RuleFile;
const dashboard = JSON.parse(readFileSync(join(MONITORING, 'dashboard.json'), 'utf8')) as Dashboard;
const dashboardExprs = [
  ...dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr),
  ...dashboard.templating.list
    .map((v) => (typeof v.query === 'object' ? v.query.query : v.query ?? ''))
    .map((q) => /^label_values\((.*),\s*\w+\)$/.exec(q)?.[1])
    .filter((q): q is string => q !== undefined),
];
const alertExprs = alerts.groups.flatMap((g) => g.rules).map((r) => r.expr);

describe('metricNames', () => {
  it('finds the selected metrics only', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (namespace, le) (rate(a_bucket{x="y(z)"}[5m]))) > 0.05 and on (job) b == 0')).toEqual(['a_bucket', 'b']);
  });
});

describe.skipIf(missing.length > 0)(title, () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  let worker: Managed | undefined;
  let prometheus: Managed | undefined;
  let coordinatorPort: number;
  let workerPort: number;
  let prometheusUrl: string;
  let sweep: Awaited<ReturnType<typeof runCli>>;
  let coordinatorText: string;
  let workerText: string;
  const tmp = mkdtempSync(join(tmpdir(), 'lrsweep-prometheus-'));

  const metricsText = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const query = async (promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    expect(body.status, promql).toBe('success');
    return body.data.result;
  };
  const scalar = async (promql: string) => {
    const result = await query(promql);
    return result.length === 1 ? Number(result[0]!.value[1]) : undefined;
  };
  async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  beforeAll(async () => {
    nats = await startNats();
    [coordinatorPort, workerPort] = [await freePort(), await freePort()];
    coordinator = await startCoordinator(nats.url, ['--metrics-port', String(coordinatorPort)]);
    worker = await startWorker(nats.url, 'prometheus-w1', ['--metrics-port', String(workerPort)]);
    const prometheusPort = await freePort();
    prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
    writeFileSync(join(tmp, 'prom.yml'), [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${JSON.stringify(ALERTS)}`,
      'scrape_configs:',
      '  - job_name: lrsweep-coordinator',
      '    static_configs:',
      `      - targets: ["127.0.0.1:${coordinatorPort}"]`,
      '  - job_name: lrsweep-worker',
      '    static_configs:',
      `      - targets: ["127.0.0.1:${workerPort}"]`,
      '',
    ].join('\n'));
    prometheus = manage('prometheus', [
      `--config.file=${join(tmp, 'prom.yml')}`,
      `--storage.tsdb.path=${join(tmp, 'data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
    ]);
    await prometheus.waitFor(/Server is ready to receive web requests/);
    sweep = await runCli(['submit', 'examples/spirals.yaml', '--coordinator', coordinator.address, '--wait', '--json']);
    [coordinatorText, workerText] = [await metricsText(coordinatorPort), await metricsText(workerPort)];
  });

  afterAll(async () => {
    await prometheus?.stop();
    await worker?.stop();
    await coordinator?.process.stop();
    await nats?.server.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('promtool accepts the alert rules', async () => {
    const check = await run('promtool', ['check', 'rules', ALERTS]);
    expect(check.code, check.output).toBe(0);
    expect(check.output).toMatch(/SUCCESS: [1-9]\d* rules found/);
    for (const name of ['LrsweepNoWorkersConnected', 'LrsweepSweepStalled', 'LrsweepDecisionLatencyHigh']) {
      expect(alerts.groups.flatMap((g) => g.rules).map((r) => r.alert)).toContain(name);
    }
  });

  it('the PrometheusRule wraps the same groups for kube-prometheus-stack', () => {
    const rule = parse(readFileSync(join(MONITORING, 'prometheusrule.yaml'), 'utf8')) as { apiVersion: string; kind: string; metadata: { labels: Record<string, string> }; spec: RuleFile };
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.kind).toBe('PrometheusRule');
    expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(rule.spec.groups).toEqual(alerts.groups);
  });

  it('the sweep ran', () => {
    expect(sweep.code, sweep.stderr).toBe(0);
  });

  it('every metric the dashboard and the alerts query is exported', () => {
    const exported = new Set([...sampleNames(coordinatorText), ...sampleNames(workerText), 'up']);
    const used = new Set([...dashboardExprs, ...alertExprs].flatMap(metricNames));
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('promtool check metrics passes on both /metrics outputs', async () => {
    for (const text of [coordinatorText, workerText]) {
      const check = await run('promtool', ['check', 'metrics'], text);
      // Clean: the registry drops prom-client's default gauges named *_total.
      expect(check.code, check.output).toBe(0);
    }
  });

  it('Prometheus scrapes the sweep', async () => {
    const completed = await until('the completed sweep in Prometheus', () => scalar('lrsweep_sweeps{state="COMPLETED"}'), (v) => v === 1);
    expect(completed).toBe(1);
    const up = await until('both targets scraped', () => query('up'), (r) => r.length === 2 && r.every((x) => x.value[1] === '1'));
    expect(up.map((r) => [r.metric.job, r.value[1]]).sort()).toEqual([['lrsweep-coordinator', '1'], ['lrsweep-worker', '1']]);
    expect(await scalar('lrsweep_workers_connected')).toBe(1);
    expect(await scalar('sum(lrsweep_decisions_total{kind="pruned"})')).toBeGreaterThan(0);
    // The counters stand still after the sweep: Prometheus catches up with what /metrics said then.
    const published = await until('the worker\'s reports', () => scalar('lrsweep_loss_reports_published_total{job="lrsweep-worker"}'), (v) => v === exposed(workerText, 'lrsweep_loss_reports_published_total'));
    expect(published).toBeGreaterThan(0);
    const received = await until('the coordinator\'s reports', () => scalar('lrsweep_loss_reports_received_total{job="lrsweep-coordinator"}'), (v) => v === exposed(coordinatorText, 'lrsweep_loss_reports_received_total'));
    expect(received).toBeGreaterThan(0);
    expect(await scalar('lrsweep_worker_slots{job="lrsweep-worker"}')).toBe(1);
    const p99 = await scalar('histogram_quantile(0.99, sum by (le) (lrsweep_decision_latency_seconds_bucket))');
    expect(p99).toBeGreaterThan(0);
    console.log(JSON.stringify({
      completed,
      workersConnected: await scalar('lrsweep_workers_connected'),
      pruned: await scalar('sum(lrsweep_decisions_total{kind="pruned"})'),
      decisions: await query('sum by (kind, reason) (lrsweep_decisions_total)').then((r) => r.map((x) => `${x.metric.kind}/${x.metric.reason ?? ''}=${x.value[1]}`)),
      published,
      received,
      searchSteps: await scalar('lrsweep_search_steps'),
      fullGridSteps: await scalar('lrsweep_search_full_grid_steps'),
      decisionLatencyP99: p99,
    }));
  });

  it('Prometheus evaluates the alert rules without errors, and none fires after a healthy sweep', async () => {
    const rules = await until('the rules evaluated', async () => {
      const body = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string; state: string; lastEvaluation: string }[] }[] } };
      return body.data.groups.flatMap((g) => g.rules);
    }, (r) => r.length > 0 && r.every((x) => !x.lastEvaluation.startsWith('0001')));
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
    expect(rules.filter((r) => r.state !== 'inactive').map((r) => r.name)).toEqual([]);
  });
});
