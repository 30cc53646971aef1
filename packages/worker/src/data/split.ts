import { SeededRandom } from '@lrsweep/shared';
import { exampleCount, takeRows, type LabelledData } from './dataset.js';

function rowsByClass(labels: Int32Array, numClasses: number): number[][] {
  const byClass = Array.from({ length: numClasses }, () => [] as number[]);
  labels.forEach((label, row) => byClass[label]!.push(row));
  return byClass;
}

/**
 * Seeded stratified split: every class keeps its share in both parts (rounded per class), so a
 * small validation set still has every digit. Same data and seed, same split, on any machine.
 */
export function stratifiedSplit(data: LabelledData, fraction: number, seed: number): { picked: LabelledData; rest: LabelledData } {
  const rng = new SeededRandom(seed);
  const picked: number[] = [];
  const rest: number[] = [];
  for (const rows of rowsByClass(data.labels, data.numClasses)) {
    rng.shuffle(rows);
    const take = rows.length === 0 ? 0 : Math.min(rows.length, Math.max(1, Math.round(rows.length * fraction)));
    picked.push(...rows.slice(0, take));
    rest.push(...rows.slice(take));
  }
  // Mix the classes (the source may be sorted by label), so any prefix of a part is a fair subset.
  rng.shuffle(picked);
  rng.shuffle(rest);
  return { picked: takeRows(data, picked), rest: takeRows(data, rest) };
}

/** A stratified sample of `fraction` of the rows (the whole set when fraction is 1). */
export function stratifiedSample(data: LabelledData, fraction: number, seed: number): LabelledData {
  if (fraction >= 1) return data;
  return stratifiedSplit(data, fraction, seed).picked;
}

export function classCounts(data: LabelledData): number[] {
  const counts = new Array<number>(data.numClasses).fill(0);
  for (let i = 0; i < exampleCount(data); i++) counts[data.labels[i]!]! += 1;
  return counts;
}
