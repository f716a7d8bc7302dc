/**
 * Splitting and joining the columns of row-major matrices: the challenger keeps a movie's embedding E[i] and bias
 * c[i] in one table row (one fetch per movie per batch, ./lazy-adam.ts) while TensorFlow.js takes them as two
 * tensors (./bpr-loss.ts).
 */

/**
 * Splits each row of a rows x width matrix after column `at`: [rows x at, rows x (width − at)].
 *
 * @example
 * splitColumns(Float32Array.of(1, 2, 3, 4, 5, 6), 3, 2); // => [[1, 2, 4, 5], [3, 6]]
 */
export function splitColumns(values: Float32Array, width: number, at: number): [Float32Array, Float32Array] {
  if (!(at >= 0 && at <= width) || values.length % width !== 0)
    throw new RangeError(`cannot split ${values.length} values of width ${width} at column ${at}`);
  const rows = values.length / width;
  const rest = width - at;
  const left = new Float32Array(rows * at);
  const right = new Float32Array(rows * rest);
  for (let r = 0; r < rows; r++) {
    const from = r * width;
    for (let k = 0; k < at; k++) left[r * at + k] = values[from + k];
    for (let k = 0; k < rest; k++) right[r * rest + k] = values[from + at + k];
  }
  return [left, right];
}

/**
 * Joins two matrices with the same number of rows side by side: rows x (leftWidth + rightWidth).
 *
 * @example
 * joinColumns(Float32Array.of(1, 2, 4, 5), 2, Float32Array.of(3, 6), 1); // => [1, 2, 3, 4, 5, 6]
 */
export function joinColumns(
  left: Float32Array,
  leftWidth: number,
  right: Float32Array,
  rightWidth: number,
): Float32Array {
  const rows = left.length / leftWidth;
  if (!Number.isInteger(rows) || right.length !== rows * rightWidth)
    throw new RangeError(
      `cannot join ${left.length} values of width ${leftWidth} and ${right.length} of width ${rightWidth}`,
    );
  const width = leftWidth + rightWidth;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < leftWidth; k++) out[r * width + k] = left[r * leftWidth + k];
    for (let k = 0; k < rightWidth; k++) out[r * width + leftWidth + k] = right[r * rightWidth + k];
  }
  return out;
}
