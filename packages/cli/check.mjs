import { loadSpecFile, constant } from '@lrsweep/shared';
import { loadDataSplits, selectBackend, Trainer } from '@lrsweep/worker';
const spec = loadSpecFile(process.argv[2]);
await selectBackend('wasm');
const splits = loadDataSplits(spec);
const steps = Number(process.argv[3] ?? 375);
for (const lr of process.argv.slice(4).map(Number)) {
  const t = await Trainer.create({ model: spec.model, optimizer: spec.optimizer, batchSize: spec.batchSize, seed: 1, train: splits.sample, validation: splits.validation });
  let last;
  const outcome = await t.run({ untilStep: steps, schedule: constant(lr), reportEvery: 25, onReport: (r) => { last = r.loss; } });
  const ev = await t.evaluate();
  console.log(`lr ${lr}: ${outcome} loss ${last?.toFixed(3)} val ${ev.valLoss.toFixed(3)} acc ${(ev.valAccuracy*100).toFixed(1)}%`);
  t.dispose();
}
