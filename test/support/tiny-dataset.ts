/**
 * Small seeded `PreparedDataset`s with real structure for model tests: each user prefers one genre and rates
 * mostly movies of it (highly), and a few "hit" movies are rated by many users, so popularity and taste both
 * carry signal that a model should find on held-out (later) ratings.
 */
import type { InteractionColumns, Movie, PreparedDataset } from "../../src/data/types";
import { Random } from "../../src/core/random";

export interface TinyDatasetOptions {
  nUsers?: number;
  nMovies?: number;
  ratingsPerUser?: number;
  nGenres?: number;
  seed?: number;
  /** Share of ratings (by time) in the test period. */
  testFraction?: number;
}

const GENRES = ["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi"];

export function tinyDataset(options: TinyDatasetOptions = {}): PreparedDataset {
  const nUsers = options.nUsers ?? 80;
  const nMovies = options.nMovies ?? 120;
  const ratingsPerUser = options.ratingsPerUser ?? 24;
  const nGenres = Math.min(options.nGenres ?? 4, GENRES.length);
  const testFraction = options.testFraction ?? 0.2;
  const rng = new Random(options.seed ?? 7);
  const movies: Movie[] = Array.from({ length: nMovies }, (_, i) => ({
    movieIndex: i,
    movieId: 1000 + 3 * i,
    title: `Movie ${i} (${1950 + (i % 70)})`,
    year: i % 11 === 0 ? null : 1950 + (i % 70),
    genres: [GENRES[i % nGenres]],
  }));
  const rows: { u: number; i: number; r: number; t: number }[] = [];
  const DAY = 86_400;
  for (let u = 0; u < nUsers; u++) {
    const liked = u % nGenres;
    const chosen = new Set<number>();
    while (chosen.size < ratingsPerUser) {
      const hit = rng.float() < 0.15;
      let i = hit ? rng.int(5) * nGenres + liked : rng.int(nMovies);
      if (!hit && rng.float() < 0.75) i = rng.int(Math.floor(nMovies / nGenres)) * nGenres + liked;
      chosen.add(i % nMovies);
    }
    for (const i of chosen) {
      const match = i % nGenres === liked;
      const r = match ? (rng.float() < 0.85 ? 4.5 : 3) : rng.float() < 0.2 ? 4 : 2;
      rows.push({ u, i, r, t: 1_000_000_000 + Math.floor(rng.float() * 1000) * DAY + rng.int(DAY) });
    }
  }
  rows.sort((a, b) => a.t - b.t);
  const cutoffTimestamp = rows[Math.floor(rows.length * (1 - testFraction))].t;
  const columns = (part: typeof rows): InteractionColumns => ({
    length: part.length,
    userIndex: Int32Array.from(part, (row) => row.u),
    movieIndex: Int32Array.from(part, (row) => row.i),
    rating: Float32Array.from(part, (row) => row.r),
    timestamp: Float64Array.from(part, (row) => row.t),
  });
  return {
    manifest: {
      dataset: "synthetic",
      createdAt: new Date(0).toISOString(),
      inputChecksums: { "ratings.csv": "tiny-ratings", "movies.csv": "tiny-movies" },
      read: { ratings: rows.length, users: nUsers, movies: nMovies },
      positiveThreshold: 4,
      split: "global",
      testFraction,
      cutoffTimestamp,
      counts: {},
      seed: options.seed ?? 7,
      environment: null,
    },
    userIds: Int32Array.from({ length: nUsers }, (_, u) => 10 + 2 * u),
    movies,
    train: columns(rows.filter((row) => row.t < cutoffTimestamp)),
    test: columns(rows.filter((row) => row.t >= cutoffTimestamp)),
  };
}
