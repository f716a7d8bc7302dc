/**
 * Movie side features for the challenger: genres (multi-hot) and release-year buckets (one-hot, with an
 * "unknown year" bucket). Every movie has them, rated or not, so a movie with few or no ratings still gets a
 * sensible vector (the features' learned embeddings) instead of a random one.
 */
import type { Movie } from "../../data/types";

/** Bucket lower bounds (inclusive); a year below the first goes in the first bucket. */
export const YEAR_BUCKETS = [0, 1960, 1970, 1980, 1990, 1995, 2000, 2005, 2010, 2015] as const;

export interface MovieFeatures {
  /** Feature names in column order: "genre:Action", ..., "year:1990", ..., "year:unknown". */
  names: string[];
  /** nMovies x names.length, row-major, 0/1. */
  matrix: Float32Array;
}

/** The genre vocabulary of a catalogue, sorted. */
export function genreVocabulary(movies: readonly Movie[]): string[] {
  return [...new Set(movies.flatMap((movie) => movie.genres))].sort();
}

/** Index of the year bucket of `year` in YEAR_BUCKETS, or YEAR_BUCKETS.length for an unknown year. */
export function yearBucket(year: number | null): number {
  if (year === null) return YEAR_BUCKETS.length;
  let bucket = 0;
  while (bucket + 1 < YEAR_BUCKETS.length && year >= YEAR_BUCKETS[bucket + 1]) bucket++;
  return bucket;
}

/**
 * The feature matrix of a catalogue.
 *
 * @example
 * movieFeatures([{ movieIndex: 0, movieId: 1, title: "Heat (1995)", year: 1995, genres: ["Action"] }]);
 * // names ["genre:Action", "year:0", ..., "year:unknown"], matrix row [1, 0,0,0,0,0,1,0,0,0,0, 0]
 */
export function movieFeatures(
  movies: readonly Movie[],
  genres: readonly string[] = genreVocabulary(movies),
): MovieFeatures {
  const names = [
    ...genres.map((genre) => `genre:${genre}`),
    ...YEAR_BUCKETS.map((start) => `year:${start}`),
    "year:unknown",
  ];
  const width = names.length;
  const genreColumn = new Map(genres.map((genre, j) => [genre, j]));
  const matrix = new Float32Array(movies.length * width);
  movies.forEach((movie, i) => {
    for (const genre of movie.genres) {
      const column = genreColumn.get(genre);
      if (column !== undefined) matrix[i * width + column] = 1;
    }
    matrix[i * width + genres.length + yearBucket(movie.year)] = 1;
  });
  return { names, matrix };
}

/** The non-zero columns of each movie's feature row (the matrix is multi-hot: about 3 of ~30 columns are set). */
export interface ActiveFeatures {
  width: number;
  /** Movie i's columns are columns[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array;
  columns: Int32Array;
}

/** The non-zero columns of a 0/1 feature matrix. */
export function activeFeatures(features: MovieFeatures): ActiveFeatures {
  const width = features.names.length;
  const nMovies = features.matrix.length / width;
  const offsets = new Int32Array(nMovies + 1);
  const columns: number[] = [];
  for (let i = 0; i < nMovies; i++) {
    for (let k = 0; k < width; k++) if (features.matrix[i * width + k] !== 0) columns.push(k);
    offsets[i + 1] = columns.length;
  }
  return { width, offsets, columns: Int32Array.from(columns) };
}

/**
 * The feature rows of `movies` (movie indices, repeats allowed) as a dense movies.length x width 0/1 matrix,
 * written from the active columns: a batch touches ~3 entries per movie instead of fetching a whole row.
 */
export function featureRows(active: ActiveFeatures, movies: Int32Array): Float32Array {
  const { width, offsets, columns } = active;
  const out = new Float32Array(movies.length * width);
  for (let k = 0; k < movies.length; k++) {
    const movie = movies[k];
    if (movie < 0 || movie + 1 >= offsets.length)
      throw new RangeError(`movie index ${movie} outside a catalogue of ${offsets.length - 1}`);
    for (let j = offsets[movie]; j < offsets[movie + 1]; j++) out[k * width + columns[j]] = 1;
  }
  return out;
}
