/**
 * Exploratory summaries of a prepared dataset (both periods together unless said otherwise) as plain records, and
 * Vega-Lite spec builders for them, for notebook 01 and reports. Everything is computed from the typed columns of
 * `PreparedDataset` in one pass each; nothing here reads files.
 */
import type { FigureSpec } from "../core/figures";
import type { InteractionColumns, PreparedDataset } from "./types";

/** Calls `visit(row)` for each rating of both periods, train first. */
function eachRating(data: PreparedDataset, visit: (part: InteractionColumns, i: number) => void): void {
  for (const part of [data.train, data.test]) for (let i = 0; i < part.length; i++) visit(part, i);
}

export interface DatasetSizes {
  ratings: number;
  users: number;
  movies: number;
  /** ratings / (users * movies). */
  density: number;
  firstRating: string;
  lastRating: string;
  meanRating: number;
  /** Share of ratings >= the manifest's positive threshold. */
  positiveShare: number;
}

/** Sizes, time range, mean rating and share of positives. */
export function datasetSizes(data: PreparedDataset): DatasetSizes {
  let sum = 0;
  let positives = 0;
  let first = Infinity;
  let last = -Infinity;
  const threshold = data.manifest.positiveThreshold;
  eachRating(data, (part, i) => {
    const r = part.rating[i];
    sum += r;
    if (r >= threshold) positives++;
    first = Math.min(first, part.timestamp[i]);
    last = Math.max(last, part.timestamp[i]);
  });
  const ratings = data.train.length + data.test.length;
  return {
    ratings,
    users: data.userIds.length,
    movies: data.movies.length,
    density: ratings / (data.userIds.length * data.movies.length),
    firstRating: new Date(first * 1000).toISOString().slice(0, 10),
    lastRating: new Date(last * 1000).toISOString().slice(0, 10),
    meanRating: sum / ratings,
    positiveShare: positives / ratings,
  };
}

/** How many ratings each value (0.5 .. 5) got, and whether it counts as positive. */
export function ratingDistribution(
  data: PreparedDataset,
): { rating: number; count: number; share: number; positive: boolean }[] {
  const counts = new Array<number>(11).fill(0);
  eachRating(data, (part, i) => counts[Math.round(part.rating[i] * 2)]++);
  const total = data.train.length + data.test.length;
  return counts
    .map((count, twice) => ({
      rating: twice / 2,
      count,
      share: count / total,
      positive: twice / 2 >= data.manifest.positiveThreshold,
    }))
    .filter((row) => row.rating >= 0.5);
}

/** Ratings per movie index (both periods). */
export function ratingsPerMovie(data: PreparedDataset): Int32Array {
  const counts = new Int32Array(data.movies.length);
  eachRating(data, (part, i) => counts[part.movieIndex[i]]++);
  return counts;
}

/** Ratings per user index (both periods). */
export function ratingsPerUser(data: PreparedDataset): Int32Array {
  const counts = new Int32Array(data.userIds.length);
  eachRating(data, (part, i) => counts[part.userIndex[i]]++);
  return counts;
}

/** The long tail: movies ranked by number of ratings, with the cumulative share of ratings they hold. */
export function popularityCurve(
  data: PreparedDataset,
): { rank: number; ratings: number; cumulativeShare: number }[] {
  const counts = Array.from(ratingsPerMovie(data)).sort((a, b) => b - a);
  const total = data.train.length + data.test.length;
  let cumulative = 0;
  return counts.map((ratings, i) => ({
    rank: i + 1,
    ratings,
    cumulativeShare: (cumulative += ratings) / total,
  }));
}

export interface TailSummary {
  /** Share of all ratings held by the most-rated 1% and 10% of movies. */
  top1PercentShare: number;
  top10PercentShare: number;
  /** Movies with no rating / fewer than 5 ratings. */
  unrated: number;
  fewerThan5: number;
}

/** Headline numbers of the long tail. */
export function tailSummary(data: PreparedDataset): TailSummary {
  const curve = popularityCurve(data);
  const at = (fraction: number) => curve[Math.max(0, Math.ceil(curve.length * fraction) - 1)].cumulativeShare;
  return {
    top1PercentShare: at(0.01),
    top10PercentShare: at(0.1),
    unrated: curve.filter((m) => m.ratings === 0).length,
    fewerThan5: curve.filter((m) => m.ratings < 5).length,
  };
}

/** Quantiles of a list of counts (nearest rank). */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Ratings per user: min, median, 90th percentile, max, mean. */
export function activitySummary(data: PreparedDataset): {
  min: number;
  median: number;
  p90: number;
  max: number;
  mean: number;
} {
  const counts = Array.from(ratingsPerUser(data)).sort((a, b) => a - b);
  return {
    min: counts[0],
    median: quantile(counts, 0.5),
    p90: quantile(counts, 0.9),
    max: counts[counts.length - 1],
    mean: counts.reduce((a, b) => a + b, 0) / counts.length,
  };
}

/** Users by number of ratings, in logarithmic bins (20-39, 40-79, ...), for a histogram. */
export function activityHistogram(data: PreparedDataset): { from: number; to: number; users: number }[] {
  const counts = ratingsPerUser(data);
  const bins = new Map<number, number>();
  for (const c of counts) {
    const bin = c <= 0 ? 0 : Math.floor(Math.log2(c));
    bins.set(bin, (bins.get(bin) ?? 0) + 1);
  }
  return [...bins.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([bin, users]) => ({ from: 2 ** bin, to: 2 ** (bin + 1) - 1, users }));
}

/** Ratings per calendar year (UTC) and period. */
export function ratingsPerYear(
  data: PreparedDataset,
): { year: number; period: "train" | "test"; ratings: number }[] {
  const counts = new Map<string, number>();
  for (const [period, part] of [
    ["train", data.train],
    ["test", data.test],
  ] as const)
    for (let i = 0; i < part.length; i++) {
      const key = `${new Date(part.timestamp[i] * 1000).getUTCFullYear()}|${period}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  return [...counts.entries()]
    .map(([key, ratings]) => {
      const [year, period] = key.split("|");
      return { year: Number(year), period: period as "train" | "test", ratings };
    })
    .sort((a, b) => a.year - b.year || Number(a.period === "test") - Number(b.period === "test"));
}

/** Per genre: movies listing it and ratings those movies got (a movie with 3 genres counts for each). */
export function genreCounts(data: PreparedDataset): { genre: string; movies: number; ratings: number }[] {
  const perMovie = ratingsPerMovie(data);
  const rows = new Map<string, { genre: string; movies: number; ratings: number }>();
  for (const movie of data.movies)
    for (const genre of movie.genres.length > 0 ? movie.genres : ["(no genres listed)"]) {
      const row = rows.get(genre) ?? { genre, movies: 0, ratings: 0 };
      row.movies++;
      row.ratings += perMovie[movie.movieIndex];
      rows.set(genre, row);
    }
  return [...rows.values()].sort((a, b) => b.ratings - a.ratings || a.genre.localeCompare(b.genre));
}

/** What the temporal split produced, per period: ratings, positives, distinct users and movies. */
export function splitSummary(data: PreparedDataset): {
  period: "train" | "test";
  ratings: number;
  positives: number;
  users: number;
  movies: number;
  from: string;
  to: string;
}[] {
  const threshold = data.manifest.positiveThreshold;
  return (
    [
      ["train", data.train],
      ["test", data.test],
    ] as const
  ).map(([period, part]) => {
    const users = new Set<number>();
    const movies = new Set<number>();
    let positives = 0;
    let from = Infinity;
    let to = -Infinity;
    for (let i = 0; i < part.length; i++) {
      users.add(part.userIndex[i]);
      movies.add(part.movieIndex[i]);
      if (part.rating[i] >= threshold) positives++;
      from = Math.min(from, part.timestamp[i]);
      to = Math.max(to, part.timestamp[i]);
    }
    const day = (t: number) => (Number.isFinite(t) ? new Date(t * 1000).toISOString().slice(0, 10) : "");
    return {
      period,
      ratings: part.length,
      positives,
      users: users.size,
      movies: movies.size,
      from: day(from),
      to: day(to),
    };
  });
}

/** Bar chart of the rating distribution, positives highlighted. */
export function ratingDistributionSpec(rows: ReturnType<typeof ratingDistribution>): FigureSpec {
  return {
    title: "Rating distribution",
    width: 360,
    height: 200,
    data: { values: rows },
    mark: "bar",
    encoding: {
      x: { field: "rating", type: "ordinal", title: "rating" },
      y: { field: "count", type: "quantitative", title: "ratings" },
      color: { field: "positive", type: "nominal", title: "positive" },
    },
  };
}

/** The long tail: ratings per movie against popularity rank, both axes logarithmic. */
export function popularitySpec(rows: ReturnType<typeof popularityCurve>): FigureSpec {
  return {
    title: "Long tail of movie popularity",
    width: 360,
    height: 220,
    data: { values: rows.filter((row) => row.ratings > 0) },
    mark: "line",
    encoding: {
      x: { field: "rank", type: "quantitative", scale: { type: "log" }, title: "movie rank by ratings" },
      y: { field: "ratings", type: "quantitative", scale: { type: "log" }, title: "ratings" },
    },
  };
}

/** Histogram of ratings per user in logarithmic bins. */
export function activitySpec(rows: ReturnType<typeof activityHistogram>): FigureSpec {
  return {
    title: "Ratings per user",
    width: 360,
    height: 200,
    data: { values: rows.map((row) => ({ ...row, bin: `${row.from}-${row.to}` })) },
    mark: "bar",
    encoding: {
      x: { field: "bin", type: "ordinal", sort: { field: "from" }, title: "ratings per user" },
      y: { field: "users", type: "quantitative", title: "users" },
    },
  };
}

/** Ratings per year, coloured by period (train before the cutoff, test after). */
export function ratingsOverTimeSpec(rows: ReturnType<typeof ratingsPerYear>): FigureSpec {
  return {
    title: "Ratings over time and the temporal split",
    width: 420,
    height: 200,
    data: { values: rows },
    mark: "bar",
    encoding: {
      x: { field: "year", type: "ordinal", title: "year" },
      y: { field: "ratings", type: "quantitative", stack: "zero", title: "ratings" },
      color: { field: "period", type: "nominal", title: "period", sort: ["train", "test"] },
    },
  };
}

/** Horizontal bars: ratings per genre. */
export function genreSpec(rows: ReturnType<typeof genreCounts>): FigureSpec {
  return {
    title: "Ratings by genre",
    width: 320,
    height: 320,
    data: { values: rows },
    mark: "bar",
    encoding: {
      y: { field: "genre", type: "nominal", sort: "-x", title: null },
      x: { field: "ratings", type: "quantitative", title: "ratings of movies in the genre" },
    },
  };
}
