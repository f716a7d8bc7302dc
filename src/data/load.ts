/**
 * Reads a dataset written by `prepareDataset` back into memory: manifest, user ids, movies, and the train and
 * test interactions as typed columns. The interaction columns are filled by streaming DuckDB chunks straight into
 * arrays preallocated from the manifest's row counts (no per-row objects: 25M rows at ml-25m scale); the Parquet
 * files hold MovieLens ids, mapped to dense indices here with a lookup table built from users/movies.parquet.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../core/errors";
import { openDatabase, sqlString, streamIntoTypedArrays } from "./duckdb";
import type { Database } from "./duckdb";
import type { DatasetManifest, InteractionColumns, Movie, PreparedDataset } from "./types";

/**
 * The layout of a processed dataset folder. 2: train/test.parquet hold MovieLens ids in ratings.csv order (1 held
 * dense indices sorted by user and time).
 */
export const PREPARED_LAYOUT_VERSION = 2;

/** The files `prepareDataset` writes into a processed dataset folder. */
export const PREPARED_FILES = [
  "manifest.json",
  "train.parquet",
  "test.parquet",
  "users.parquet",
  "movies.parquet",
] as const;

/**
 * id -> dense index for ids listed in index order (ids[index] = id): a typed array indexed by id when the ids are
 * small (MovieLens ids are < 300,000), else a Map.
 */
export function idToIndex(ids: Int32Array): (id: number) => number {
  let max = 0;
  for (const id of ids) max = Math.max(max, id);
  if (max <= 64 * ids.length + 1_000_000) {
    const table = new Int32Array(max + 1).fill(-1);
    ids.forEach((id, index) => (table[id] = index));
    return (id) => (id >= 0 && id <= max ? table[id] : -1);
  }
  const map = new Map<number, number>();
  ids.forEach((id, index) => map.set(id, index));
  return (id) => map.get(id) ?? -1;
}

/** Replaces each id in `column` by its index, in place; an id missing from the index is a corrupt dataset. */
function mapIdsInPlace(
  column: Int32Array,
  lookup: (id: number) => number,
  file: string,
  field: string,
): void {
  for (let i = 0; i < column.length; i++) {
    const index = lookup(column[i]);
    if (index < 0)
      throw new InputError(`${field} ${column[i]} (row ${i + 1}) is not in the index: rerun \`abrec data\``, {
        file,
      });
    column[i] = index;
  }
}

async function readInteractions(
  db: Database,
  file: string,
  length: number,
  userIndexOf: (id: number) => number,
  movieIndexOf: (id: number) => number,
): Promise<InteractionColumns> {
  const columns: InteractionColumns = {
    length,
    userIndex: new Int32Array(length),
    movieIndex: new Int32Array(length),
    rating: new Float32Array(length),
    timestamp: new Float64Array(length),
  };
  const read = await streamIntoTypedArrays(
    db.connection,
    `SELECT userId::INTEGER, movieId::INTEGER, rating::FLOAT, timestamp::DOUBLE FROM read_parquet(${sqlString(file)})`,
    [columns.userIndex, columns.movieIndex, columns.rating, columns.timestamp],
  );
  if (read !== length)
    throw new InputError(`expected ${length} rows (manifest.json), found ${read}: rerun \`abrec data\``, {
      file,
    });
  mapIdsInPlace(columns.userIndex, userIndexOf, file, "userId");
  mapIdsInPlace(columns.movieIndex, movieIndexOf, file, "movieId");
  return columns;
}

/** Reads `<dir>/manifest.json` of a prepared dataset alone (what checking a model against it needs). */
export function readPreparedManifest(dir: string): DatasetManifest {
  const file = path.join(dir, "manifest.json");
  if (!fs.existsSync(file))
    throw new InputError(`missing; expected a dataset prepared by \`abrec data\``, { file });
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as DatasetManifest;
  if (manifest.layoutVersion !== PREPARED_LAYOUT_VERSION)
    throw new InputError(
      `layout version ${manifest.layoutVersion ?? 1}, expected ${PREPARED_LAYOUT_VERSION}: prepared by an older ` +
        `version of the project; rerun \`abrec data --force\``,
      { file },
    );
  return manifest;
}

/**
 * Loads `<dir>` (e.g. data/processed/ml-latest-small) as a `PreparedDataset`.
 *
 * @throws InputError when a file is missing or disagrees with manifest.json.
 * @example
 * const data = await loadPreparedDataset("data/processed/ml-latest-small");
 * data.train.length + data.test.length; // => 100836
 */
export async function loadPreparedDataset(dir: string): Promise<PreparedDataset> {
  for (const name of PREPARED_FILES) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file))
      throw new InputError(`missing; expected a dataset prepared by \`abrec data\``, { file });
  }
  const manifest = readPreparedManifest(dir);
  const db = await openDatabase();
  try {
    const users = (
      await db.connection.runAndReadAll(
        `SELECT userId FROM read_parquet(${sqlString(path.join(dir, "users.parquet"))}) ORDER BY userIndex`,
      )
    ).getColumnsJS()[0] as number[];
    const userIds = Int32Array.from(users);
    const movieRows = (
      await db.connection.runAndReadAll(
        `SELECT movieIndex, movieId, title, year, genres
         FROM read_parquet(${sqlString(path.join(dir, "movies.parquet"))}) ORDER BY movieIndex`,
      )
    ).getRowObjectsJS() as {
      movieIndex: number;
      movieId: number;
      title: string;
      year: number | null;
      genres: string;
    }[];
    const movies: Movie[] = movieRows.map((row) => ({
      movieIndex: row.movieIndex,
      movieId: row.movieId,
      title: row.title,
      year: row.year,
      genres: parseGenres(row.genres),
    }));
    const userIndexOf = idToIndex(userIds);
    const movieIndexOf = idToIndex(Int32Array.from(movies, (movie) => movie.movieId));
    const read = (name: string, length: number) =>
      readInteractions(db, path.join(dir, name), length, userIndexOf, movieIndexOf);
    const train = await read("train.parquet", manifest.counts.trainRatings);
    const test = await read("test.parquet", manifest.counts.testRatings);
    return { manifest, userIds, movies, train, test };
  } finally {
    db.close();
  }
}

/**
 * MovieLens genres ("Adventure|Animation") as a list; "(no genres listed)" and "" give [].
 *
 * @example
 * parseGenres("Adventure|Animation"); // => ["Adventure", "Animation"]
 */
export function parseGenres(genres: string): string[] {
  if (genres === "" || genres === "(no genres listed)") return [];
  return genres.split("|");
}
