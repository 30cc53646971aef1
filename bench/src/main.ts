import { appendFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { BackendName } from '@lrsweep/shared';
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

await program.parseAsync();
