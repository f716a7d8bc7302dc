/**
 * Preprocessing of a MovieLens dataset with DuckDB, in one read of ratings.csv:
 *
 * 1. ratings.csv and movies.csv are parsed and validated (./movielens).
 * 2. Ratings whose movie is missing from movies.csv are dropped with a warning and counted in the manifest
 *    (`ratingsWithUnknownMovie`); none exist in the GroupLens releases.
 * 3. A global temporal cutoff: `cutoffTimestamp` is the timestamp that leaves the last `testFraction` of ratings
 *    (in time) in the test period: every rating at or after it is a test rating. One cutoff for everyone mimics deployment: a model trained on
 *    the past is judged on what happened next, with no future leaking into training.
 * 4. Dense indices over the whole dataset: users by ascending userId (every user in ratings.csv), movies by
 *    ascending movieId (every movie in movies.csv), so an index means the same in train and test. Users or movies
 *    first seen after the cutoff keep their index and are marked `cold` in users/movies.parquet.
 * 5. Outputs, published atomically under `<outDir>`: train.parquet and test.parquet (userIndex, movieIndex,
 *    rating, timestamp; all ratings, consumers apply `positiveThreshold`; sorted by user, then time, then movie,
 *    so the order is deterministic and each user's history is contiguous and chronological), users.parquet,
 *    movies.parquet and manifest.json (`DatasetManifest`).
 */
import * as path from "node:path";
import { publishDirectoryAtomic, sha256File, writeJsonAtomic } from "../core/files";
import { InputError } from "../core/errors";
import { createProgress } from "../core/progress";
import { DEFAULT_SEED } from "../core/random";
import { runEnvironment } from "../core/run-record";
import type { DuckDBConnection } from "@duckdb/node-api";
import { openDatabase, sqlString } from "./duckdb";
import { loadMoviesTable, loadRatingsTable } from "./movielens";
import type { DatasetManifest, DatasetName } from "./types";

/** Default share of interactions (the most recent ones) in the test period. */
export const DEFAULT_TEST_FRACTION = 0.2;
/** Default rating from which a rating counts as positive implicit feedback. */
export const DEFAULT_POSITIVE_THRESHOLD = 4;

export interface PrepareOptions {
  dataset: DatasetName;
  /** Folder holding ratings.csv and movies.csv. */
  rawDir: string;
  /** Folder to (re)create with the outputs, e.g. data/processed/<dataset>. */
  outDir: string;
  positiveThreshold?: number;
  testFraction?: number;
  /** Recorded in the manifest (the seed that generated synthetic data; preprocessing itself draws nothing). */
  seed?: number;
  /** DuckDB worker threads (default: all cores). */
  threads?: number;
  quiet?: boolean;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
}

/**
 * The global cutoff: the k-th smallest rating timestamp (0-based) with k = n - round(n * testFraction), so that
 * the test period (timestamp >= cutoff) holds the last round(n * testFraction) ratings, plus any ratings that
 * share the cutoff second. DuckDB's quantile_disc(x, q) returns the element at 0-based index ceil(n * q) - 1;
 * q = (k + 0.5) / n selects index k without floating-point edge cases.
 */
async function temporalCutoff(sql: DuckDBConnection, n: number, testFraction: number): Promise<number> {
  const k = n - Math.round(n * testFraction);
  if (k <= 0 || k >= n)
    throw new InputError(`${n} ratings are too few to keep ${testFraction} of them for the test period`, {
      field: "testFraction",
    });
  const reader = await sql.runAndReadAll(
    `SELECT quantile_disc(timestamp, ${(k + 0.5) / n})::BIGINT FROM ratings SEMI JOIN movies USING (movieId)`,
  );
  return Number(reader.getRows()[0][0]);
}

/** Checks an option value, naming the option in the error. */
function checkOption(field: string, value: number, ok: boolean, expected: string): void {
  if (!ok) throw new InputError(`expected ${expected}, got ${value}`, { field });
}

/**
 * Reads, validates, splits and re-indexes `<rawDir>/ratings.csv` and `movies.csv`; writes `<outDir>` atomically.
 * Returns the manifest written.
 *
 * @example
 * const manifest = await prepareDataset({ dataset: "ml-latest-small", rawDir: "data/ml-latest-small",
 *   outDir: "data/processed/ml-latest-small" });
 * manifest.read; // => { ratings: 100836, users: 610, movies: 9742 }
 */
export async function prepareDataset(options: PrepareOptions): Promise<DatasetManifest> {
  const positiveThreshold = options.positiveThreshold ?? DEFAULT_POSITIVE_THRESHOLD;
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  checkOption(
    "positiveThreshold",
    positiveThreshold,
    positiveThreshold >= 0.5 && positiveThreshold <= 5,
    "a rating threshold from 0.5 to 5",
  );
  checkOption("testFraction", testFraction, testFraction > 0 && testFraction < 1, "a fraction in (0, 1)");
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const ratingsFile = path.join(options.rawDir, "ratings.csv");
  const moviesFile = path.join(options.rawDir, "movies.csv");

  const steps = ["validate movies", "validate ratings", "split and index", "write outputs", "checksums"];
  const progress = createProgress({
    label: `prepare ${options.dataset}`,
    total: steps.length,
    unit: "steps",
    quiet: options.quiet,
  });
  let step = 0;
  const advance = () => progress.update(++step, { next: steps[step] ?? "done" });

  const db = await openDatabase({ threads: options.threads });
  try {
    const sql = db.connection;
    const query = async (text: string) => (await sql.runAndReadAll(text)).getRowObjectsJS()[0];
    progress.update(0, { next: steps[0] });
    const moviesRead = await loadMoviesTable(sql, moviesFile);
    advance();
    const ratingsRead = await loadRatingsTable(sql, ratingsFile);
    advance();

    // Ratings whose movie movies.csv lacks: counted (and their first line found) in one scan.
    const unknown = (await query(
      `SELECT count(*)::BIGINT AS n, (min(rowid) + 2)::BIGINT AS firstLine, min_by(movieId, rowid) AS movieId
       FROM ratings ANTI JOIN movies USING (movieId)`,
    )) as { n: bigint; firstLine: bigint | null; movieId: number | null };
    const ratingsWithUnknownMovie = Number(unknown.n);
    // Only known-movie ratings count from here on; `known` is a view so the common case (none unknown) scans
    // the table as it is.
    if (ratingsWithUnknownMovie > 0) {
      warn(
        `${ratingsFile}: ${ratingsWithUnknownMovie} ratings name a movieId missing from movies.csv ` +
          `(first: movieId ${unknown.movieId} on line ${unknown.firstLine}); they are dropped and counted ` +
          `in manifest.json as counts.ratingsWithUnknownMovie`,
      );
      await sql.run(`CREATE TEMP VIEW known AS SELECT * FROM ratings SEMI JOIN movies USING (movieId)`);
    } else await sql.run(`CREATE TEMP VIEW known AS SELECT * FROM ratings`);
    const cutoffTimestamp = await temporalCutoff(sql, ratingsRead - ratingsWithUnknownMovie, testFraction);
    const isTest = `(timestamp >= ${cutoffTimestamp})`;
    const positive = `(rating >= ${positiveThreshold})`;

    // Per-user and per-movie counts, one aggregate each; indices by ascending id over every user in ratings.csv
    // and every movie in movies.csv.
    await sql.run(
      `CREATE TABLE user_stats AS SELECT (row_number() OVER (ORDER BY userId) - 1)::INTEGER AS userIndex, *
       FROM (SELECT userId,
         count(*) FILTER (WHERE known AND NOT ${isTest})::INTEGER AS trainRatings,
         count(*) FILTER (WHERE known AND ${isTest})::INTEGER AS testRatings,
         count(*) FILTER (WHERE known AND NOT ${isTest} AND ${positive})::INTEGER AS trainPositives,
         count(*) FILTER (WHERE known AND ${isTest} AND ${positive})::INTEGER AS testPositives
       FROM (SELECT userId, rating, timestamp, ${ratingsWithUnknownMovie > 0 ? "movieId IN (SELECT movieId FROM movies)" : "true"} AS known
             FROM ratings)
       GROUP BY userId)`,
    );
    await sql.run(
      `CREATE TABLE movie_stats AS SELECT (row_number() OVER (ORDER BY m.movieId) - 1)::INTEGER AS movieIndex,
         m.movieId, m.title, m.year, m.genres, coalesce(k.trainRatings, 0)::INTEGER AS trainRatings,
         coalesce(k.testRatings, 0)::INTEGER AS testRatings
       FROM movies m LEFT JOIN (SELECT movieId, count(*) FILTER (WHERE NOT ${isTest}) AS trainRatings,
         count(*) FILTER (WHERE ${isTest}) AS testRatings FROM known GROUP BY movieId) k USING (movieId)`,
    );
    const counts = (await query(
      `SELECT
         (SELECT sum(trainRatings) FROM user_stats)::BIGINT AS trainRatings,
         (SELECT sum(testRatings) FROM user_stats)::BIGINT AS testRatings,
         (SELECT sum(trainPositives) FROM user_stats)::BIGINT AS trainPositives,
         (SELECT sum(testPositives) FROM user_stats)::BIGINT AS testPositives,
         (SELECT count(*) FROM user_stats)::BIGINT AS users,
         (SELECT count(*) FROM movie_stats)::BIGINT AS movies,
         (SELECT count(*) FILTER (WHERE trainRatings = 0) FROM user_stats)::BIGINT AS coldUsers,
         (SELECT count(*) FILTER (WHERE testRatings > 0) FROM user_stats)::BIGINT AS testUsers,
         (SELECT count(*) FILTER (WHERE testRatings > 0 AND trainRatings > 0) FROM user_stats)::BIGINT
           AS testUsersWithTrainHistory,
         (SELECT count(*) FILTER (WHERE trainRatings = 0 AND testRatings > 0) FROM movie_stats)::BIGINT
           AS coldMovies,
         (SELECT count(*) FILTER (WHERE trainRatings = 0 AND testRatings = 0) FROM movie_stats)::BIGINT
           AS unratedMovies`,
    )) as Record<string, bigint>;
    advance();

    const manifest: DatasetManifest = {
      dataset: options.dataset,
      createdAt: new Date().toISOString(),
      inputChecksums: {},
      read: { ratings: ratingsRead, users: Number(counts.users), movies: moviesRead },
      positiveThreshold,
      testFraction,
      cutoffTimestamp,
      counts: {
        ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])),
        ratingsWithUnknownMovie,
      },
      seed: options.seed ?? DEFAULT_SEED,
      environment: runEnvironment(),
    };
    await publishDirectoryAtomic(options.outDir, async (tmp) => {
      const copy = (table: string, file: string) =>
        sql.run(`COPY ${table} TO ${sqlString(path.join(tmp, file))} (FORMAT parquet)`);
      // Sorted so the order is deterministic (DuckDB's parallel joins do not keep file order) and each user's
      // history is contiguous and chronological.
      const interactions = (condition: string) =>
        `(SELECT u.userIndex, m.movieIndex, k.rating, k.timestamp::DOUBLE AS timestamp FROM known k
          JOIN user_stats u USING (userId) JOIN movie_stats m USING (movieId) WHERE ${condition}
          ORDER BY u.userIndex, k.timestamp, m.movieIndex)`;
      await copy(interactions(`k.timestamp < ${cutoffTimestamp}`), "train.parquet");
      await copy(interactions(`k.timestamp >= ${cutoffTimestamp}`), "test.parquet");
      await copy(
        `(SELECT userIndex, userId, trainRatings, testRatings, trainRatings = 0 AS cold FROM user_stats
          ORDER BY userIndex)`,
        "users.parquet",
      );
      await copy(
        `(SELECT *, trainRatings = 0 AND testRatings > 0 AS cold FROM movie_stats ORDER BY movieIndex)`,
        "movies.parquet",
      );
      advance();
      manifest.inputChecksums = {
        "ratings.csv": await sha256File(ratingsFile),
        "movies.csv": await sha256File(moviesFile),
      };
      writeJsonAtomic(path.join(tmp, "manifest.json"), manifest);
      advance();
    });
    progress.stop();
    return manifest;
  } finally {
    db.close();
  }
}
