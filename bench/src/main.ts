import { appendFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { BackendName } from '@lrsweep/shared';
import { runRangeCheck } from './range-check.js';
import { runSearchBench } from './search.js';
import { runThroughput } from './throughput.js';

const RESULTS = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

const program = new Command().name('bench').description('lrsweep benchmarks: each prints ratios against a baseline measured in the same run');

program
  .command('throughput', { isDefault: true })
  .description('training steps/s of the trainer loop for the MNIST MLP and CNN (batch 64, SGD) on each available backend, against tfjs model.fit')
  .option('--json', 'print { results: [{ model, backend, stepsPerSecond, ... }] }')
  .option('--seconds <s>', 'seconds per measurement', '8')
  .option('--backend <names>', 'comma-separated backends (default: every one that starts)')
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (options: { json?: boolean; seconds: string; backend?: string; record?: boolean }) => {
    const results = await runThroughput({
      seconds: Number(options.seconds),
      ...(options.backend ? { backends: options.backend.split(',') as BackendName[] } : {}),
    });
    if (options.json) {
      process.stdout.write(JSON.stringify({ results }, null, 2) + '\n');
    } else {
      for (const r of results) {
        process.stdout.write(
          `${r.model.padEnd(4)} ${r.backend.padEnd(10)} ${r.stepsPerSecond.toFixed(1).padStart(8)} steps/s   model.fit ${r.modelFitStepsPerSecond.toFixed(1).padStart(8)} steps/s   ratio ${r.ratio.toFixed(2)}x\n`,
        );
      }
    }
    if (options.record) {
      const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
      const rows = results.map((r) => `| ${r.model} | ${r.backend} | ${r.stepsPerSecond.toFixed(1)} | ${r.modelFitStepsPerSecond.toFixed(1)} | ${r.ratio.toFixed(2)}x |`);
      appendFileSync(
        RESULTS,
        `\n### throughput, ${new Date().toISOString().slice(0, 10)} (${machine})\n\n| model | backend | trainer steps/s | model.fit steps/s | ratio |\n|---|---|---|---|---|\n${rows.join('\n')}\n`,
      );
    }
  });

program
  .command('range-check')
  .description('train at the range test\'s valley, 100x below and 100x above it, and compare validation accuracy')
  .argument('[spec]', 'sweep spec', 'examples/mnist-mlp-sgd.yaml')
  .option('--json', 'print the result as JSON')
  .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (spec: string, options: { json?: boolean; backend: string; record?: boolean }) => {
    const result = await runRangeCheck(spec, options.backend as BackendName | 'auto');
    const lines = result.rows.map(
      (r) => `| ${r.label} | ${r.learningRate.toPrecision(2)} | ${r.outcome} | ${r.valLoss.toFixed(3)} | ${(r.valAccuracy * 100).toFixed(1)}% |`,
    );
    const text = `range test of ${result.spec} on ${result.backend} (${result.rangeTestSeconds.toFixed(1)} s): valley ${result.suggestion.toPrecision(2)}, range ${result.range ? `${result.range.min.toPrecision(2)} – ${result.range.max.toPrecision(2)}` : 'none'}; ${result.steps} steps at a constant rate:\n\n| rate | value | outcome | val loss | val accuracy |\n|---|---|---|---|---|\n${lines.join('\n')}\n`;
    process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : text);
    if (options.record) appendFileSync(RESULTS, `\n### range-check, ${new Date().toISOString().slice(0, 10)}\n\n${text}`);
  });

program
  .command('search')
  .description('steps, wall time and regret of asha / sh / auto against grid on one spec, through real workers')
  .argument('[spec]', 'sweep spec', 'examples/mnist-mlp-sgd.yaml')
  .option('--strategies <list>', 'strategies besides grid', 'asha,sh')
  .option('--workers <n>', 'local worker processes', '2')
  .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
  .option('--json', 'print the runs as JSON')
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (spec: string, options: { strategies: string; workers: string; backend: string; json?: boolean; record?: boolean }) => {
    const runs = await runSearchBench(spec, options.strategies.split(',') as ('asha' | 'sh' | 'grid' | 'auto')[], Number(options.workers), options.backend);
    const grid = runs.find((r) => r.strategy === 'grid')!;
    const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
    const rows = runs.map((r) => {
      const regret = r.finalValAccuracy !== null && grid.finalValAccuracy !== null ? ((grid.finalValAccuracy - r.finalValAccuracy) * 100).toFixed(1) : '—';
      return `| ${r.strategy} | ${r.state} | ${r.bestLr?.toPrecision(2) ?? '—'} | ${r.range ? `${r.range.min.toPrecision(2)} – ${r.range.max.toPrecision(2)}` : '—'} | ${r.stepsSpent} | ${pct(r.stepShare)} | ${(r.wallSeconds / grid.wallSeconds).toFixed(2)}x (${r.wallSeconds.toFixed(1)} s) | ${pct(r.finalValAccuracy)} | ${regret} |`;
    });
    const text = `search efficiency on ${spec} (${options.workers} workers, backend ${grid.backend}); baseline: grid, run in the same process\n\n| strategy | state | best lr | surviving range | search steps | of grid steps | wall vs grid | final val acc | regret (points) |\n|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`;
    process.stdout.write(options.json ? JSON.stringify(runs, null, 2) + '\n' : text);
    if (options.record) appendFileSync(RESULTS, `\n### search, ${new Date().toISOString().slice(0, 10)} (${cpus().length} × ${cpus()[0]?.model ?? 'cpu'})\n\n${text}`);
  });

await program.parseAsync();
