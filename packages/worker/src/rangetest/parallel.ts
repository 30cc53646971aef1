import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { deriveSeed, summarizeSeeds, type RangeTestPoint, type RangeTestReport, type SeedResult, type SweepSpec } from '@lrsweep/shared';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { loadDataSplits } from '../data/load.js';
import type { ChildMessage, ParentMessage } from './protocol.js';
import { runRangeTestSeed } from './run.js';

export interface RangeTestOptions {
  /** Independent ramps (different initial weights and data order). Default: spec.rangeTest.seeds. */
  seeds?: number;
  /** Processes to run seeds in; 0 runs them one after another in this process. Default: one per core. */
  processes?: number;
  backend?: BackendChoice;
  onStep?: (seedIndex: number, point: RangeTestPoint) => void;
  signal?: AbortSignal;
}

/** The seed of ramp k: independent of the others and of the data split's seed. */
export function rangeTestSeed(specSeed: number, k: number): number {
  return deriveSeed(specSeed, 100 + k);
}

/** Under vitest the sources run as .ts; child processes always run the compiled file. */
function childScript(): string {
  const here = fileURLToPath(new URL('./child.js', import.meta.url));
  return here.replace(/([\\/])src([\\/]rangetest[\\/])child\.js$/, '$1dist$2child.js');
}

async function runInChildren(spec: SweepSpec, seeds: number[], processes: number, options: RangeTestOptions): Promise<SeedResult[]> {
  const results = new Map<number, SeedResult>();
  const queue = [...seeds];
  const children: ChildProcess[] = [];
  const backend = options.backend ?? 'auto';
  try {
    await new Promise<void>((resolve, reject) => {
      const dispatch = (child: ChildProcess) => {
        const seed = queue.shift();
        if (seed === undefined) return;
        const message: ParentMessage = { type: 'run', spec, seed, backend };
        child.send(message);
      };
      options.signal?.addEventListener('abort', () => children.forEach((c) => c.send({ type: 'cancel' } satisfies ParentMessage)), { once: true });
      for (let i = 0; i < processes; i++) {
        const child = fork(childScript(), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.push(child);
        child.on('message', (message: ChildMessage) => {
          switch (message.type) {
            case 'ready':
              dispatch(child);
              break;
            case 'step':
              options.onStep?.(seeds.indexOf(message.seed), message.point);
              break;
            case 'result':
              results.set(message.result.seed, message.result);
              if (results.size === seeds.length) resolve();
              else dispatch(child);
              break;
            case 'error':
              reject(new Error(`range test seed ${message.seed} failed: ${message.message}`));
              break;
          }
        });
        child.on('exit', (code, signal) => {
          if (results.size < seeds.length) reject(new Error(`range-test process exited early (${signal ?? `code ${code}`})`));
        });
      }
    });
  } finally {
    for (const child of children) if (child.connected) child.send({ type: 'close' } satisfies ParentMessage);
  }
  return seeds.map((s) => results.get(s)!);
}

/**
 * The LR range test with N seeds, in parallel across worker processes where there are cores, and
 * the consensus of their suggestions with its spread.
 */
export async function runRangeTest(spec: SweepSpec, options: RangeTestOptions = {}): Promise<RangeTestReport> {
  const started = performance.now();
  const count = options.seeds ?? spec.rangeTest.seeds;
  const seeds = Array.from({ length: count }, (_, k) => rangeTestSeed(spec.seed, k));
  const processes = Math.min(count, options.processes ?? availableParallelism());
  let results: SeedResult[];
  if (processes <= 0) {
    const backend = await selectBackend(options.backend ?? 'auto');
    const splits = loadDataSplits(spec);
    results = [];
    for (const [k, seed] of seeds.entries()) {
      results.push(
        await runRangeTestSeed(spec, splits, seed, {
          backend: backend.name,
          ...(options.signal ? { signal: options.signal } : {}),
          onStep: (p) => options.onStep?.(k, p),
        }),
      );
    }
  } else {
    results = await runInChildren(spec, seeds, processes, options);
  }
  return buildReport(spec, results, (performance.now() - started) / 1000);
}

const toCurve = (points: readonly { learningRate: number; loss: number; smoothed: number }[]) =>
  points.map((p) => ({ lr: p.learningRate, loss: p.loss, smoothed: p.smoothed }));

export function buildReport(spec: SweepSpec, results: readonly SeedResult[], wallSeconds: number): RangeTestReport {
  const summary = summarizeSeeds(results, results);
  const backends = [...new Set(results.map((r) => r.backend))];
  const model = 'topology' in spec.model ? 'topology' : spec.model.builtin;
  return {
    name: spec.name,
    backend: backends[0] ?? 'cpu',
    suggestions: summary.suggestions,
    range: summary.range,
    seeds: results.length,
    spread: summary.spread,
    agreement: summary.agreement,
    curve: toCurve(summary.curve),
    runs: results.map((r) => ({
      seed: r.seed,
      stopReason: r.stopReason,
      steps: r.points.length,
      suggestions: r.suggestions,
      range: r.range,
      curve: toCurve(r.points),
    })),
    warnings: [...(backends.length > 1 ? [`seeds ran on different backends: ${backends.join(', ')}`] : []), ...summary.warnings],
    settings: {
      min: spec.rangeTest.min,
      max: spec.rangeTest.max,
      steps: spec.rangeTest.steps,
      beta: spec.rangeTest.beta,
      divergenceFactor: spec.rangeTest.divergenceFactor ?? spec.pruning.divergenceFactor,
      batchSize: spec.batchSize,
      optimizer: spec.optimizer.name,
      model,
    },
    wallSeconds,
  };
}
