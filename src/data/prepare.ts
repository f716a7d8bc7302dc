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

    const unknown = (await query(
      `SELECT count(*)::BIGINT AS n, (min(r.rowid) + 2)::BIGINT AS firstLine, min_by(r.movieId, r.rowid) AS movieId
       FROM ratings r ANTI JOIN movies m ON r.movieId = m.movieId`,
    )) as { n: bigint; firstLine: bigint | null; movieId: number | null };
    const ratingsWithUnknownMovie = Number(unknown.n);
    if (ratingsWithUnknownMovie > 0)
      warn(
        `${ratingsFile}: ${ratingsWithUnknownMovie} ratings name a movieId missing from movies.csv ` +
          `(first: movieId ${unknown.movieId} on line ${unknown.firstLine}); they are dropped and counted ` +
          `in manifest.json as counts.ratingsWithUnknownMovie`,
      );

    // Users are indexed over all of ratings.csv, movies over all of movies.csv, both by ascending id.
    await sql.run(
      `CREATE TABLE user_index AS SELECT (row_number() OVER (ORDER BY userId) - 1)::INTEGER AS userIndex, userId
       FROM (SELECT DISTINCT userId FROM ratings)`,
    );
    await sql.run(
      `CREATE TABLE movie_index AS SELECT (row_number() OVER (ORDER BY movieId) - 1)::INTEGER AS movieIndex, *
       FROM movies`,
    );
    const cutoffTimestamp = await temporalCutoff(sql, ratingsRead - ratingsWithUnknownMovie, testFraction);
    // One pass over ratings: indices joined in (small build sides), the period decided by the cutoff.
    await sql.run(
      `CREATE TABLE indexed AS SELECT u.userIndex, m.movieIndex, r.rating, r.timestamp::DOUBLE AS timestamp,
         r.timestamp >= ${cutoffTimestamp} AS isTest
       FROM ratings r JOIN user_index u ON r.userId = u.userId JOIN movie_index m ON r.movieId = m.movieId
       ORDER BY u.userIndex, r.timestamp, m.movieIndex`,
    );
    await sql.run(`DROP TABLE ratings`);
    await sql.run(
      `CREATE TABLE user_stats AS SELECT u.userIndex, u.userId,
         count(i.userIndex) FILTER (WHERE NOT i.isTest)::INTEGER AS trainRatings,
         count(i.userIndex) FILTER (WHERE i.isTest)::INTEGER AS testRatings
       FROM user_index u LEFT JOIN indexed i ON u.userIndex = i.userIndex GROUP BY ALL ORDER BY u.userIndex`,
    );
    await sql.run(
      `CREATE TABLE movie_stats AS SELECT m.movieIndex, m.movieId, m.title, m.year, m.genres,
         count(i.movieIndex) FILTER (WHERE NOT i.isTest)::INTEGER AS trainRatings,
         count(i.movieIndex) FILTER (WHERE i.isTest)::INTEGER AS testRatings
       FROM movie_index m LEFT JOIN indexed i ON m.movieIndex = i.movieIndex GROUP BY ALL ORDER BY m.movieIndex`,
    );
    const counts = (await query(
      `SELECT
         (SELECT count(*) FILTER (WHERE NOT isTest) FROM indexed)::BIGINT AS trainRatings,
         (SELECT count(*) FILTER (WHERE isTest) FROM indexed)::BIGINT AS testRatings,
         (SELECT count(*) FILTER (WHERE NOT isTest AND rating >= ${positiveThreshold}) FROM indexed)::BIGINT
           AS trainPositives,
         (SELECT count(*) FILTER (WHERE isTest AND rating >= ${positiveThreshold}) FROM indexed)::BIGINT
           AS testPositives,
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
      await copy(`(SELECT userIndex, movieIndex, rating, timestamp FROM indexed WHERE NOT isTest)`, "train.parquet");
      await copy(`(SELECT userIndex, movieIndex, rating, timestamp FROM indexed WHERE isTest)`, "test.parquet");
      await copy(
        `(SELECT *, trainRatings = 0 AS cold FROM user_stats ORDER BY userIndex)`,
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
