import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensurePreparedDataset } from "../../src/data/ensure";
import { loadPreparedDataset } from "../../src/data/load";
import { Random } from "../../src/core/random";
import type { InteractionColumns, PreparedDataset } from "../../src/data/types";
import type { Recommendation, Recommender } from "../../src/models/recommender";
import {
  modelRelevancePatterns,
  relevancePattern,
  sampleVisitors,
  testPopulation,
  visitorSampling,
} from "../../src/simulation/population";
import { InputError } from "../../src/core/errors";

function columns(rows: [userIndex: number, movieIndex: number, rating: number][]): InteractionColumns {
  return {
    length: rows.length,
    userIndex: Int32Array.from(rows, (r) => r[0]),
    movieIndex: Int32Array.from(rows, (r) => r[1]),
    rating: Float32Array.from(rows, (r) => r[2]),
    timestamp: Float64Array.from(rows, (_, i) => 1000 + i),
  };
}

/** Users 10, 20, 30, 40 (indices 0..3); movies 100..104 (indices 0..4). */
function dataset(): PreparedDataset {
  return {
    manifest: {
      dataset: "synthetic",
      createdAt: "2026-11-28T00:00:00Z",
      inputChecksums: {},
      read: { ratings: 9, users: 4, movies: 5 },
      positiveThreshold: 4,
      split: "global",
      testFraction: 0.2,
      cutoffTimestamp: 1005,
      counts: {},
      seed: 1,
      environment: {},
    },
    userIds: Int32Array.of(10, 20, 30, 40),
    movies: [100, 101, 102, 103, 104].map((movieId, movieIndex) => ({
      movieIndex,
      movieId,
      title: `Movie ${movieId}`,
      year: null,
      genres: [],
    })),
    // User 40 (index 3) has no training ratings.
    train: columns([
      [0, 0, 5],
      [1, 1, 3],
      [2, 2, 4],
    ]),
    test: columns([
      [0, 3, 4], // user 10: relevant 103
      [0, 4, 4.5], // user 10: relevant 104
      [1, 2, 3.5], // user 20: not relevant (below 4), so user 20 is not in the population
      [2, 1, 4], // user 30: relevant 101
      [3, 0, 5], // user 40: unknown to the models (no training ratings), excluded
    ]),
  };
}

test("the test population: users with a test-period positive and training ratings, with their relevant movies", () => {
  const population = testPopulation(dataset());
  assert.deepEqual(population.userIds, [10, 30]);
  assert.deepEqual([...population.relevant.get(10)!].sort(), [103, 104]);
  assert.deepEqual([...population.relevant.get(30)!], [101]);
  assert.equal(population.positiveThreshold, 4);
  // A lower threshold lets user 20 in (3.5 >= 3).
  assert.deepEqual(testPopulation(dataset(), 3).userIds, [10, 20, 30]);
  assert.throws(() => testPopulation(dataset(), 6), InputError);
});

test("relevance patterns of a slate and of a model's slates", () => {
  const population = testPopulation(dataset());
  assert.deepEqual([...relevancePattern(population, 10, [104, 100, 103])], [1, 0, 1]);
  assert.throws(() => relevancePattern(population, 20, [100]), /not in the test population/);
  const fixed: Recommender = {
    name: "baseline",
    version: "test",
    recommend: (): Recommendation => ({ movieIds: [101, 103], scores: [2, 1], fallback: false }),
    recommendBatch(userIds, k) {
      return userIds.map((userId) => this.recommend(userId, k));
    },
  };
  const patterns = modelRelevancePatterns(population, fixed, 2);
  assert.deepEqual(
    patterns.map((p) => [...p]),
    [
      [0, 1],
      [1, 0],
    ],
  );
});

test("visitors without replacement are distinct users when the population is large enough", () => {
  const population = {
    userIds: Array.from({ length: 50 }, (_, i) => i + 1),
    relevant: new Map(),
    positiveThreshold: 4,
  };
  const drawn = sampleVisitors(population, 50, new Random(1));
  assert.equal(drawn.sampling, "without-replacement");
  assert.deepEqual(
    [...drawn.userIds].sort((a, b) => a - b),
    population.userIds,
  );
  assert.deepEqual(
    sampleVisitors(population, 20, new Random(1)).userIds,
    sampleVisitors(population, 20, new Random(1)).userIds,
  );
  assert.notDeepEqual(
    sampleVisitors(population, 20, new Random(1)).userIds,
    sampleVisitors(population, 20, new Random(2)).userIds,
  );
  assert.equal(visitorSampling(51, 50), "with-replacement");
  assert.throws(() => sampleVisitors(population, -1, new Random(1)), InputError);
});

test("visitors with replacement are uniform over the population (chi-square, 9 df, below the 0.999 quantile 27.88)", () => {
  // 0.999 quantile of chi-square with 9 degrees of freedom: 27.877 (NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
  const population = {
    userIds: Array.from({ length: 10 }, (_, i) => 100 + i),
    relevant: new Map(),
    positiveThreshold: 4,
  };
  const n = 20_000;
  const drawn = sampleVisitors(population, n, new Random(3));
  assert.equal(drawn.sampling, "with-replacement");
  const counts = new Map<number, number>();
  for (const id of drawn.userIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(counts.size, 10);
  const expected = n / 10;
  const chi2 = [...counts.values()].reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 27.88, `chi2 ${chi2}`);
});

test("on ml-latest-small (global split) the population is exactly the users with a test-period 4+ rating and an earlier rating", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-data-"));
  const { dir, rawDir } = await ensurePreparedDataset({
    dataset: "ml-latest-small",
    split: "global",
    dataDir,
    quiet: true,
  });
  const prepared = await loadPreparedDataset(dir);
  const population = testPopulation(prepared);
  // Independent count straight from ratings.csv with the manifest's cutoff.
  const cutoff = prepared.manifest.cutoffTimestamp;
  const before = new Set<number>();
  const relevant = new Map<number, Set<number>>();
  const lines = fs.readFileSync(path.join(rawDir, "ratings.csv"), "utf8").trim().split(/\r?\n/).slice(1);
  for (const line of lines) {
    const [userId, movieId, rating, timestamp] = line.split(",").map(Number);
    if (timestamp < cutoff) before.add(userId);
    else if (rating >= 4) relevant.set(userId, (relevant.get(userId) ?? new Set()).add(movieId));
  }
  const expected = [...relevant.keys()].filter((u) => before.has(u)).sort((a, b) => a - b);
  assert.deepEqual(population.userIds, expected);
  for (const userId of expected) assert.deepEqual(population.relevant.get(userId), relevant.get(userId));
  // Far fewer users than the designed 2 x 1124 visits: visitors are drawn with replacement.
  assert.equal(visitorSampling(2248, population.userIds.length), "with-replacement");
});

test("on ml-latest-small's default per-user split the population is the 592 users with training history and a test positive", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-data-"));
  const { dir } = await ensurePreparedDataset({ dataset: "ml-latest-small", dataDir, quiet: true });
  const prepared = await loadPreparedDataset(dir);
  assert.equal(prepared.manifest.split, "user-temporal");
  const population = testPopulation(prepared);
  // Independent count from the loaded periods: users with a training rating and a test rating >= 4.
  const trained = new Set(prepared.train.userIndex);
  const withPositive = new Set<number>();
  for (let i = 0; i < prepared.test.length; i++)
    if (prepared.test.rating[i] >= 4 && trained.has(prepared.test.userIndex[i]))
      withPositive.add(prepared.userIds[prepared.test.userIndex[i]]);
  assert.deepEqual(
    population.userIds,
    [...withPositive].sort((a, b) => a - b),
  );
  assert.equal(population.userIds.length, prepared.manifest.counts.testUsersWithTrainHistoryAndPositives);
  assert.equal(population.userIds.length, 592);
});
