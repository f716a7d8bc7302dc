/**
 * Synthetic MovieLens-format data (ratings.csv, movies.csv with CRLF line ends, as GroupLens writes them), seeded
 * and deterministic, for offline use and the 25M-row benchmark. The shape follows MovieLens:
 *
 * - sizes: about 1 user per 160 ratings; movies grow sublinearly through ml-latest-small's and ml-25m's counts;
 * - movie popularity is Zipf-like (weight 1 / rank^0.9 over a random ranking): a long tail;
 * - user activity is skewed: at least 20 ratings each (as in MovieLens), the rest shared in proportion to a
 *   log-normal weight (sigma 1.2);
 * - each user is active over a log-normal span (median ~60 days) starting between 1996 and 2019;
 * - movies have 1-3 of MovieLens' 19 genres and a release year in the title ("Title (1999)"); about 1 title in
 *   20 contains a comma and is quoted, as in movies.csv;
 * - a latent taste model drives both what a user rates and how: user and movie vectors u, v (8 dimensions,
 *   standard normal), affinity a = u.v / sqrt(8) + movie quality; a movie drawn by popularity is rated with
 *   probability sigmoid(2a), and its rating is round-to-half-step(3.25 + 0.9a + user bias + N(0, 0.5)) clamped
 *   to 0.5..5. So "rated >= 4" is predictable from history: models have something to learn.
 *
 * Ratings are written streaming (users in order, each user's movies by id, as in ratings.csv), so 25M rows need
 * only the per-user state in memory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { csvRow } from "../core/csv";
import { InputError } from "../core/errors";
import { createProgress } from "../core/progress";
import { Random } from "../core/random";

/** MovieLens' genre vocabulary (ml-25m README). */
export const MOVIELENS_GENRES = [
  "Action",
  "Adventure",
  "Animation",
  "Children",
  "Comedy",
  "Crime",
  "Documentary",
  "Drama",
  "Fantasy",
  "Film-Noir",
  "Horror",
  "Musical",
  "Mystery",
  "Romance",
  "Sci-Fi",
  "Thriller",
  "War",
  "Western",
  "IMAX",
] as const;

/** Relative genre frequencies, roughly as in ml-25m's movies.csv (Drama and Comedy most common). */
const GENRE_WEIGHTS = [8, 5, 3, 3, 16, 6, 4, 20, 3, 1, 6, 2, 3, 8, 4, 9, 2, 1, 1];

export interface SyntheticOptions {
  /** Number of ratings to generate (exactly). */
  ratings: number;
  seed: number;
  /** Folder to write ratings.csv and movies.csv into (created). */
  dir: string;
  quiet?: boolean;
}

export interface SyntheticSizes {
  users: number;
  movies: number;
}

const LATENT_DIMENSIONS = 8;
const MIN_RATINGS_PER_USER = 20;
const FIRST_START = Date.UTC(1996, 0, 1) / 1000;
const LAST_END = Date.UTC(2019, 10, 1) / 1000;
const DAY = 86_400;

/**
 * Users and movies for a given number of ratings. Users: 1 per 160 ratings (ml-latest-small 165, ml-25m 154).
 * Movies grow sublinearly, as in MovieLens: movies = c * ratings^a through the two GroupLens points
 * (100,836 ratings, 9,742 movies) and (25,000,095 ratings, 62,423 movies).
 *
 * @example
 * syntheticSizes(100_836); // => { users: 630, movies: 9742 }
 */
export function syntheticSizes(ratings: number): SyntheticSizes {
  const exponent = Math.log(62_423 / 9_742) / Math.log(25_000_095 / 100_836);
  const movies = Math.max(100, Math.round(9_742 * Math.pow(ratings / 100_836, exponent)));
  const users = Math.max(1, Math.min(Math.round(ratings / 160), Math.floor(ratings / MIN_RATINGS_PER_USER)));
  return { users, movies };
}

/** Buffered CRLF line writer on a file descriptor. */
class LineWriter {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  line(text: string): void {
    this.parts.push(text);
    this.size += text.length + 2;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    fs.writeSync(this.fd, this.parts.join("\r\n") + "\r\n");
    this.parts = [];
    this.size = 0;
  }
}

/** Index of the first cumulative weight > u * total (binary search). */
function drawCumulative(cumulative: Float64Array, u: number): number {
  const target = u * cumulative[cumulative.length - 1];
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function normals(rng: Random, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Ratings per user: >= 20 each (fewer only if the total cannot allow it), skewed, summing to `total`. */
function userActivity(rng: Random, users: number, movies: number, total: number): Int32Array {
  const cap = Math.max(1, Math.floor(movies * 0.6));
  if (total > users * cap)
    throw new InputError(`cannot place ${total} ratings: ${users} users x ${cap} movies each at most`, {
      field: "ratings",
    });
  const minimum = Math.min(MIN_RATINGS_PER_USER, Math.floor(total / users), cap);
  const counts = new Int32Array(users).fill(minimum);
  const weights = new Float64Array(users);
  let weightSum = 0;
  for (let u = 0; u < users; u++) weightSum += weights[u] = Math.exp(1.2 * rng.normal());
  let remaining = total - minimum * users;
  for (let u = 0; u < users && remaining > 0; u++) {
    const extra = Math.min(cap - counts[u], Math.floor(((total - minimum * users) * weights[u]) / weightSum));
    counts[u] += Math.min(extra, remaining);
    remaining -= Math.min(extra, remaining);
  }
  // Rounding leftovers (and anything capped) go one by one to users with room, in a seeded order.
  while (remaining > 0) {
    const u = rng.int(users);
    if (counts[u] < cap) {
      counts[u]++;
      remaining--;
    }
  }
  return counts;
}

function writeMovies(
  file: string,
  rng: Random,
  movies: number,
): { cumulativePopularity: Float64Array; vectors: Float64Array; quality: Float64Array } {
  const fd = fs.openSync(file, "w");
  const out = new LineWriter(fd);
  const genreCumulative = new Float64Array(GENRE_WEIGHTS.length);
  GENRE_WEIGHTS.reduce((sum, w, i) => (genreCumulative[i] = sum + w), 0);
  out.line("movieId,title,genres");
  for (let m = 0; m < movies; m++) {
    const movieId = movieIdOf(m);
    // Years lean recent, as in MovieLens.
    const year = 2019 - Math.floor(100 * Math.pow(rng.float(), 2.2));
    const genreCount = 1 + rng.int(3);
    const genres = new Set<string>();
    for (let g = 0; g < genreCount; g++)
      genres.add(MOVIELENS_GENRES[drawCumulative(genreCumulative, rng.float())]);
    const base = `Synthetic Movie ${movieId}`;
    const title = rng.bernoulli(0.05) ? `${base}, The (${year})` : `${base} (${year})`;
    out.line(csvRow([movieId, title, [...genres].join("|")]));
  }
  out.flush();
  fs.closeSync(fd);
  // Popularity: Zipf weight over a random ranking of the movies.
  const rank = rng.shuffle(Array.from({ length: movies }, (_, i) => i));
  const cumulativePopularity = new Float64Array(movies);
  let sum = 0;
  for (let m = 0; m < movies; m++) cumulativePopularity[m] = sum += 1 / Math.pow(rank[m] + 1, 0.9);
  return {
    cumulativePopularity,
    vectors: normals(rng, movies * LATENT_DIMENSIONS),
    quality: normals(rng, movies).map((q) => 0.5 * q),
  };
}

/** The movieId of movie number m: ids grow with gaps, as MovieLens ids do. */
function movieIdOf(m: number): number {
  return m + 1 + Math.floor(m / 10) * 3;
}

/**
 * Writes `<dir>/movies.csv` and `<dir>/ratings.csv` (see the module comment for the model). Same options, same
 * bytes. Returns the sizes used.
 */
export function generateSyntheticMovieLens(options: SyntheticOptions): SyntheticSizes {
  if (!Number.isInteger(options.ratings) || options.ratings < 1)
    throw new InputError(`expected a positive integer number of ratings, got ${options.ratings}`, {
      field: "ratings",
    });
  const sizes = syntheticSizes(options.ratings);
  const root = new Random(options.seed);
  const movieRng = root.fork();
  const activityRng = root.fork();
  const ratingRng = root.fork();
  fs.mkdirSync(options.dir, { recursive: true });
  const movie = writeMovies(path.join(options.dir, "movies.csv"), movieRng, sizes.movies);
  const counts = userActivity(activityRng, sizes.users, sizes.movies, options.ratings);

  const progress = createProgress({
    label: "synthetic ratings",
    total: options.ratings,
    unit: "ratings",
    quiet: options.quiet,
  });
  const fd = fs.openSync(path.join(options.dir, "ratings.csv"), "w");
  const out = new LineWriter(fd);
  out.line("userId,movieId,rating,timestamp");
  const userVector = new Float64Array(LATENT_DIMENSIONS);
  const scale = 1 / Math.sqrt(LATENT_DIMENSIONS);
  const seen = new Set<number>();
  let written = 0;
  for (let u = 0; u < sizes.users; u++) {
    const n = counts[u];
    for (let d = 0; d < LATENT_DIMENSIONS; d++) userVector[d] = ratingRng.normal();
    const bias = 0.4 * ratingRng.normal();
    const start = FIRST_START + ratingRng.float() * (LAST_END - FIRST_START - DAY);
    const span = Math.min(LAST_END - start, DAY * Math.exp(4 + 1.8 * ratingRng.normal()));
    seen.clear();
    const rows: { m: number; rating: number; timestamp: number }[] = [];
    let attempts = 0;
    while (rows.length < n) {
      attempts++;
      // After many rejections (a heavy user who has rated most of the head), draw uniformly instead.
      const m =
        attempts < 50 * n
          ? drawCumulative(movie.cumulativePopularity, ratingRng.float())
          : ratingRng.int(sizes.movies);
      if (seen.has(m)) continue;
      let dot = 0;
      for (let d = 0; d < LATENT_DIMENSIONS; d++)
        dot += userVector[d] * movie.vectors[m * LATENT_DIMENSIONS + d];
      const affinity = dot * scale + movie.quality[m];
      if (attempts < 50 * n && ratingRng.float() >= 1 / (1 + Math.exp(-2 * affinity))) continue;
      seen.add(m);
      const raw = 3.25 + 0.9 * affinity + bias + 0.5 * ratingRng.normal();
      const rating = Math.min(5, Math.max(0.5, Math.round(raw * 2) / 2));
      rows.push({ m, rating, timestamp: Math.floor(start + ratingRng.float() * span) });
    }
    rows.sort((a, b) => a.m - b.m);
    const userId = u + 1;
    for (const row of rows)
      out.line(`${userId},${movieIdOf(row.m)},${row.rating.toFixed(1)},${row.timestamp}`);
    written += n;
    if ((u & 1023) === 0) progress.update(written);
  }
  out.flush();
  fs.closeSync(fd);
  progress.update(written);
  progress.stop();
  return sizes;
}
