import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateSyntheticMovieLens, syntheticSizes } from "../../src/data/synthetic";
import { prepareDataset } from "../../src/data/prepare";
import { loadPreparedDataset } from "../../src/data/load";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "abrec-syn-"));
}

const RATINGS = 60_000;

test("same seed, same bytes; another seed, other bytes", () => {
  const a = tempDir();
  const b = tempDir();
  const c = tempDir();
  generateSyntheticMovieLens({ ratings: 3000, seed: 7, dir: a, quiet: true });
  generateSyntheticMovieLens({ ratings: 3000, seed: 7, dir: b, quiet: true });
  generateSyntheticMovieLens({ ratings: 3000, seed: 8, dir: c, quiet: true });
  for (const name of ["ratings.csv", "movies.csv"])
    assert.deepEqual(fs.readFileSync(path.join(a, name)), fs.readFileSync(path.join(b, name)), name);
  assert.notDeepEqual(
    fs.readFileSync(path.join(a, "ratings.csv")),
    fs.readFileSync(path.join(c, "ratings.csv")),
  );
});

test("sizes follow MovieLens ratios", () => {
  // ml-latest-small: 100,836 ratings, 610 users, 9,742 movies; ml-25m: 25,000,095 ratings, 162,541 users, 62,423
  // movies (each GroupLens release's README.txt). Users within 5% (one ratio for both), movies within 0.1% (fitted).
  for (const [ratings, users, movies] of [
    [100_836, 610, 9_742],
    [25_000_095, 162_541, 62_423],
  ]) {
    const sizes = syntheticSizes(ratings);
    assert.ok(Math.abs(sizes.users / users - 1) < 0.05, `${ratings}: ${sizes.users} users`);
    assert.ok(Math.abs(sizes.movies / movies - 1) < 0.001, `${ratings}: ${sizes.movies} movies`);
  }
});

/** Pearson correlation of two equally long lists. */
function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

test("the generated files pass validation and have a MovieLens-like shape", async () => {
  const raw = tempDir();
  const sizes = generateSyntheticMovieLens({ ratings: RATINGS, seed: 1, dir: raw, quiet: true });
  const movies = fs.readFileSync(path.join(raw, "movies.csv"), "utf8");
  assert.match(
    movies,
    /\r\n\d+,"Synthetic Movie \d+, The \(\d{4}\)",/,
    "some titles are quoted and contain commas",
  );
  const outDir = path.join(tempDir(), "processed");
  const manifest = await prepareDataset({ dataset: "synthetic", rawDir: raw, outDir, quiet: true });
  assert.deepEqual(manifest.read, { ratings: RATINGS, users: sizes.users, movies: sizes.movies });
  const data = await loadPreparedDataset(outDir);
  assert.ok(data.movies.every((m) => m.year !== null && m.genres.length >= 1));

  const perUser = new Array<number>(sizes.users).fill(0);
  const perMovie = new Array<number>(sizes.movies).fill(0);
  const pairs = new Set<number>();
  let first = Infinity;
  let last = -Infinity;
  for (const part of [data.train, data.test])
    for (let i = 0; i < part.length; i++) {
      perUser[part.userIndex[i]]++;
      perMovie[part.movieIndex[i]]++;
      pairs.add(part.userIndex[i] * sizes.movies + part.movieIndex[i]);
      first = Math.min(first, part.timestamp[i]);
      last = Math.max(last, part.timestamp[i]);
    }
  assert.equal(pairs.size, RATINGS, "no user rates a movie twice");
  assert.ok(Math.min(...perUser) >= 20, "at least 20 ratings per user, as in MovieLens");
  const users = [...perUser].sort((a, b) => a - b);
  assert.ok(
    users[users.length - 1] > 5 * users[users.length >> 1],
    "skewed activity: the top user rates > 5x the median",
  );
  const moviesByCount = [...perMovie].sort((a, b) => b - a);
  const top10 = moviesByCount.slice(0, Math.ceil(sizes.movies / 10)).reduce((a, b) => a + b, 0);
  assert.ok(top10 / RATINGS > 0.4, `long tail: the top 10% of movies hold ${top10 / RATINGS} of ratings`);
  assert.ok((last - first) / (365 * 86_400) > 10, "ratings span more than ten years");
  const share = (manifest.counts.trainPositives + manifest.counts.testPositives) / RATINGS;
  assert.ok(share > 0.3 && share < 0.7, `positives ${share}`);

  // Something to learn: a movie's mean rating in train predicts its mean rating in test.
  const mean = (part: typeof data.train) => {
    const sum = new Float64Array(sizes.movies);
    const count = new Float64Array(sizes.movies);
    for (let i = 0; i < part.length; i++) {
      sum[part.movieIndex[i]] += part.rating[i];
      count[part.movieIndex[i]]++;
    }
    return { sum, count };
  };
  const train = mean(data.train);
  const test = mean(data.test);
  const x: number[] = [];
  const y: number[] = [];
  for (let m = 0; m < sizes.movies; m++)
    if (train.count[m] >= 10 && test.count[m] >= 10) {
      x.push(train.sum[m] / train.count[m]);
      y.push(test.sum[m] / test.count[m]);
    }
  assert.ok(x.length > 20, `${x.length} movies rated in both periods`);
  assert.ok(pearson(x, y) > 0.3, `train/test movie mean correlation ${pearson(x, y)}`);
});
