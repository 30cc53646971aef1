/**
 * The non-zero features of every example, found once per dataset, so an epoch's batches can be
 * built in CSR form by copying slices (see backend/sparse-dense.ts).
 */
export interface SparseRows {
  /** Features per example. */
  readonly size: number;
  /** Example i's entries are starts[i] .. starts[i+1]-1 of indices and values. */
  readonly starts: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
  /** Non-zeros over all features: 0.19 for MNIST's pixels. */
  readonly density: number;
}

/**
 * Above this share of non-zeros the sparse kernels lose to the dense matMul. Measured on this
 * project's machine (784 → 128, batch 64): break-even near 0.65, so half is a safe margin.
 */
export const SPARSE_MAX_DENSITY = 0.5;

function countNonZero(features: Float32Array): number {
  let nonZero = 0;
  for (let i = 0; i < features.length; i++) if (features[i] !== 0) nonZero++;
  return nonZero;
}

/** Fraction of non-zero values (NaN counts as non-zero: it must reach the loss). */
export function densityOf(features: Float32Array): number {
  return features.length === 0 ? 0 : countNonZero(features) / features.length;
}

export function sparseRows(features: Float32Array, size: number): SparseRows {
  if (size <= 0 || features.length % size !== 0) throw new Error(`features of length ${features.length} are not rows of ${size}`);
  const count = features.length / size;
  const nonZero = countNonZero(features);
  const starts = new Int32Array(count + 1);
  const indices = new Int32Array(nonZero);
  const values = new Float32Array(nonZero);
  let at = 0;
  for (let row = 0; row < count; row++) {
    const base = row * size;
    for (let j = 0; j < size; j++) {
      const v = features[base + j]!;
      if (v !== 0) {
        indices[at] = j;
        values[at] = v;
        at++;
      }
    }
    starts[row + 1] = at;
  }
  return { size, starts, indices, values, density: features.length === 0 ? 0 : nonZero / features.length };
}

const cache = new WeakMap<Float32Array, SparseRows | null>();

/**
 * The dataset's sparse rows when at most `SPARSE_MAX_DENSITY` of its features are non-zero, else
 * undefined; remembered per features array, which a process keeps across trials.
 */
export function sparseRowsIfSparse(features: Float32Array, size: number): SparseRows | undefined {
  let rows = cache.get(features);
  if (rows === undefined) {
    rows = densityOf(features) <= SPARSE_MAX_DENSITY ? sparseRows(features, size) : null;
    cache.set(features, rows);
  }
  return rows ?? undefined;
}

/** The given examples, in order, as CSR arrays (rowPtr has rows.length + 1 entries). */
export function csrOfRows(sparse: SparseRows, rows: ArrayLike<number>): { rowPtr: Int32Array; indices: Int32Array; values: Float32Array } {
  const rowPtr = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    rowPtr[i + 1] = rowPtr[i]! + sparse.starts[row + 1]! - sparse.starts[row]!;
  }
  const total = rowPtr[rows.length]!;
  const indices = new Int32Array(total);
  const values = new Float32Array(total);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const from = sparse.starts[row]!;
    const to = sparse.starts[row + 1]!;
    indices.set(sparse.indices.subarray(from, to), rowPtr[i]);
    values.set(sparse.values.subarray(from, to), rowPtr[i]);
  }
  return { rowPtr, indices, values };
}
