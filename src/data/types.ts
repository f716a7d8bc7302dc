/**
 * The records the data layer hands to every layer above it. MovieLens ids (`userId`, `movieId`) are what users,
 * the website and the event store see; dense indices (`userIndex` 0..nUsers-1, `movieIndex` 0..nMovies-1) are what
 * models compute with. `PreparedDataset` is what `abrec data` writes under data/processed/<dataset>/ and what
 * `loadPreparedDataset` reads back.
 */

/** The datasets the project knows; `synthetic` is generated locally in MovieLens format. */
export type DatasetName = "ml-latest-small" | "ml-25m" | "synthetic";

/**
 * How the ratings are divided into training and test: `global`, one cutoff time for everyone (the last
 * `testFraction` of all ratings by time are test); `user-temporal`, each user's own last `testFraction` of ratings
 * by time are test (src/data/prepare.ts states the rounding and tie rules).
 */
export type SplitName = "user-temporal" | "global";

/** One row of ratings.csv. */
export interface Rating {
  userId: number;
  movieId: number;
  /** 0.5 .. 5.0 in half steps. */
  rating: number;
  /** Unix seconds. */
  timestamp: number;
}

/** One row of movies.csv, with the year parsed out of the title ("Heat (1995)") and genres split on "|". */
export interface Movie {
  movieIndex: number;
  movieId: number;
  title: string;
  /** Release year from the title, or null when the title has none. */
  year: number | null;
  /** Empty for "(no genres listed)". */
  genres: string[];
}

/** Interactions column-wise, one entry per rating, for fast model code (25M rows at ml-25m scale). */
export interface InteractionColumns {
  length: number;
  userIndex: Int32Array;
  movieIndex: Int32Array;
  rating: Float32Array;
  /** Unix seconds. */
  timestamp: Float64Array;
}

/** What preprocessing decided and counted; written as manifest.json beside the processed files. */
export interface DatasetManifest {
  dataset: DatasetName;
  createdAt: string;
  /** SHA-256 of each input file, by file name. */
  inputChecksums: Record<string, string>;
  /** Rows read from the inputs (ml-latest-small: 100,836 ratings, 610 users, 9,742 movies). */
  read: { ratings: number; users: number; movies: number };
  /** A rating >= this is positive implicit feedback. */
  positiveThreshold: number;
  split: SplitName;
  /** Share of interactions (by time) in the test period: of all ratings (`global`) or of each user's. */
  testFraction: number;
  /**
   * Unix seconds; every training interaction is before it. `global`: the cutoff, every test interaction is at or
   * after it. `user-temporal`: one second after the latest training interaction (each user's test period starts
   * after their own last training rating, and many users' tests lie before this time).
   */
  cutoffTimestamp: number;
  /**
   * Row counts of what was written, and how cold users and movies were treated; `testUsersWithTrainHistory` and
   * `testUsersWithTrainHistoryAndPositives` (the users offline evaluation can score) among them.
   */
  counts: Record<string, number>;
  seed: number;
  environment: unknown;
  /**
   * Version of the files' layout under data/processed/<dataset>/ (`PREPARED_LAYOUT_VERSION` in src/data/load.ts);
   * a folder from another version is prepared again. Absent in folders written before it existed.
   */
  layoutVersion?: number;
}

/**
 * A preprocessed dataset. Users and movies are indexed over the whole dataset (every user in ratings.csv, every
 * movie in movies.csv), so indices mean the same thing in both periods; `train` holds every rating before the
 * cutoff and `test` every rating from the cutoff on (not only positives: consumers apply `positiveThreshold`).
 */
export interface PreparedDataset {
  manifest: DatasetManifest;
  /** userIds[userIndex] = MovieLens userId. */
  userIds: Int32Array;
  /** movies[movieIndex]. */
  movies: Movie[];
  train: InteractionColumns;
  test: InteractionColumns;
}
