/**
 * One process of `bench slots`: loads the data and builds `trials` trainers (as an executor would
 * hold them), says ready, then on 'go' trains them all at once for the given seconds and reports
 * the steps each made and the process's memory. Trials in one process share its one thread: they
 * take turns at each loss read-back (every 5 steps), as several trials per executor would.
 */
import { constant, parseSpec } from '@lrsweep/shared';
import { loadDataSplits, selectBackend, Trainer, type BackendChoice } from '@lrsweep/worker';

export interface SlotsChildResult {
  steps: number[];
  seconds: number;
  rssMb: number;
  maxRssMb: number;
  backend: string;
}

const [model = 'mlp', backendName = 'auto', trialsArg = '1', secondsArg = '5', warmupArg = '0'] = process.argv.slice(2);
const trials = Number(trialsArg);
const seconds = Number(secondsArg);

const spec = parseSpec({
  name: 'bench-slots',
  seed: 42,
  model: model === 'cnn' ? { builtin: 'cnn', filters: [8, 16], kernelSize: 3 } : { builtin: 'mlp', hidden: [128] },
  dataset: { builtin: 'mnist', validationFraction: 0.2, sampleFraction: 0.25 },
  optimizer: { name: 'sgd' },
  batchSize: 64,
});

const backend = await selectBackend(backendName as BackendChoice);
const splits = loadDataSplits(spec);
const trainers = await Promise.all(
  Array.from({ length: trials }, (_, i) => Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: 100 + i, train: splits.sample, validation: splits.validation })),
);
const schedule = constant(0.05);
// Warm: the code compiled and the first epoch's batches built before the clock starts.
for (const trainer of trainers) await trainer.run({ untilStep: 20, schedule, reportEvery: 5 });
const warmUntil = performance.now() + Number(warmupArg) * 1000;
while (performance.now() < warmUntil) for (const trainer of trainers) await trainer.run({ untilStep: trainer.step + 5, schedule, reportEvery: 5 });

process.send?.({ type: 'ready' });
await new Promise<void>((resolve) => process.once('message', () => resolve()));

const started = performance.now();
const end = started + seconds * 1000;
const steps = await Promise.all(
  trainers.map(async (trainer) => {
    const from = trainer.step;
    while (performance.now() < end) await trainer.run({ untilStep: trainer.step + 5, schedule, reportEvery: 5 });
    return trainer.step - from;
  }),
);
const elapsed = (performance.now() - started) / 1000;
const result: SlotsChildResult = { steps, seconds: elapsed, rssMb: process.memoryUsage().rss / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024, backend: backend.name };
process.send?.({ type: 'result', result }, () => process.exit(0));
