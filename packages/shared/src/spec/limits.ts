/** Most parameters a model may have: a spec cannot ask a worker for more memory than this implies. */
export const MAX_PARAMETERS = 20_000_000;

type BuiltinModel = { builtin: 'mlp'; hidden: number[] } | { builtin: 'cnn'; filters: number[]; kernelSize: number; dense: number[] };

/**
 * Parameter count of a built-in model (mlp: dense layers; cnn: 'same' convolutions each followed
 * by a 2×2 max-pool, then dense layers), known before any weight is allocated.
 */
export function builtinParameterCount(spec: BuiltinModel, inputShape: readonly number[], numClasses: number): number {
  const dense = (widths: number[]) => widths.slice(1).reduce((n, w, i) => n + widths[i]! * w + w, 0);
  if (spec.builtin === 'mlp') return dense([inputShape.reduce((a, b) => a * b, 1), ...spec.hidden, numClasses]);
  let [height = 1, width = 1, channels = 1] = inputShape;
  let count = 0;
  for (const filters of spec.filters) {
    count += spec.kernelSize * spec.kernelSize * channels * filters + filters;
    [height, width, channels] = [Math.floor(height / 2), Math.floor(width / 2), filters];
  }
  return count + dense([height * width * channels, ...spec.dense, numClasses]);
}

/** Input shape and classes of the built-in datasets (CSV files are only known once read). */
export function builtinDatasetShape(dataset: { builtin?: string; classes?: number }): { inputShape: number[]; numClasses: number } | undefined {
  if (dataset.builtin === 'mnist') return { inputShape: [28, 28, 1], numClasses: 10 };
  if (dataset.builtin === 'spirals') return { inputShape: [2], numClasses: dataset.classes ?? 3 };
  return undefined;
}
