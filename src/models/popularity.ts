/**
 * The production baseline: recommend the movies with the most positive ratings (rating >= the dataset's
 * positive threshold) before the cutoff, optionally counting only a recent window before it. A recent window
 * tracks what is popular now (new releases, seasonal interest) at the price of noisier counts; which window wins
 * is an empirical question, answered on a validation period carved from the end of the training period
 * (`evaluation/model-selection`), never on the test period.
 *
 * Under the user-temporal split recent windows are not used (only `windowDays: null`): each user's test period
 * starts at their own time, so "recent" would have to end at each user's test start, one popularity list per user,
 * and a window ending at the latest training rating would count, for most users, ratings made long after their
 * test started. All-time popularity still counts other users' later ratings: the leak of every per-user split
 * (docs/models.md), shared by the challenger.
 */
import type { InteractionColumns, PreparedDataset } from "../data/types";
import { InputError } from "../core/errors";
import { FactorRecommender } from "./factor-recommender";
import { catalogueMovieIds, knownUsers } from "./known-users";

export const SECONDS_PER_DAY = 86_400;

export interface PopularityOptions {
  /** Count only positives in the last `windowDays` before `endTimestamp`; null counts all of them. */
  windowDays: number | null;
  /** End of the counting window (exclusive), Unix seconds: the cutoff. */
  endTimestamp: number;
  positiveThreshold: number;
}

/**
 * Popularity score per movie:
 *
 *   score(i) = #{positives of i in [end - window, end)} + all(i) / (max_j all(j) + 1)
 *
 * where all(i) counts i's positives before `end` over the whole history; the second term (< 1) only breaks ties
 * between movies with equal window counts, in favour of the all-time favourite.
 *
 * @example
 * popularityScores(train, 3, { windowDays: null, endTimestamp: cutoff, positiveThreshold: 4 });
 */
export function popularityScores(
  columns: InteractionColumns,
  nMovies: number,
  options: PopularityOptions,
): Float32Array {
  const start =
    options.windowDays === null ? -Infinity : options.endTimestamp - options.windowDays * SECONDS_PER_DAY;
  const windowCounts = new Float64Array(nMovies);
  const allCounts = new Float64Array(nMovies);
  for (let row = 0; row < columns.length; row++) {
    const t = columns.timestamp[row];
    if (columns.rating[row] < options.positiveThreshold || t >= options.endTimestamp) continue;
    allCounts[columns.movieIndex[row]]++;
    if (t >= start) windowCounts[columns.movieIndex[row]]++;
  }
  let maxAll = 0;
  for (let i = 0; i < nMovies; i++) maxAll = Math.max(maxAll, allCounts[i]);
  return Float32Array.from(windowCounts, (count, i) => count + allCounts[i] / (maxAll + 1));
}

export interface BaselineHyperparameters {
  windowDays: number | null;
}

/** Throws unless `windowDays` is null under the user-temporal split (no single time for a window to end at). */
export function checkWindowFitsSplit(
  dataset: PreparedDataset,
  field: string,
  windowDays: number | null,
): void {
  if (dataset.manifest.split === "user-temporal" && windowDays !== null)
    throw new InputError(
      `expected null (all history) under the user-temporal split, whose test periods start at each user's own ` +
        `time, got a ${windowDays}-day window`,
      { field },
    );
}

/** Trains the baseline on `dataset.train` (window ending at the dataset's cutoff) as a dim-0 factor model. */
export function trainBaseline(
  dataset: PreparedDataset,
  hyperparameters: BaselineHyperparameters,
  version = "untrained",
): FactorRecommender {
  checkWindowFitsSplit(dataset, "windowDays", hyperparameters.windowDays);
  const known = knownUsers(dataset);
  const movieIds = catalogueMovieIds(dataset);
  const scores = popularityScores(dataset.train, movieIds.length, {
    windowDays: hyperparameters.windowDays,
    endTimestamp: dataset.manifest.cutoffTimestamp,
    positiveThreshold: dataset.manifest.positiveThreshold,
  });
  return new FactorRecommender({
    name: "baseline",
    version,
    dim: 0,
    userIds: known.userIds,
    movieIds,
    userFactors: new Float32Array(0),
    itemFactors: new Float32Array(0),
    itemBias: scores,
    // Unknown users see the same list as everyone else, minus nothing (they have seen nothing).
    fallbackScores: scores,
    seen: known.seen,
  });
}
