import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpec, TrainingSetupError } from '@lrsweep/shared';
import { loadCsv } from './csv.js';
import { loadDataSplits } from './load.js';
import { loadMnist, parseJson, readBinaryCache } from './mnist.js';
import { classCounts, stratifiedSplit } from './split.js';

describe('MNIST from the mnist package', () => {
  it('has about 10,000 real digits of 28x28 in [0, 1], between 863 and 1,127 per class', () => {
    const data = loadMnist();
    expect(data.labels.length).toBe(10_000);
    expect(data.featureShape).toEqual([28, 28, 1]);
    expect(data.features.length).toBe(data.labels.length * 784);
    expect(Math.max(...data.features.subarray(0, 784 * 50))).toBeLessThanOrEqual(1);
    for (const count of classCounts(data)) expect(count).toBeGreaterThan(850);
  });

  it('reads back from its binary cache exactly what the JSON holds', () => {
    const parsed = parseJson();
    const cached = readBinaryCache();
    expect(cached).toBeDefined();
    expect(Buffer.from(cached!.features.buffer, cached!.features.byteOffset, cached!.features.byteLength).equals(Buffer.from(parsed.features.buffer))).toBe(true);
    expect([...cached!.labels]).toEqual([...parsed.labels]);
    // Its arrays are aligned views of one buffer of its own, not of a pooled or shared one.
    expect(cached!.features.byteOffset).toBe(0);
    expect(cached!.labels.buffer).toBe(cached!.features.buffer);
  });
});

describe('splits', () => {
  const spec = parseSpec({ name: 's', seed: 5, model: { builtin: 'mlp' }, dataset: { builtin: 'mnist', validationFraction: 0.2, sampleFraction: 0.25 } });

  it('are stratified: every class keeps its share in validation and the sample', () => {
    const all = classCounts(loadMnist());
    const splits = loadDataSplits(spec);
    const val = classCounts(splits.validation);
    const sample = classCounts(splits.sample);
    val.forEach((n, c) => expect(Math.abs(n - all[c]! * 0.2)).toBeLessThanOrEqual(1));
    sample.forEach((n, c) => expect(Math.abs(n - (all[c]! - val[c]!) * 0.25)).toBeLessThanOrEqual(1));
    expect(splits.train.labels.length + splits.validation.labels.length).toBe(loadMnist().labels.length);
  });

  it('are deterministic for a seed and differ for another', () => {
    const a = loadDataSplits(spec);
    const b = loadDataSplits(spec);
    const c = loadDataSplits({ ...spec, seed: 6 });
    expect(Array.from(b.validation.labels)).toEqual(Array.from(a.validation.labels));
    expect(b.sample.features).toEqual(a.sample.features);
    expect(Array.from(c.validation.labels)).not.toEqual(Array.from(a.validation.labels));
  });

  it('mix classes, so a prefix of the validation set is a fair subset', () => {
    const { picked } = stratifiedSplit(loadMnist(), 0.2, 1);
    const first = new Set(Array.from(picked.labels.subarray(0, 100)));
    expect(first.size).toBe(10);
  });
});

describe('CSV', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrsweep-csv-'));

  it('reads numeric features and maps string labels to sorted classes', () => {
    const path = join(dir, 'ok.csv');
    writeFileSync(path, 'a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n');
    const data = loadCsv(path, 'species');
    expect(data.featureShape).toEqual([2]);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(data.labels)).toEqual([0, 1, 0]);
    expect(data.classNames).toEqual(['setosa', 'virginica']);
  });

  it('names the column and the row of a bad value, and a missing label column', () => {
    const path = join(dir, 'bad.csv');
    writeFileSync(path, 'a,b,y\n1,2,0\n3,x,1\n');
    expect(() => loadCsv(path, 'y')).toThrow(/row 3 column 'b'/);
    expect(() => loadCsv(path, 'label')).toThrow(TrainingSetupError);
    expect(() => loadCsv(path, 'label')).toThrow(/no column 'label' \(columns: a, b, y\)/);
  });
});

describe('MNIST digit subsets and a small training set', () => {
  it('keeps only the digits asked for, splits validation first, then caps the training set', () => {
    const spec = parseSpec({ name: 'ft', seed: 3, model: { builtin: 'cnn' }, dataset: { builtin: 'mnist', digits: [5, 6, 7, 8, 9], trainLimit: 250, validationFraction: 0.3, sampleFraction: 1 } });
    const splits = loadDataSplits(spec);
    const all = classCounts(loadMnist());
    const fiveToNine = all.slice(5).reduce((a, b) => a + b, 0);
    expect(classCounts(splits.validation).slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(classCounts(splits.train).slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(Math.abs(splits.validation.labels.length - fiveToNine * 0.3)).toBeLessThanOrEqual(5);
    expect(Math.abs(splits.train.labels.length - 250)).toBeLessThanOrEqual(5);
    for (const n of classCounts(splits.train).slice(5)) expect(n).toBeGreaterThanOrEqual(40); // stratified: each digit keeps its share
    expect(splits.sample).toBe(splits.train);
    expect(splits.description).toMatch(/mnist digits 5,6,7,8,9/);
  });
});
