/**
 * Preprocessing of a MovieLens dataset with DuckDB, parsing ratings.csv once and never sorting it:
 *
 * 1. ratings.csv and movies.csv are parsed and validated (./movielens) into in-memory tables.
 * 2. Ratings whose movie is missing from movies.csv are dropped with a warning and counted in the manifest
 *    (`ratingsWithUnknownMovie`); none exist in the GroupLens releases.
 * 3. The temporal split (`split`, `DatasetManifest.split`):
 *    - `global`: `cutoffTimestamp` is the timestamp that leaves the last `testFraction` of ratings (in time) in the
 *      test period: every rating at or after it is a test rating. One cutoff for everyone mimics deployment: a
 *      model trained on the past is judged on what happened next, with no future leaking into training. But most
 *      MovieLens users rate all their movies within a few days, so few users have ratings on both sides.
 *    - `user-temporal`: each user's own last ratings by time are test (`userTestCount`): every user with enough
 *      ratings is evaluated, at the price of a leak (other users' later ratings are in training; Ji et al., TOIS
 *      2023). Ties in time are broken by movieId (the larger movieId counts as later), then by file order, so the
 *      split is deterministic. What Microsoft Recommenders' `python_chrono_split` and LensKit's `LastFrac` do.
 *      `cutoffTimestamp` is then one second after the latest training rating.
 * 4. Dense indices over the whole dataset: users by ascending userId (every user in ratings.csv), movies by
 *    ascending movieId (every movie in movies.csv), so an index means the same in train and test. Users or movies
 *    first seen after the cutoff keep their index and are marked `cold` in users/movies.parquet.
 * 5. Outputs, published atomically under `<outDir>`: train.parquet and test.parquet (userId, movieId, rating,
 *    timestamp of every rating in the period, in ratings.csv order: consumers apply `positiveThreshold`),
 *    users.parquet and movies.parquet (the index: position -> id, with counts and the cold flag) and manifest.json
 *    (`DatasetManifest`). `loadPreparedDataset` maps ids to indices while loading.
 *
 * Speed and memory (bench/data.ts): joining indices into 25M rows and sorting them (for a deterministic order after
 * a parallel join) doubled the time and memory of the whole run; filters and projections keep file order in DuckDB,
 * so the interactions are written straight from the parsed table and the id -> index lookup is an O(n) typed-array
 * pass at load time. Per-user and per-movie counts come from one GROUPING SETS aggregate, the cutoff from a per-day
 * histogram (no 25M-value quantile buffer), and the input checksums are computed while DuckDB works. The
 * user-temporal split cannot avoid one sort: a window ranks each user's ratings by time (user, time, movie, file
 * row; only those four narrow columns). The test rows' file row numbers are set as the bits of one bitstring
 * (an aggregate, no second sort) and a projection of the parsed table reads each row's bit, so the outputs keep file
 * order under both splits. Sorting the ranked rows back by file row instead took 2.5 GiB at 25M ratings
 * (docs/benchmarks.md).
 */
import * as path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { publishDirectoryAtomic, sha256File, writeJsonAtomic } from "../core/files";
import { InputError } from "../core/errors";
import { createProgress } from "../core/progress";
import { DEFAULT_SEED } from "../core/random";
import { runEnvironment } from "../core/run-record";
import { openDatabase, sqlString } from "./duckdb";
import { PREPARED_LAYOUT_VERSION } from "./load";
import { loadMoviesTable, loadRatingsTable } from "./movielens";
import type { DatasetManifest, DatasetName, SplitName } from "./types";

/** Default share of interactions (the most recent ones) in the test period. */
export const DEFAULT_TEST_FRACTION = 0.2;
/** Default rating from which a rating counts as positive implicit feedback. */
export const DEFAULT_POSITIVE_THRESHOLD = 4;
export const SPLIT_NAMES: readonly SplitName[] = ["user-temporal", "global"];
/**
 * The split each dataset is prepared with unless one is asked for, chosen by how many users each leaves with history
 * on both sides (docs/data.md, "Choosing the split"): on ml-latest-small one global cutoff leaves 28 such users
 * (most users rate all their movies within a few days), the per-user split 592. ml-25m and large synthetic sets keep
 * thousands of users across a global cutoff, so they get the split without leakage: the global one.
 */
export const DEFAULT_SPLITS: Readonly<Record<DatasetName, SplitName>> = {
  "ml-latest-small": "user-temporal",
  "ml-25m": "global",
  synthetic: "global",
};

/**
 * Under the user-temporal split, how many of a user's `n` ratings are test: round(n * fraction), halves rounded
 * up, at most n - 1 so that every user keeps a training rating (a user with 1 rating is all training).
 *
 * Rounding to nearest keeps the overall test share close to `fraction` (floor would leave every user with fewer
 * than 1 / fraction ratings out of the test, and ceil would take a test rating from every user with 2). It is
 * LensKit's `LastFrac` rule (`n = round(len(items) * frac)`, lenskit/splitting/holdout.py) except that Python's
 * round sends halves to even, and LastFrac at n = 0 keeps everything (`iloc[-0:]`); Microsoft Recommenders'
 * `python_chrono_split` keeps the ratings of rank <= (1 - fraction) * n in training, so a user with 1 rating is
 * all test there. The SQL in `rankWithinUsers` computes the same expression in doubles.
 *
 * @example
 * userTestCount(10, 0.2); // => 2
 * userTestCount(3, 0.2); // => 1 (0.6 rounds up)
 * userTestCount(2, 0.2); // => 0 (0.4 rounds down)
 * userTestCount(1, 0.5); // => 0 (0.5 rounds up to 1, capped at n - 1)
 */
export function userTestCount(n: number, fraction: number): number {
  return Math.max(0, Math.min(n - 1, Math.floor(n * fraction + 0.5)));
}

export interface PrepareOptions {
  dataset: DatasetName;
  /** Folder holding ratings.csv and movies.csv. */
  rawDir: string;
  /** Folder to (re)create with the outputs, e.g. data/processed/<dataset>. */
  outDir: string;
  positiveThreshold?: number;
  testFraction?: number;
  /** Default DEFAULT_SPLITS[dataset]. */
  split?: SplitName;
  /** Recorded in the manifest (the seed that generated synthetic data; preprocessing itself draws nothing). */
  seed?: number;
  /** DuckDB worker threads (default: all cores). */
  threads?: number;
  quiet?: boolean;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
}

const DAY_SECONDS = 86_400;

/**
 * The global cutoff over the ratings in `source`: the k-th smallest timestamp (0-based) with
 * k = n - round(n * testFraction), so the test period (timestamp >= cutoff) holds the last round(n * testFraction)
 * ratings plus any that share the cutoff second. Found in two cheap scans: a per-day histogram locates the day of
 * the k-th rating, then quantile_disc over that day alone picks it (DuckDB's quantile_disc(x, q) is the element at
 * 0-based index ceil(m * q) - 1, so q = (j + 0.5) / m selects index j without floating-point edge cases).
 */
async function temporalCutoff(
  sql: DuckDBConnection,
  source: string,
  n: number,
  testFraction: number,
): Promise<number> {
  const k = n - Math.round(n * testFraction);
  if (k <= 0 || k >= n)
    throw new InputError(`${n} ratings are too few to keep ${testFraction} of them for the test period`, {
      field: "testFraction",
    });
  const days = (
    await sql.runAndReadAll(
      `SELECT (timestamp // ${DAY_SECONDS})::INTEGER AS day, count(*)::INTEGER AS n FROM ${source}
       GROUP BY day ORDER BY day`,
    )
  ).getRows() as [number, number][];
  let before = 0;
  for (const [day, count] of days) {
    if (before + count > k) {
      const q = (k - before + 0.5) / count;
      const reader = await sql.runAndReadAll(
        `SELECT quantile_disc(timestamp, ${q})::INTEGER FROM ${source}
         WHERE timestamp >= ${day * DAY_SECONDS} AND timestamp < ${(day + 1) * DAY_SECONDS}`,
      );
      return Number(reader.getRows()[0][0]);
    }
    before += count;
  }
  throw new Error(`cutoff not found: ${n} ratings expected, ${before} counted`);
}

/**
 * Per-user and per-movie train/test counts (and positives) of `source` in one GROUPING SETS aggregate, as the
 * tables user_counts(userId, ...) and movie_counts(movieId, ...). `isTest` is the SQL condition of a test row.
 */
async function countByUserAndMovie(
  sql: DuckDBConnection,
  source: string,
  isTest: string,
  threshold: number,
): Promise<void> {
  await sql.run(
    `CREATE OR REPLACE TEMP TABLE counts AS SELECT userId, movieId,
       count(*) FILTER (WHERE NOT (${isTest}))::INTEGER AS trainRatings,
       count(*) FILTER (WHERE ${isTest})::INTEGER AS testRatings,
       count(*) FILTER (WHERE NOT (${isTest}) AND rating >= ${threshold})::INTEGER AS trainPositives,
       count(*) FILTER (WHERE ${isTest} AND rating >= ${threshold})::INTEGER AS testPositives,
       min(rowid) AS firstRow
     FROM ${source} GROUP BY GROUPING SETS ((userId), (movieId))`,
  );
  await sql.run(`CREATE OR REPLACE TEMP TABLE user_counts AS SELECT * EXCLUDE (movieId) FROM counts
                 WHERE movieId IS NULL`);
  await sql.run(`CREATE OR REPLACE TEMP TABLE movie_counts AS SELECT * EXCLUDE (userId) FROM counts
                 WHERE userId IS NULL`);
}

/**
 * The user-temporal split of `source` (`n` rows) as the table `ranked` (its rows in file order, with `isTest`): a
 * user's last `userTestCount(n, testFraction)` ratings by (timestamp, movieId, file row) are test. A window ranks
 * the rows by user and time; the test rows' row numbers become the set bits of one bitstring, and a projection of
 * `source` reads each row's bit, so no second sort puts the rows back in file order.
 */
async function rankWithinUsers(
  sql: DuckDBConnection,
  source: string,
  n: number,
  testFraction: number,
): Promise<void> {
  await sql.run(
    `SET VARIABLE userTestRows = (SELECT bitstring_agg(fileRow, 0, ${n - 1}) FROM (
       SELECT fileRow FROM (SELECT userId, timestamp, movieId, rowid::INTEGER AS fileRow FROM ${source})
       WINDOW byTime AS (PARTITION BY userId ORDER BY timestamp, movieId, fileRow
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
       QUALIFY row_number() OVER byTime > count(*) OVER byTime - greatest(0, least(count(*) OVER byTime - 1,
         floor(count(*) OVER byTime * ${testFraction}::DOUBLE + 0.5)))))`,
  );
  // The bitstring is NULL when no row is test: then every row is training.
  await sql.run(
    `CREATE OR REPLACE TABLE ranked AS SELECT userId, movieId, rating, timestamp,
       coalesce(get_bit(getvariable('userTestRows'), rowid::INTEGER) = 1, false) AS isTest
     FROM ${source}`,
  );
}

/**
 * Splits `source` as `split` says. Returns the table to read the interactions from, the SQL condition of a test
 * row and the manifest's `cutoffTimestamp`.
 */
async function splitInteractions(
  sql: DuckDBConnection,
  source: string,
  n: number,
  split: SplitName,
  testFraction: number,
): Promise<{ source: string; isTest: string; cutoffTimestamp: number }> {
  if (split === "global") {
    const cutoffTimestamp = await temporalCutoff(sql, source, n, testFraction);
    return { source, isTest: `timestamp >= ${cutoffTimestamp}`, cutoffTimestamp };
  }
  await rankWithinUsers(sql, source, n, testFraction);
  await sql.run(`DROP TABLE ${source}`); // `ranked` holds every column: free the memory (25M rows)
  const row = (
    await sql.runAndReadAll(
      `SELECT count(*) FILTER (WHERE isTest)::INTEGER, (max(timestamp) FILTER (WHERE NOT isTest) + 1)::INTEGER
       FROM ranked`,
    )
  ).getRows()[0] as [number, number | null];
  if (row[0] === 0)
    throw new InputError(
      `no user has enough ratings to keep ${testFraction} of them for the test period (a user with n ratings ` +
        `has round(n * ${testFraction}) test ratings, at most n - 1)`,
      { field: "testFraction" },
    );
  return { source: "ranked", isTest: "isTest", cutoffTimestamp: Number(row[1]) };
}

/** Checks an option value, naming the option in the error. */
function checkOption(field: string, value: number, ok: boolean, expected: string): void {
  if (!ok) throw new InputError(`expected ${expected}, got ${value}`, { field });
}

/**
 * Reads, validates, splits and indexes `<rawDir>/ratings.csv` and `movies.csv`; writes `<outDir>` atomically.
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
  const split = options.split ?? DEFAULT_SPLITS[options.dataset];
  if (!SPLIT_NAMES.includes(split))
    throw new InputError(`expected one of ${SPLIT_NAMES.join(", ")}, got "${String(split)}"`, {
      field: "split",
    });
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

  const steps = ["validate movies", "validate ratings", "split and index", "write outputs"];
  const progress = createProgress({
    label: `prepare ${options.dataset}`,
    total: steps.length,
    unit: "steps",
    quiet: options.quiet,
  });
  let step = 0;
  const advance = () => progress.update(++step, { next: steps[step] ?? "done" });

  const db = await openDatabase({ threads: options.threads });
  let checksums: Promise<Record<string, string>> | undefined;
  try {
    const sql = db.connection;
    const query = async (text: string) => (await sql.runAndReadAll(text)).getRowObjectsJS()[0];
    progress.update(0, { next: steps[0] });
    const moviesRead = await loadMoviesTable(sql, moviesFile);
    advance();
    const ratingsRead = await loadRatingsTable(sql, ratingsFile);
    // Both files exist and parsed: hash them on the main thread while DuckDB's threads do the rest.
    checksums = Promise.all([sha256File(ratingsFile), sha256File(moviesFile)]).then(([ratings, movies]) => ({
      "ratings.csv": ratings,
      "movies.csv": movies,
    }));
    checksums.catch(() => undefined);
    advance();

    // First assume every movieId is in movies.csv (true of the GroupLens releases); the per-movie counts show it.
    let period = await splitInteractions(sql, "ratings", ratingsRead, split, testFraction);
    await countByUserAndMovie(sql, period.source, period.isTest, positiveThreshold);
    const unknown = (await query(
      `SELECT coalesce(sum(trainRatings + testRatings), 0)::BIGINT AS n, (min(firstRow) + 2)::BIGINT AS firstLine,
         min_by(movieId, firstRow) AS movieId
       FROM movie_counts ANTI JOIN movies USING (movieId)`,
    )) as { n: bigint; firstLine: bigint | null; movieId: number | null };
    const ratingsWithUnknownMovie = Number(unknown.n);
    // Users keep their index even if all their ratings are dropped: the index covers all of ratings.csv.
    await sql.run(`CREATE TEMP TABLE all_users AS SELECT userId FROM user_counts`);
    if (ratingsWithUnknownMovie > 0) {
      warn(
        `${ratingsFile}: ${ratingsWithUnknownMovie} ratings name a movieId missing from movies.csv ` +
          `(first: movieId ${unknown.movieId} on line ${unknown.firstLine}); they are dropped and counted ` +
          `in manifest.json as counts.ratingsWithUnknownMovie`,
      );
      // The kept ratings, still in file order (the ORDER BY makes the join's output order deterministic).
      await sql.run(`CREATE TABLE known AS SELECT r.userId, r.movieId, r.rating, r.timestamp FROM ${period.source} r
                     WHERE r.movieId IN (SELECT movieId FROM movies) ORDER BY r.rowid`);
      await sql.run(`DROP TABLE ${period.source}`);
      period = await splitInteractions(
        sql,
        "known",
        ratingsRead - ratingsWithUnknownMovie,
        split,
        testFraction,
      );
      await countByUserAndMovie(sql, period.source, period.isTest, positiveThreshold);
    }
    const { cutoffTimestamp } = period;
    await sql.run(
      `CREATE TABLE user_stats AS SELECT (row_number() OVER (ORDER BY userId) - 1)::INTEGER AS userIndex, userId,
         coalesce(trainRatings, 0) AS trainRatings, coalesce(testRatings, 0) AS testRatings,
         coalesce(trainPositives, 0) AS trainPositives, coalesce(testPositives, 0) AS testPositives
       FROM all_users LEFT JOIN user_counts USING (userId)`,
    );
    await sql.run(
      `CREATE TABLE movie_stats AS SELECT (row_number() OVER (ORDER BY m.movieId) - 1)::INTEGER AS movieIndex,
         m.movieId, m.title, m.year, m.genres, coalesce(c.trainRatings, 0)::INTEGER AS trainRatings,
         coalesce(c.testRatings, 0)::INTEGER AS testRatings
       FROM movies m LEFT JOIN movie_counts c USING (movieId)`,
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
         (SELECT count(*) FILTER (WHERE testPositives > 0 AND trainRatings > 0) FROM user_stats)::BIGINT
           AS testUsersWithTrainHistoryAndPositives,
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
      split,
      testFraction,
      cutoffTimestamp,
      counts: {
        ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])),
        ratingsWithUnknownMovie,
      },
      seed: options.seed ?? DEFAULT_SEED,
      environment: runEnvironment(),
      layoutVersion: PREPARED_LAYOUT_VERSION,
    };
    await publishDirectoryAtomic(options.outDir, async (tmp) => {
      const copy = (table: string, file: string) =>
        sql.run(`COPY ${table} TO ${sqlString(path.join(tmp, file))} (FORMAT parquet)`);
      // A filter and a projection of the parsed table: DuckDB keeps insertion order, so rows are in file order.
      const rows = (condition: string) =>
        `(SELECT userId, movieId, rating, timestamp FROM ${period.source} WHERE ${condition})`;
      await copy(rows(`NOT (${period.isTest})`), "train.parquet");
      await copy(rows(period.isTest), "test.parquet");
      await copy(
        `(SELECT userIndex, userId, trainRatings, testRatings, trainRatings = 0 AS cold FROM user_stats
          ORDER BY userIndex)`,
        "users.parquet",
      );
      await copy(
        `(SELECT *, trainRatings = 0 AND testRatings > 0 AS cold FROM movie_stats ORDER BY movieIndex)`,
        "movies.parquet",
      );
      manifest.inputChecksums = await checksums!;
      writeJsonAtomic(path.join(tmp, "manifest.json"), manifest);
      advance();
    });
    progress.stop();
    return manifest;
  } finally {
    db.close();
  }
}
