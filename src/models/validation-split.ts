/**
 * A validation period carved from the end of the training period, so hyperparameters (the baseline's window, the
 * challenger's size, regularisation and epochs) are chosen without ever looking at the test period. The result
 * has the same shape as the real split and is carved the same way (`manifest.split`): `global`, `train` = ratings
 * before the validation cutoff and `test` = the training period's ratings from it on; `user-temporal`, each
 * user's last training ratings by time are `test` (`userTestCount`, ties by movieId then row order, as
 * src/data/prepare.ts splits the whole dataset).
 */
import type { InteractionColumns, PreparedDataset } from "../data/types";
import { userTestCount } from "../data/prepare";
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

/** For each row of `train`, whether it is among its user's last `userTestCount(n_u, fraction)` by time. */
function lastOfEachUser(
  train: InteractionColumns,
  movieIds: ArrayLike<number>,
  fraction: number,
): Uint8Array {
  const byUser = new Map<number, number[]>();
  for (let row = 0; row < train.length; row++) {
    const rows = byUser.get(train.userIndex[row]);
    if (rows) rows.push(row);
    else byUser.set(train.userIndex[row], [row]);
  }
  const isTest = new Uint8Array(train.length);
  for (const rows of byUser.values()) {
    rows.sort(
      (a, b) =>
        train.timestamp[a] - train.timestamp[b] ||
        movieIds[train.movieIndex[a]] - movieIds[train.movieIndex[b]] ||
        a - b,
    );
    for (let j = rows.length - userTestCount(rows.length, fraction); j < rows.length; j++)
      isTest[rows[j]] = 1;
  }
  return isTest;
}

/**
 * Splits `dataset.train` the way `dataset` was split, leaving the last `fraction` of its ratings by time (of all,
 * or of each user's) for validation. The result's `cutoffTimestamp` keeps its meaning (src/data/types.ts).
 *
 * @example
 * const validation = validationSplit(dataset, 0.2); // validation.manifest.cutoffTimestamp < dataset's cutoff
 */
export function validationSplit(dataset: PreparedDataset, fraction: number): PreparedDataset {
  if (!(fraction > 0 && fraction < 1))
    throw new InputError(`expected a validation fraction in (0, 1), got ${fraction}`, {
      field: "validationFraction",
    });
  const train = dataset.train;
  if (dataset.manifest.split === "user-temporal") {
    const movieIds = dataset.movies.map((movie) => movie.movieId);
    const isTest = lastOfEachUser(train, movieIds, fraction);
    const validationTrain = rowsWhere(train, (row) => isTest[row] === 0);
    const validationTest = rowsWhere(train, (row) => isTest[row] === 1);
    if (validationTest.length === 0)
      throw new InputError(`no user has enough training ratings to keep ${fraction} of them for validation`, {
        field: "validationFraction",
      });
    let latest = -Infinity;
    for (const t of validationTrain.timestamp) latest = Math.max(latest, t);
    return {
      ...dataset,
      manifest: { ...dataset.manifest, cutoffTimestamp: latest + 1, testFraction: fraction },
      train: validationTrain,
      test: validationTest,
    };
  }
  const times = Float64Array.from(train.timestamp).sort();
  if (times.length < 2) throw new InputError("the training period has fewer than 2 ratings to split");
  const cutoffTimestamp = times[Math.min(times.length - 1, Math.floor(times.length * (1 - fraction)))];
  return {
    ...dataset,
    manifest: { ...dataset.manifest, cutoffTimestamp, testFraction: fraction },
    train: rowsWhere(train, (row) => train.timestamp[row] < cutoffTimestamp),
    test: rowsWhere(train, (row) => train.timestamp[row] >= cutoffTimestamp),
  };
}
