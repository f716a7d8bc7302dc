/**
 * Sparse ("lazy") Adam for embedding tables kept in Float32Arrays: a batch updates only the rows it touched, and
 * only those rows' first and second moments, so a step costs O(touched rows x width) instead of O(table size).
 *
 * Why: with `optimizer.minimize` TensorFlow.js's Adam updates every row of the user and movie tables and of their
 * moments on every batch (the gradient of a gather is a dense table-shaped tensor), which made one epoch at 25M
 * ratings take about two hours (docs/models.md, History). The loss and its gradients are still
 * computed by TensorFlow.js (src/models/challenger/train.ts); only the update of the touched rows happens here.
 *
 * The rule is TensorFlow's `LazyAdamOptimizer` (tf.contrib.opt, now `tfa.optimizers.LazyAdam`) and PyTorch's
 * `torch.optim.SparseAdam`: for each row r in the batch (gradients of duplicate indices summed first) with global
 * step t (1-based, shared by all rows, as both references do):
 *
 *   m_r <- β1 m_r + (1 − β1) g_r
 *   v_r <- β2 v_r + (1 − β2) g_r²
 *   θ_r <- θ_r − lr · (m_r / (1 − β1^t)) / (sqrt(v_r / (1 − β2^t)) + ε)
 *
 * which is Adam (Kingma & Ba, ICLR 2015, Algorithm 1) written exactly as TensorFlow.js's `AdamOptimizer` does
 * (ε added outside the square root of the bias-corrected second moment). Rows not in the batch keep their value
 * and moments (dense Adam would decay their moments and still move them by their old momentum). When every row is
 * touched at every step the two coincide, which the tests check against `tf.train.adam`.
 */

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** tf.train.adam's defaults (ε is the float32 backend's epsilon()), so lazy and dense steps are comparable. */
export const TFJS_ADAM_DEFAULTS: Omit<AdamSettings, "learningRate"> = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
};

/**
 * A parameter table (rows x width) with its Adam moments, stored row by row as [θ (width) | m (width) | v (width)]:
 * one row's update then reads and writes one contiguous block instead of three scattered ones (the tables are too
 * large for the cache, so a batch's cost is mostly the rows it fetches).
 */
export interface AdamTable {
  rows: number;
  width: number;
  /** rows x 3 width. */
  data: Float32Array;
}

/** A table holding `values` (rows x width, row-major; copied) with zero moments. */
export function adamTable(values: Float32Array, width: number): AdamTable {
  if (!(width > 0) || values.length % width !== 0)
    throw new RangeError(`table of ${values.length} values is not a whole number of rows of width ${width}`);
  const rows = values.length / width;
  const data = new Float32Array(rows * 3 * width);
  for (let r = 0; r < rows; r++) data.set(values.subarray(r * width, (r + 1) * width), r * 3 * width);
  return { rows, width, data };
}

/** The table's values, rows x width, row-major (a copy). */
export function tableValues(table: AdamTable): Float32Array {
  return gatherTableRows(
    table,
    Int32Array.from({ length: table.rows }, (_, r) => r),
  );
}

/** Rows gathered from a table: `rows[k]` is the row of `indices[k]`. */
export interface RowGradients {
  indices: Int32Array;
  /** indices.length x width, row-major. */
  rows: Float32Array;
}

/**
 * Sums the gradient rows of duplicate indices, keeping first-occurrence order, as the gradient of a gather does
 * (a row used twice in a batch gets the sum of both contributions). `slots` is scratch space with one entry per
 * table row, all −1 on entry; it is −1 again on return (pass one to avoid allocating a table-sized array per
 * batch).
 *
 * @example
 * sumDuplicateRows({ indices: Int32Array.of(4, 1, 4), rows: Float32Array.of(1, 2, 3) }, 1, new Int32Array(5).fill(-1));
 * // => { indices: [4, 1], rows: [4, 2] }
 */
export function sumDuplicateRows(gradients: RowGradients, width: number, slots: Int32Array): RowGradients {
  const { indices, rows } = gradients;
  if (rows.length !== indices.length * width)
    throw new RangeError(`${rows.length} gradient values for ${indices.length} rows of width ${width}`);
  const unique = new Int32Array(indices.length);
  const summed = new Float32Array(rows.length);
  let count = 0;
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (index < 0 || index >= slots.length)
      throw new RangeError(`row index ${index} outside a table of ${slots.length} rows`);
    let slot = slots[index];
    if (slot < 0) {
      slot = count++;
      slots[index] = slot;
      unique[slot] = index;
    }
    const from = k * width;
    const to = slot * width;
    for (let f = 0; f < width; f++) summed[to + f] += rows[from + f];
  }
  for (let slot = 0; slot < count; slot++) slots[unique[slot]] = -1;
  return { indices: unique.subarray(0, count), rows: summed.subarray(0, count * width) };
}

/**
 * One Adam step on the rows `gradients.indices` of `table` (indices must be unique: sum duplicates first with
 * `sumDuplicateRows`), in place. `step` is the global step t, 1 for the first batch.
 */
export function lazyAdamStep(
  table: AdamTable,
  gradients: RowGradients,
  step: number,
  settings: AdamSettings,
): void {
  const { width, data } = table;
  const { indices, rows } = gradients;
  if (rows.length !== indices.length * width)
    throw new RangeError(`${rows.length} gradient values for ${indices.length} rows of width ${width}`);
  if (!(step >= 1)) throw new RangeError(`Adam step must be >= 1, got ${step}`);
  const { learningRate, beta1, beta2, epsilon } = settings;
  // Bias corrections as factors: θ −= (lr / (1 − β1^t)) m / (sqrt(v / (1 − β2^t)) + ε), the same expression.
  const stepSize = learningRate / (1 - Math.pow(beta1, step));
  const inverseCorrection2 = 1 / (1 - Math.pow(beta2, step));
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (index < 0 || index >= table.rows)
      throw new RangeError(`row index ${index} outside a table of ${table.rows} rows`);
    const value = index * 3 * width;
    const first = value + width;
    const second = first + width;
    const from = k * width;
    for (let f = 0; f < width; f++) {
      const g = rows[from + f];
      const mt = beta1 * data[first + f] + (1 - beta1) * g;
      const vt = beta2 * data[second + f] + (1 - beta2) * g * g;
      data[first + f] = mt;
      data[second + f] = vt;
      data[value + f] -= (stepSize * mt) / (Math.sqrt(vt * inverseCorrection2) + epsilon);
    }
  }
}

/** One Adam step on every row of `table` (the small dense tables W and v): `gradient` has the table's shape. */
export function denseAdamStep(
  table: AdamTable,
  gradient: Float32Array,
  step: number,
  settings: AdamSettings,
): void {
  if (gradient.length !== table.rows * table.width)
    throw new RangeError(
      `dense gradient of ${gradient.length} values for a table of ${table.rows * table.width}`,
    );
  const indices = Int32Array.from({ length: table.rows }, (_, r) => r);
  lazyAdamStep(table, { indices, rows: gradient }, step, settings);
}

/**
 * Copies the values of rows `indices` of a table into a new indices.length x width array (duplicates repeated):
 * the inputs of one batch's TensorFlow.js graph.
 */
export function gatherTableRows(table: AdamTable, indices: Int32Array): Float32Array {
  const { width, data } = table;
  const out = new Float32Array(indices.length * width);
  for (let k = 0; k < indices.length; k++) {
    if (indices[k] < 0 || indices[k] >= table.rows)
      throw new RangeError(`row index ${indices[k]} outside a table of ${table.rows} rows`);
    const from = indices[k] * 3 * width;
    const to = k * width;
    for (let f = 0; f < width; f++) out[to + f] = data[from + f];
  }
  return out;
}
