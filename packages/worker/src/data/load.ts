import { deriveSeed, type SweepSpec } from '@lrsweep/shared';
import { loadCsv, standardize } from './csv.js';
import { exampleCount, takeRows, type DataSplits, type LabelledData } from './dataset.js';
import { loadMnist } from './mnist.js';
import { makeSpirals } from './spirals.js';
import { stratifiedSample, stratifiedSplit } from './split.js';

/**
 * Loads the spec's dataset and splits it: validation (held out), train, and a stratified sample of
 * train for the search. The split depends only on the spec's seed, so every trial and every range
 * test of a sweep sees the same validation set.
 */
export function loadDataSplits(spec: SweepSpec): DataSplits {
  const ds = spec.dataset;
  let all: LabelledData;
  let description: string;
  if ('csv' in ds) {
    all = loadCsv(ds.csv.path, ds.csv.label);
    description = `csv ${ds.csv.path}`;
  } else if (ds.builtin === 'mnist') {
    all = loadMnist();
    description = 'mnist';
    if (ds.digits) {
      const keep = new Set(ds.digits);
      all = takeRows(all, Array.from(all.labels.keys()).filter((row) => keep.has(all.labels[row]!)));
      description = `mnist digits ${[...ds.digits].sort().join(',')}`;
    }
  } else {
    all = makeSpirals({ classes: ds.classes, pointsPerClass: ds.pointsPerClass, noise: ds.noise, seed: deriveSeed(spec.seed, 1) });
    description = `spirals (${ds.classes} classes)`;
  }
  const { picked: validation, rest } = stratifiedSplit(all, ds.validationFraction, deriveSeed(spec.seed, 2));
  const trainLimit = 'builtin' in ds && ds.builtin === 'mnist' ? ds.trainLimit : undefined;
  const train = trainLimit !== undefined && trainLimit < exampleCount(rest) ? stratifiedSample(rest, trainLimit / exampleCount(rest), deriveSeed(spec.seed, 4)) : rest;
  if ('csv' in ds && ds.csv.standardize) standardize(train, validation);
  const sample = stratifiedSample(train, ds.sampleFraction, deriveSeed(spec.seed, 3));
  const count = (d: LabelledData) => d.labels.length.toLocaleString('en-US');
  return { train, sample, validation, description: `${description}: ${count(train)} train, ${count(sample)} sample, ${count(validation)} validation` };
}
