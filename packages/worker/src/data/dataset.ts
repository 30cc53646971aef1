/** A labelled classification dataset held in flat typed arrays (row-major, one row per example). */
export interface LabelledData {
  features: Float32Array;
  labels: Int32Array;
  /** Shape of one example, e.g. [28, 28, 1] or [2]. */
  featureShape: number[];
  numClasses: number;
}

export interface DataSplits {
  /** The full training split (final training). */
  train: LabelledData;
  /** A stratified sample of `train` (search phase and range test). */
  sample: LabelledData;
  /** Held out, fixed: every evaluation uses the same examples. */
  validation: LabelledData;
  /** e.g. "mnist (10,000 digits)" */
  description: string;
}

export function exampleCount(data: LabelledData): number {
  return data.labels.length;
}

export function featureSize(data: Pick<LabelledData, 'featureShape'>): number {
  return data.featureShape.reduce((a, b) => a * b, 1);
}

/** Copies the given rows (in the given order) into a new dataset. */
export function takeRows(data: LabelledData, rows: readonly number[]): LabelledData {
  const size = featureSize(data);
  const features = new Float32Array(rows.length * size);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    features.set(data.features.subarray(row * size, (row + 1) * size), i * size);
    labels[i] = data.labels[row]!;
  });
  return { features, labels, featureShape: data.featureShape, numClasses: data.numClasses };
}
