import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { TrainingSetupError } from '@lrsweep/shared';
import type { LabelledData } from './dataset.js';

/**
 * A CSV file with a header row: every column but `label` is a numeric feature; labels may be
 * numbers or strings (mapped to class indices in sorted order, so the mapping is stable).
 */
export function loadCsv(path: string, labelColumn: string): LabelledData & { classNames: string[] } {
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (cause) {
    throw new TrainingSetupError(`cannot read CSV ${path}: ${(cause as Error).message}`, 'dataset.csv.path', { cause });
  }
  const first = rows[0];
  if (!first) throw new TrainingSetupError(`CSV ${path} has no data rows`, 'dataset.csv.path');
  if (!(labelColumn in first)) {
    throw new TrainingSetupError(`CSV ${path} has no column '${labelColumn}' (columns: ${Object.keys(first).join(', ')})`, 'dataset.csv.label');
  }
  const featureColumns = Object.keys(first).filter((c) => c !== labelColumn);
  const classNames = [...new Set(rows.map((r) => r[labelColumn]!))].sort((a, b) => {
    const [x, y] = [Number(a), Number(b)];
    return Number.isFinite(x) && Number.isFinite(y) ? x - y : a.localeCompare(b);
  });
  const classIndex = new Map(classNames.map((name, i) => [name, i]));
  const features = new Float32Array(rows.length * featureColumns.length);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, r) => {
    featureColumns.forEach((column, c) => {
      const value = Number(row[column]);
      if (!Number.isFinite(value)) {
        throw new TrainingSetupError(`CSV ${path} row ${r + 2} column '${column}': '${row[column]}' is not a number`, 'dataset.csv.path');
      }
      features[r * featureColumns.length + c] = value;
    });
    labels[r] = classIndex.get(row[labelColumn]!)!;
  });
  if (classNames.length < 2) throw new TrainingSetupError(`CSV ${path}: column '${labelColumn}' has a single class`, 'dataset.csv.label');
  return { features, labels, featureShape: [featureColumns.length], numClasses: classNames.length, classNames };
}

/** Standardises features in place with the mean and deviation of `reference` (the training split). */
export function standardize(reference: LabelledData, ...targets: LabelledData[]): void {
  const width = reference.featureShape.reduce((a, b) => a * b, 1);
  const n = reference.labels.length;
  const mean = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let r = 0; r < n; r++) for (let c = 0; c < width; c++) mean[c]! += reference.features[r * width + c]! / n;
  for (let r = 0; r < n; r++) for (let c = 0; c < width; c++) sq[c]! += (reference.features[r * width + c]! - mean[c]!) ** 2 / n;
  const std = Array.from(sq, (v) => Math.sqrt(v) || 1);
  for (const data of new Set([reference, ...targets])) {
    for (let r = 0; r < data.labels.length; r++) for (let c = 0; c < width; c++) data.features[r * width + c] = (data.features[r * width + c]! - mean[c]!) / std[c]!;
  }
}
