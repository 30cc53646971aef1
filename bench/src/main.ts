import { Command } from 'commander';
import type { BackendName } from '@lrsweep/shared';
import { formatFinetune, runFinetune } from './finetune.js';
import { runParallelBench, type CheckpointSharing } from './parallel.js';
import { runRangeCheck } from './range-check.js';
import { appendResult, QUICK_SPEC_NOTE, quickSpecFile } from './record.js';
import { runSearchBench, SEARCH_SPECS, SEARCH_STRATEGIES, searchTable, type BenchStrategy } from './search.js';
import { runSuite } from './suite.js';
import { PYTORCH_TARGETS, runPytorchBaseline, runThroughput, type PytorchBaseline, type ThroughputResult } from './throughput.js';

const program = new Command().name('bench').description('lrsweep benchmarks: each prints ratios against a baseline measured in the same run');

program
  .command('all', { isDefault: true })
  .description('the whole suite, each benchmark a child process (`bench <name> --record`) so one failure does not stop the rest; every result appended to bench/RESULTS.md')
  .option('--quick', 'a much shorter smoke run of every benchmark, recording nothing')
  .option('--backend <name>', 'passed to every benchmark that takes one')
  .option('--timeout <s>', 'seconds one benchmark may run before it is stopped and counted failed (default: 3600, quick: 600)')
  .option('--only <names>', 'comma-separated subset of: throughput, range-check, search, parallel, coordinator-scale, and any other registered benchmark')
  .action(async (options: { quick?: boolean; backend?: string; timeout?: string; only?: string }) => {
    const failed = await runSuite(program, {
      quick: !!options.quick,
      timeoutSeconds: options.timeout ? Number(options.timeout) : options.quick ? 600 : 3600,
      ...(options.backend ? { backend: options.backend } : {}),
      ...(options.only ? { only: options.only.split(',') } : {}),
    });
    if (failed > 0) process.exitCode = 1;
  });

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Medians over rounds, per model and backend (this machine's speed drifts: one round can mislead). */
function medianResults(rounds: readonly ThroughputResult[][]): ThroughputResult[] {
  const first = rounds[0] ?? [];
  return first.map((r) => {
    const same = rounds.flatMap((round) => round.filter((o) => o.model === r.model && o.backend === r.backend));
    const stepsPerSecond = median(same.map((o) => o.stepsPerSecond));
    const modelFitStepsPerSecond = median(same.map((o) => o.modelFitStepsPerSecond));
    const dense = same.flatMap((o) => (o.denseInputStepsPerSecond === undefined ? [] : [o.denseInputStepsPerSecond]));
    return {
      ...r,
      stepsPerSecond,
      ...(dense.length > 0 ? { denseInputStepsPerSecond: median(dense) } : {}),
      modelFitStepsPerSecond,
      ratio: stepsPerSecond / modelFitStepsPerSecond,
      steps: same.reduce((n, o) => n + o.steps, 0),
    };
  });
}

function medianPytorch(rounds: readonly PytorchBaseline[]): PytorchBaseline | undefined {
  const failed = rounds.find((r) => !r.available);
  if (failed || rounds.length === 0) return failed;
  const ok = rounds as Extract<PytorchBaseline, { available: true }>[];
  const results = ok[0]!.results.map((r) => {
    const same = ok.flatMap((round) => round.results.filter((o) => o.model === r.model));
    return { ...r, stepsPerSecond: median(same.map((o) => o.stepsPerSecond)), steps: same.reduce((n, o) => n + o.steps, 0), seconds: same.reduce((n, o) => n + o.seconds, 0) };
  });
  return { ...ok[0]!, results };
}

/**
 * Per model, ours / PyTorch in each round (ours and PyTorch run back to back within a round), for
 * the fastest backend of that round.
 */
function roundRatios(ours: readonly ThroughputResult[][], torch: readonly PytorchBaseline[]): Map<string, number[]> {
  const ratios = new Map<string, number[]>();
  ours.forEach((round, i) => {
    const t = torch[i];
    if (!t?.available) return;
    for (const model of new Set(round.map((r) => r.model))) {
      const fastest = Math.max(...round.filter((r) => r.model === model).map((r) => r.stepsPerSecond));
      const torchRate = t.results.find((r) => r.model === model)?.stepsPerSecond;
      if (torchRate) ratios.set(model, [...(ratios.get(model) ?? []), fastest / torchRate]);
    }
  });
  return ratios;
}

function throughputText(results: ThroughputResult[], pytorch: PytorchBaseline | undefined, ratios: Map<string, number[]>, rounds: number): string {
  const torchOf = (model: string) => (pytorch?.available ? pytorch.results.find((r) => r.model === model) : undefined);
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const rows = results.map((r) => {
    const torch = torchOf(r.model);
    const perRound = ratios.get(r.model) ?? [];
    // The ratio is the median of the rounds' own ratios: each pairs runs made close in time.
    const ratio = perRound.length > 0 ? median(perRound) : torch ? r.stepsPerSecond / torch.stepsPerSecond : undefined;
    const target = PYTORCH_TARGETS[r.model];
    // The target applies to the fastest backend here (what a worker on `auto` runs).
    const fastest = Math.max(...results.filter((o) => o.model === r.model).map((o) => o.stepsPerSecond)) === r.stepsPerSecond;
    const verdict = fastest ? ` (target ${pct(target)}: ${ratio !== undefined && ratio >= target ? 'met' : 'not met'})` : '';
    const rounds = fastest && perRound.length > 1 ? ` [rounds: ${perRound.map(pct).join(', ')}]` : '';
    const vsTorch = torch && ratio !== undefined ? `${torch.stepsPerSecond.toFixed(1)} | ${fastest ? pct(ratio) : pct(r.stepsPerSecond / torch.stepsPerSecond)}${verdict}${rounds}` : '— | —';
    const denseInput = r.denseInputStepsPerSecond === undefined ? '—' : `${r.denseInputStepsPerSecond.toFixed(1)}${torch ? ` (${pct(r.denseInputStepsPerSecond / torch.stepsPerSecond)} of PyTorch)` : ''}`;
    return `| ${r.model} | ${r.backend} | ${r.inputPath} | ${r.stepsPerSecond.toFixed(1)} | ${denseInput} | ${r.modelFitStepsPerSecond.toFixed(1)} | ${r.ratio.toFixed(2)}x | ${vsTorch} |`;
  });
  const torchLine = !pytorch
    ? 'PyTorch baseline: not run (--no-pytorch)'
    : pytorch.available
      ? `PyTorch baseline: torch ${pytorch.torch} (${pytorch.python}), ${pytorch.threads} thread, same models, data and batch, run after ours in each round`
      : `PyTorch baseline skipped: ${pytorch.reason}`;
  const medians = rounds > 1 ? `; medians of ${rounds} rounds (ours, then PyTorch, in each), the ratio the median of the rounds' ratios` : '';
  return `Training steps/s, MNIST, batch 64, SGD; baselines: tfjs-layers model.fit (same process) and PyTorch (one thread)${medians}. Input: how the trainer's first layer reads its batches, 'sparse' (only the non-zeros, through the wasm sparse kernels, chosen when at most half the features are non-zero) or 'dense'; with sparse input the dense-input trainer is measured too.\n${torchLine}\n\n| model | backend | input | trainer steps/s | trainer with dense input | model.fit steps/s | trainer / model.fit | PyTorch steps/s | ours / PyTorch |\n|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`;
}

program
  .command('throughput')
  .description('training steps/s of the trainer loop for the MNIST MLP and CNN (batch 64, SGD) on each available backend, against tfjs model.fit and (when python3 has torch) PyTorch on one thread')
  .option('--json', 'print { results: [{ model, backend, stepsPerSecond, ... }], pytorch }')
  .option('--seconds <s>', 'seconds per measurement', '8')
  .option('--rounds <n>', 'repeat ours then PyTorch this many times and report medians', '3')
  .option('--backend <names>', "comma-separated backends, or 'auto' for the one a worker would pick (default: every one that starts)")
  .option('--models <names>', 'mlp,cnn', 'mlp,cnn')
  .option('--no-pytorch', 'skip the PyTorch baseline')
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (options: { json?: boolean; seconds: string; rounds: string; backend?: string; models: string; pytorch: boolean; record?: boolean }) => {
    const models = options.models.split(',') as ('mlp' | 'cnn')[];
    const rounds = Math.max(1, Math.floor(Number(options.rounds)) || 1);
    const ourRounds: ThroughputResult[][] = [];
    const torchRounds: PytorchBaseline[] = [];
    for (let round = 0; round < rounds; round++) {
      ourRounds.push(
        await runThroughput({
          seconds: Number(options.seconds),
          models,
          ...(options.backend === 'auto' ? { firstOnly: true } : options.backend ? { backends: options.backend.split(',') as BackendName[] } : {}),
        }),
      );
      if (options.pytorch) torchRounds.push(await runPytorchBaseline({ seconds: Number(options.seconds), models }));
    }
    const results = medianResults(ourRounds);
    const pytorch = options.pytorch ? medianPytorch(torchRounds) : undefined;
    const text = throughputText(results, pytorch, roundRatios(ourRounds, torchRounds), rounds);
    process.stdout.write(options.json ? JSON.stringify({ results, pytorch, rounds: { ours: ourRounds, pytorch: torchRounds } }, null, 2) + '\n' : text);
    if (options.record) appendResult('throughput', `\`pnpm bench throughput --seconds ${options.seconds} --rounds ${rounds}\`\n\n${text}`, [...new Set(results.map((r) => r.backend))].join(', '));
  });

program
  .command('range-check')
  .description('train at the range test\'s valley, 100x below and 100x above it, and compare validation accuracy')
  .argument('[spec]', 'sweep spec', 'examples/mnist-mlp-sgd.yaml')
  .option('--json', 'print the result as JSON')
  .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
  .option('--quick', QUICK_SPEC_NOTE)
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (spec: string, options: { json?: boolean; backend: string; quick?: boolean; record?: boolean }) => {
    const result = await runRangeCheck(options.quick ? quickSpecFile(spec) : spec, options.backend as BackendName | 'auto');
    const lines = result.rows.map(
      (r) => `| ${r.label} | ${r.learningRate.toPrecision(2)} | ${r.outcome} | ${r.valLoss.toFixed(3)} | ${(r.valAccuracy * 100).toFixed(1)}% |`,
    );
    const text = `range test of ${spec} on ${result.backend} (${result.rangeTestSeconds.toFixed(1)} s): valley ${result.suggestion.toPrecision(2)}, range ${result.range ? `${result.range.min.toPrecision(2)} – ${result.range.max.toPrecision(2)}` : 'none'}; ${result.steps} steps at a constant rate:\n\n| rate | value | outcome | val loss | val accuracy |\n|---|---|---|---|---|\n${lines.join('\n')}\n`;
    process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : text);
    if (options.record) appendResult('range-check', text, result.backend);
  });

program
  .command('search')
  .description('steps, wall time and regret of asha / sh / the range test / auto against grid, through real workers, on each spec')
  .argument('[specs...]', `sweep specs (default: ${SEARCH_SPECS.join(' ')})`)
  .option('--strategies <list>', 'strategies besides grid: asha, sh, auto, range-test', SEARCH_STRATEGIES.join(','))
  .option('--workers <n>', 'local worker processes (and range-test processes)', '2')
  .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
  .option('--quick', QUICK_SPEC_NOTE)
  .option('--json', 'print [{ spec, runs }] as JSON')
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (specs: string[], options: { strategies: string; workers: string; backend: string; quick?: boolean; json?: boolean; record?: boolean }) => {
    const all: { spec: string; runs: Awaited<ReturnType<typeof runSearchBench>> }[] = [];
    for (const spec of specs.length > 0 ? specs : SEARCH_SPECS) {
      const runs = await runSearchBench(options.quick ? quickSpecFile(spec) : spec, options.strategies.split(',') as BenchStrategy[], Number(options.workers), options.backend);
      all.push({ spec, runs });
      const text = searchTable(spec + (options.quick ? ' (--quick)' : ''), runs, Number(options.workers));
      if (!options.json) process.stdout.write(text + '\n');
      if (options.record) appendResult(`search ${spec}`, text, runs[0]?.backend ?? options.backend);
    }
    if (options.json) process.stdout.write(JSON.stringify(all, null, 2) + '\n');
  });

program
  .command('parallel')
  .description('`run --workers N` (N local worker processes, one slot each): wall time against the busy slot time / N, the idle share and where it goes; N = 1 is the baseline')
  .argument('[spec]', 'sweep spec', 'examples/mnist-mlp-sgd.yaml')
  .option('--workers <list>', 'comma-separated worker counts', '1,2')
  .option('--strategy <name>', 'override search.strategy (asha, sh, grid, auto)')
  .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
  .option('--checkpoints <list>', 'shared (as `run`: a paused trial resumes on any free worker), local (only where it paused: the baseline), or local,shared (both, one after the other per worker count)', 'shared')
  .option('--quick', QUICK_SPEC_NOTE)
  .option('--json', 'print the runs as JSON (with every attempt)')
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (spec: string, options: { workers: string; strategy?: string; backend: string; checkpoints: string; quick?: boolean; json?: boolean; record?: boolean }) => {
    const counts = options.workers.split(',').map(Number);
    const checkpoints = options.checkpoints.split(',');
    if (!checkpoints.every((c): c is CheckpointSharing => c === 'shared' || c === 'local')) throw new Error(`--checkpoints: expected shared, local or local,shared, got ${options.checkpoints}`);
    const runs = await runParallelBench(options.quick ? quickSpecFile(spec) : spec, counts, { backend: options.backend, checkpoints, ...(options.strategy ? { strategy: options.strategy as 'asha' } : {}) });
    const one = runs.find((r) => r.workers === 1 && r.checkpoints === checkpoints.at(-1));
    const s = (x: number) => `${x.toFixed(1)} s`;
    const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
    const rows = runs.map((r) => {
      const speedup = one ? `${(one.sweepSeconds / r.sweepSeconds).toFixed(2)}x (${pct(one.sweepSeconds / r.sweepSeconds / r.workers)})` : '—';
      const idleSlot = r.workers * r.sweepSeconds;
      const share = (x: number) => `${s(x)} (${pct(x / idleSlot)})`;
      return (
        `| ${r.workers} | ${r.checkpoints} | ${r.state} | ${s(r.sweepSeconds)} | ${s(r.endToEndSeconds)} | ${s(r.busySeconds)} | ${s(r.busySeconds / r.workers)} | ${pct(r.efficiency)} | ${pct(r.efficiencyAfterStart)} | ${pct(r.finalBound)} | ${r.bestChain ? `${pct(r.chainBound)} (${r.bestChain.trialId}: from ${s(r.bestChain.startSeconds)}, ${s(r.bestChain.busySeconds)} busy)` : '—'} | ${speedup} | ` +
        `${share(r.idle.workerStart)} | ${share(r.idle.firstDispatch)} | ${share(r.idle.betweenAttempts)} (${r.gaps.count} gaps, median ${r.gaps.medianMs.toFixed(0)} ms) | ${share(r.idle.searchTail)} | ${share(r.idle.duringFinal)} | ${share(r.idle.tail)} | ${share(r.idle.discardedFinal)} | ` +
        `${s(r.setupSeconds)} (first ${r.firstSetupMs.map((m) => m.toFixed(0)).join('/')} ms, later median ${r.laterSetupMedianMs.toFixed(0)} ms) | ${s(r.finalSeconds)}${r.finalCandidates > 1 ? ` (${r.finalCandidates} candidates at once)` : ''} |`
      );
    });
    const text =
      `parallel efficiency of \`run\` on ${spec}${options.quick ? ' (--quick)' : ''} (${runs[0]?.strategy}, backend ${runs[0]?.backend}); efficiency = busy slot time / (N × sweep wall); ` +
      `speedup: against the 1-worker run of this invocation (its share of N× in brackets); idle slot time as a share of N × sweep wall\n\n` +
      `| workers | checkpoints | state | sweep wall | end to end | busy (sum) | busy / N | efficiency | without worker start | bound by the final's length | bound by the best trial's chain as well | speedup | idle: worker start | idle: first dispatch | idle: between attempts | idle: search's last trials | idle: during final | idle: tail | discarded early final | setup in busy | final training |\n` +
      `|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`;
    const verdicts = runs
      .filter((r) => r.workers > 1)
      .map((r) => {
        const labels: Record<keyof typeof r.idle, string> = { workerStart: 'worker start', firstDispatch: 'first dispatch', betweenAttempts: 'between attempts', searchTail: "the search's last trials", duringFinal: 'the final training', tail: 'the tail', discardedFinal: 'early finals thrown away' };
        const ranked = (Object.keys(r.idle) as (keyof typeof r.idle)[]).sort((a, b) => r.idle[b] - r.idle[a]).slice(0, 2);
        return `${r.workers} workers, ${r.checkpoints} checkpoints: efficiency ${(r.efficiency * 100).toFixed(1)}% (target ≥ 90% with 2: ${r.efficiency >= 0.9 ? 'met' : 'not met'}); most idle slot time in ${ranked.map((k) => `${labels[k]} (${pct(r.idle[k] / (r.workers * r.sweepSeconds))})`).join(' and ')}`;
      });
    const report = text + (verdicts.length > 0 ? `\n${verdicts.join('\n')}\n` : '');
    process.stdout.write(options.json ? JSON.stringify(runs, null, 2) + '\n' : report);
    if (options.record) appendResult('parallel', report, runs[0]?.backend ?? options.backend);
  });

program
  .command('finetune')
  .description('pre-train a CNN on MNIST digits 0-4, fine-tune it on 250 examples of 5-9 with one rate vs discriminative rates (examples/finetune), each a real sweep')
  .option('--workers <n>', 'local worker processes', '2')
  .option('--seeds <n>', 'repeat every variant with this many seeds (another sample, head and data order each)', '3')
  .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
  .option('--json', 'print the result as JSON')
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (options: { workers: string; seeds: string; backend: string; json?: boolean; record?: boolean }) => {
    const result = await runFinetune({ workers: Number(options.workers), seeds: Number(options.seeds), backend: options.backend, log: (line) => process.stderr.write(`${line}\n`) });
    const text = formatFinetune(result);
    process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : text);
    if (options.record) appendResult('finetune', text, result.backend);
  });

program
  .command('slots')
  .description('several trials per process against a process per slot: steps/s of all trials and memory per slot, processes × trials per process = 1 × 1 (the baseline), 1 × 2, 2 × 1, 2 × 2, 4 × 1')
  .option('--models <names>', 'mlp,cnn', 'mlp,cnn')
  .option('--seconds <s>', 'seconds measured per layout, after a warm-up', '6')
  .option('--warmup <s>', 'seconds each process trains before the clock starts (besides 20 steps per trial); 0 measures a fresh process, compiling as it goes', '0')
  .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
  .option('--quick', 'smoke run: the MLP, 1 s per layout')
  .option('--json', 'print the runs as JSON')
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (options: { models: string; seconds: string; warmup: string; backend: string; quick?: boolean; json?: boolean; record?: boolean }) => {
    const { formatSlots, runSlotsBench } = await import('./slots.js');
    const models = (options.quick ? 'mlp' : options.models).split(',');
    if (!models.every((m): m is 'mlp' | 'cnn' => m === 'mlp' || m === 'cnn')) throw new Error(`--models: expected mlp, cnn or mlp,cnn, got ${options.models}`);
    const seconds = options.quick ? 1 : Number(options.seconds);
    const warmupSeconds = options.quick ? 0 : Number(options.warmup);
    const runs = await runSlotsBench({ models, backend: options.backend, seconds, warmupSeconds });
    const text = formatSlots(runs, seconds, warmupSeconds);
    process.stdout.write(options.json ? JSON.stringify(runs, null, 2) + '\n' : text);
    if (options.record) appendResult('slots', text, runs[0]?.backend ?? options.backend);
  });

program
  .command('coordinator-scale')
  .description('loss reports/s one coordinator folds, its decision latency, CPU and RSS, against the number of simulated workers (real nats-server, gRPC and coordinator process; fake trainer); baselines: 10 workers and raw JetStream, same run')
  .option('--workers <list>', 'comma-separated simulated worker counts', '50,200,500')
  .option('--baseline-workers <n>', 'the small configuration the others are compared with', '10')
  .option('--seconds <s>', 'seconds measured per configuration, after the warm-up', '15')
  .option('--warmup <s>', 'warm-up seconds per configuration', '4')
  .option('--rate <n>', 'loss reports/s offered by all workers together (0: as fast as they can)', '20000')
  .option('--slots <n>', 'slots per simulated worker', '1')
  .option('--publish <mode>', 'outbox: through the worker Outbox (JetStream, acknowledged); core: plain core-NATS publishes (a cheaper load generator)', 'outbox')
  .option('--raw-seconds <s>', 'seconds of the raw JetStream baseline (0: skip)', '3')
  .option('--burst <s>', 'capacity: seconds the coordinator is stopped while the workers publish, before it catches up (0: skip)', '3')
  .option('--profile <dir>', 'write a V8 CPU profile of each coordinator (node --cpu-prof) into this directory')
  .option('--quick', 'smoke run: 50 workers, 3 s each')
  .option('--json', 'print the report as JSON')
  .option('--record', 'append the numbers to bench/RESULTS.md')
  .action(async (options: { workers: string; baselineWorkers: string; seconds: string; warmup: string; rate: string; slots: string; publish: string; rawSeconds: string; burst: string; profile?: string; quick?: boolean; json?: boolean; record?: boolean }) => {
    const { formatCoordinatorScale, runCoordinatorScale } = await import('./coordinator-scale.js');
    const quick = options.quick === true;
    const report = await runCoordinatorScale({
      workers: (quick ? '50' : options.workers).split(',').map(Number),
      baselineWorkers: Number(options.baselineWorkers),
      seconds: quick ? 3 : Number(options.seconds),
      warmupSeconds: quick ? 2 : Number(options.warmup),
      rate: Number(options.rate),
      slots: Number(options.slots),
      publish: options.publish === 'core' ? 'core' : 'outbox',
      rawSeconds: quick ? 1 : Number(options.rawSeconds),
      burstSeconds: quick ? 1 : Number(options.burst),
      ...(options.profile ? { profileDir: options.profile } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const text = formatCoordinatorScale(report);
    process.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : text);
    const command = `pnpm bench coordinator-scale --workers ${options.workers} --seconds ${options.seconds} --rate ${options.rate} --slots ${options.slots} --publish ${options.publish}`;
    if (options.record && !quick) appendResult('coordinator-scale', `\`${command}\`\n\n${text}`, 'none (simulated trainer)');
  });

await program.parseAsync();
