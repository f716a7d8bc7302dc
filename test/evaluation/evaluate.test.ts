import { test } from "node:test";
import * as assert from "node:assert/strict";
import { evaluateRecommender, evaluationUsers, relativeLift } from "../../src/evaluation/evaluate";
import { trainBaseline } from "../../src/models/popularity";
import { randomRecommender } from "../support/random-recommender";
import { tinyDataset } from "../support/tiny-dataset";

test("evaluation users have positives in both periods; relevant movies are test positives", () => {
  const dataset = tinyDataset();
  const users = evaluationUsers(dataset);
  assert.ok(users.userIds.length > 20);
  const allIds = new Set(dataset.movies.map((m) => m.movieId));
  for (const relevant of users.relevant) {
    assert.ok(relevant.size > 0);
    for (const id of relevant) assert.ok(allIds.has(id));
  }
});

test("popularity beats a random ranking on held-out data; intervals bracket the means; lift is paired", () => {
  const dataset = tinyDataset({ nUsers: 150 });
  const baseline = evaluateRecommender(trainBaseline(dataset, { windowDays: null }), dataset, {
    resamples: 300,
  });
  const random = evaluateRecommender(
    randomRecommender(
      dataset.movies.map((m) => m.movieId),
      3,
    ),
    dataset,
    { resamples: 300 },
  );
  assert.equal(baseline.nUsers, random.nUsers);
  assert.ok(baseline.metrics.ndcg.estimate > random.metrics.ndcg.estimate);
  assert.ok(baseline.metrics.hitRate.estimate > random.metrics.hitRate.estimate);
  for (const interval of Object.values(baseline.metrics))
    assert.ok(interval.lower <= interval.estimate && interval.estimate <= interval.upper);
  // Popularity recommends fewer distinct movies and less novel ones than random.
  assert.ok(baseline.metrics.coverage.estimate < random.metrics.coverage.estimate);
  assert.ok(baseline.metrics.novelty.estimate < random.metrics.novelty.estimate);
  const self = relativeLift(baseline, baseline, "ndcg", { resamples: 100 });
  assert.deepEqual(self, { estimate: 0, lower: 0, upper: 0 });
});
