import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Random } from "../../../src/core/random";
import { aliasTable, negativeSampler } from "../../../src/models/challenger/negative-sampler";
import { trainChallenger } from "../../../src/models/challenger/train";
import { evaluateRecommender } from "../../../src/evaluation/evaluate";
import { chiSquareUpperTail } from "../../../src/stats/distributions";
import { randomRecommender } from "../../support/random-recommender";
import { tinyDataset } from "../../support/tiny-dataset";

/** Pearson's goodness-of-fit statistic of `observed` draws against probabilities ∝ `weights`. */
function chiSquare(observed: ArrayLike<number>, weights: ArrayLike<number>, draws: number): number {
  let total = 0;
  for (let j = 0; j < weights.length; j++) total += weights[j];
  let statistic = 0;
  for (let j = 0; j < weights.length; j++) {
    const expected = (draws * weights[j]) / total;
    statistic += (observed[j] - expected) ** 2 / expected;
  }
  return statistic;
}

test("draws follow (positives + 1)^α: Pearson's chi-square goodness of fit over 200,000 seeded draws", () => {
  // A long-tailed catalogue as in MovieLens: a few movies with many positives, most with none or few.
  const counts = Int32Array.from({ length: 300 }, (_, j) => Math.floor(2000 / (j + 1) ** 1.2) - 1);
  for (const exponent of [0.5, 0.75, 1, 2]) {
    const draw = negativeSampler(new Random(11), counts, exponent);
    const draws = 200_000;
    const observed = new Float64Array(counts.length);
    for (let d = 0; d < draws; d++) observed[draw()]++;
    const weights = Array.from(counts, (n) => (n + 1) ** exponent);
    const statistic = chiSquare(observed, weights, draws);
    // Under the target distribution the statistic is chi-square with 299 degrees of freedom (mean 299).
    const p = chiSquareUpperTail(statistic, counts.length - 1);
    assert.ok(p > 0.001, `α ${exponent}: chi-square ${statistic.toFixed(1)}, p ${p}`);
    // And it is not the uniform distribution: the most popular movie is drawn far more than 1/300 of the time.
    if (exponent >= 0.5) assert.ok(observed[0] / draws > 5 / counts.length, `α ${exponent}`);
  }
});

test("the alias table reproduces its weights exactly and never draws a zero weight", () => {
  const weights = Float64Array.from([0, 1, 2, 3, 0, 10]);
  const { probability, alias } = aliasTable(weights);
  // P(j) = (probability[j] + Σ_{k: alias[k] = j} (1 − probability[k])) / n  (Vose 1991, section III).
  const n = weights.length;
  const implied = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    implied[k] += probability[k] / n;
    implied[alias[k]] += (1 - probability[k]) / n;
  }
  weights.forEach((w, j) => assert.ok(Math.abs(implied[j] - w / 16) < 1e-12, `movie ${j}: ${implied[j]}`));
  assert.throws(() => aliasTable(new Float64Array(3)), /positive sum/);
});

test("α 0 consumes exactly the uniform draws training always made, so the same seed trains the same model", () => {
  const draw = negativeSampler(new Random(5), new Int32Array(97).fill(3), 0);
  const reference = new Random(5);
  for (let d = 0; d < 1000; d++) assert.equal(draw(), reference.int(97));
  assert.throws(() => negativeSampler(new Random(5), [1], -1), /field "negativeSamplingExponent"/);
});

test("popularity-shaped negatives take popularity out of the movie biases and still beat a random ranking on held-out data", async () => {
  const dataset = tinyDataset({ nUsers: 120, nMovies: 100, ratingsPerUser: 25 });
  const hp = { dim: 8, maxEpochs: 12, batchSize: 256, learningRate: 0.05, negatives: 2, popularityWeight: 0 };
  const positives = new Float64Array(dataset.movies.length);
  for (let row = 0; row < dataset.train.length; row++)
    if (dataset.train.rating[row] >= 4) positives[dataset.train.movieIndex[row]]++;
  const byPositives = Array.from(positives.keys()).sort((a, b) => positives[b] - positives[a]);
  /** Mean learned bias of the 10 movies with most positives minus that of the others. */
  const popularBiasGap = (bias: Float32Array) => {
    const mean = (movies: number[]) => movies.reduce((sum, i) => sum + bias[i], 0) / movies.length;
    return mean(byPositives.slice(0, 10)) - mean(byPositives.slice(10));
  };
  const uniform = await trainChallenger(
    dataset,
    { ...hp, negativeSamplingExponent: 0 },
    { quiet: true, seed: 3 },
  );
  const shaped = await trainChallenger(
    dataset,
    { ...hp, negativeSamplingExponent: 1 },
    { quiet: true, seed: 3 },
  );
  // Uniform negatives let the bias learn popularity (a gap of about 0.35 here); negatives drawn ∝ positives + 1
  // make a popular movie a negative as often as a positive, so most of the gap goes.
  const gaps = [popularBiasGap(uniform.model.parts.itemBias), popularBiasGap(shaped.model.parts.itemBias)];
  assert.ok(gaps[0] > 0.2 && gaps[1] < gaps[0] / 2, `bias gaps uniform ${gaps[0]}, α 1 ${gaps[1]}`);
  const shapedMetrics = evaluateRecommender(shaped.model, dataset, { resamples: 200 });
  const random = evaluateRecommender(
    randomRecommender(
      dataset.movies.map((m) => m.movieId),
      1,
    ),
    dataset,
    { resamples: 200 },
  );
  assert.ok(
    shapedMetrics.metrics.ndcg.lower > random.metrics.ndcg.estimate,
    JSON.stringify(shapedMetrics.metrics.ndcg),
  );
});
