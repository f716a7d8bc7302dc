/**
 * A validation period carved from the end of the training period, so hyperparameters (the baseline's window, the
 * challenger's size, regularisation and epochs) are chosen without ever looking at the test period. The result
 * has the same shape as the real split: `train` = ratings before the validation cutoff, `test` = the training
 * period's ratings from it on.
 */
import type { InteractionColumns, PreparedDataset } from "../data/types";
import { InputError } from "../core/errors";

function rowsWhere(columns: InteractionColumns, keep: (row: number) => boolean): InteractionColumns {
  const rows: number[] = [];
  for (let row = 0; row < columns.length; row++) if (keep(row)) rows.push(row);
  return {
    length: rows.length,
    userIndex: Int32Array.from(rows, (row) => columns.userIndex[row]),
    movieIndex: Int32Array.from(rows, (row) => columns.movieIndex[row]),
    rating: Float32Array.from(rows, (row) => columns.rating[row]),
    timestamp: Float64Array.from(rows, (row) => columns.timestamp[row]),
  };
}

/**
 * Splits `dataset.train` at the timestamp leaving the last `fraction` of its ratings (by time) for validation.
 *
 * @example
 * const validation = validationSplit(dataset, 0.2); // validation.manifest.cutoffTimestamp < dataset's cutoff
 */
export function validationSplit(dataset: PreparedDataset, fraction: number): PreparedDataset {
  if (!(fraction > 0 && fraction < 1))
    throw new InputError(`expected a validation fraction in (0, 1), got ${fraction}`, {
      field: "validationFraction",
    });
  const times = Float64Array.from(dataset.train.timestamp).sort();
  if (times.length < 2) throw new InputError("the training period has fewer than 2 ratings to split");
  const cutoffTimestamp = times[Math.min(times.length - 1, Math.floor(times.length * (1 - fraction)))];
  const train = dataset.train;
  return {
    ...dataset,
    manifest: { ...dataset.manifest, cutoffTimestamp, testFraction: fraction },
    train: rowsWhere(train, (row) => train.timestamp[row] < cutoffTimestamp),
    test: rowsWhere(train, (row) => train.timestamp[row] >= cutoffTimestamp),
  };
}
