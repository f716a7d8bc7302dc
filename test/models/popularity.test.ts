import { test } from "node:test";
import * as assert from "node:assert/strict";
import { popularityScores, SECONDS_PER_DAY, trainBaseline } from "../../src/models/popularity";
import type { InteractionColumns } from "../../src/data/types";
import { BASELINE_WINDOWS, baselineWindows } from "../../src/evaluation/model-selection";
import { tinyDataset } from "../support/tiny-dataset";

const day = SECONDS_PER_DAY;
// movie 0: two old positives; movie 1: one recent positive; movie 2: one recent negative; one rating after cutoff.
const columns: InteractionColumns = {
  length: 5,
  userIndex: Int32Array.from([0, 1, 2, 0, 1]),
  movieIndex: Int32Array.from([0, 0, 1, 2, 1]),
  rating: Float32Array.from([5, 4, 4, 2, 5]),
  timestamp: Float64Array.from([0, day, 99 * day, 99 * day, 100 * day]),
};

test("all-time popularity counts positives before the end; the tie-break term stays below 1", () => {
  const scores = popularityScores(columns, 3, {
    windowDays: null,
    endTimestamp: 100 * day,
    positiveThreshold: 4,
  });
  // all = [2, 1, 0], max 2: score = all + all/3
  assert.ok(Math.abs(scores[0] - (2 + 2 / 3)) < 1e-6);
  assert.ok(Math.abs(scores[1] - (1 + 1 / 3)) < 1e-6);
  assert.equal(scores[2], 0);
});

test("a 7-day window ranks the recent movie first, the all-time favourite still breaks ties", () => {
  const scores = popularityScores(columns, 3, {
    windowDays: 7,
    endTimestamp: 100 * day,
    positiveThreshold: 4,
  });
  assert.ok(scores[1] > scores[0]);
  assert.ok(Math.abs(scores[0] - 2 / 3) < 1e-6);
});

test("the baseline never recommends a seen movie and unknown users get the popularity fallback", () => {
  const dataset = tinyDataset();
  const model = trainBaseline(dataset, { windowDays: null });
  const seenByFirst = new Set<number>();
  for (let row = 0; row < dataset.train.length; row++)
    if (dataset.train.userIndex[row] === 0)
      seenByFirst.add(dataset.movies[dataset.train.movieIndex[row]].movieId);
  const rec = model.recommend(dataset.userIds[0], 20);
  assert.equal(rec.fallback, false);
  assert.equal(rec.movieIds.length, 20);
  for (const id of rec.movieIds) assert.ok(!seenByFirst.has(id), `recommended seen movie ${id}`);
  const unknown = model.recommend(-5, 10);
  assert.equal(unknown.fallback, true);
  assert.equal(unknown.movieIds.length, 10);
  for (let j = 1; j < unknown.scores.length; j++) assert.ok(unknown.scores[j - 1] >= unknown.scores[j]);
  assert.deepEqual(model.recommendBatch([dataset.userIds[0], -5], 20), [rec, model.recommend(-5, 20)]);
});

test("under the user-temporal split the baseline counts all history: a recent window is refused, not guessed", () => {
  const global = tinyDataset();
  const perUser = { ...global, manifest: { ...global.manifest, split: "user-temporal" as const } };
  assert.throws(
    () => trainBaseline(perUser, { windowDays: 30 }),
    /field "windowDays": expected null \(all history\) under the user-temporal split/,
  );
  const allTime = trainBaseline(perUser, { windowDays: null });
  assert.deepEqual(allTime.parts.itemBias, trainBaseline(global, { windowDays: null }).parts.itemBias);
  assert.deepEqual(baselineWindows(perUser), [null]);
  assert.deepEqual(baselineWindows(global), BASELINE_WINDOWS);
});
