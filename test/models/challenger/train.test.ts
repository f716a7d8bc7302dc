import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { trainChallenger } from "../../../src/models/challenger/train";
import { loadRecommender, publishModel } from "../../../src/models/artifact";
import { evaluateRecommender } from "../../../src/evaluation/evaluate";
import { randomRecommender } from "../../support/random-recommender";
import { tinyDataset } from "../../support/tiny-dataset";

const dataset = tinyDataset({ nUsers: 120, nMovies: 100, ratingsPerUser: 25 });
const small = { dim: 8, maxEpochs: 12, batchSize: 256, learningRate: 0.05, negatives: 2 };

test("training lowers the BPR loss, beats a random ranking on held-out data, and is seeded", async () => {
  const first = await trainChallenger(dataset, small, { quiet: true, seed: 3 });
  const losses = first.history.map((record) => record.loss);
  assert.equal(losses.length, small.maxEpochs);
  assert.ok(losses[losses.length - 1] < 0.7 * losses[0], `loss ${losses.join(", ")}`);
  const challenger = evaluateRecommender(first.model, dataset, { resamples: 200 });
  const random = evaluateRecommender(
    randomRecommender(
      dataset.movies.map((m) => m.movieId),
      1,
    ),
    dataset,
    {
      resamples: 200,
    },
  );
  // Held-out (test-period) positives: the lower 95% bound must clear random's mean.
  assert.ok(
    challenger.metrics.ndcg.lower > random.metrics.ndcg.estimate,
    JSON.stringify(challenger.metrics.ndcg),
  );
  // Same seed, same model bytes; another seed, another model.
  const bytes = (parts: typeof first.model.parts) =>
    [parts.userFactors, parts.itemFactors, parts.itemBias].map((a) =>
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    );
  const again = await trainChallenger(dataset, small, { quiet: true, seed: 3 });
  assert.deepEqual(bytes(again.model.parts), bytes(first.model.parts));
  assert.deepEqual(
    again.history.map((r) => r.loss),
    losses,
  );
  const other = await trainChallenger(dataset, { ...small, maxEpochs: 1 }, { quiet: true, seed: 4 });
  assert.notDeepEqual(bytes(other.model.parts)[0], bytes(first.model.parts)[0]);
});

test("early stopping keeps the best validated epoch; the model excludes seen movies, falls back, and round-trips", async () => {
  let calls = 0;
  // A validator that peaks at epoch 2 then declines: training must stop after `patience` more epochs.
  const training = await trainChallenger(
    dataset,
    { ...small, maxEpochs: 10, patience: 2 },
    { quiet: true, validate: () => [0.1, 0.3, 0.2, 0.1, 0.05][calls++] ?? 0 },
  );
  assert.equal(training.bestEpoch, 2);
  assert.equal(training.history.length, 4);
  assert.equal(training.bestValidation, 0.3);

  const model = training.model;
  const seen = new Map<number, Set<number>>();
  for (let row = 0; row < dataset.train.length; row++) {
    const user = dataset.userIds[dataset.train.userIndex[row]];
    if (!seen.has(user)) seen.set(user, new Set());
    seen.get(user)!.add(dataset.movies[dataset.train.movieIndex[row]].movieId);
  }
  for (const [user, movies] of seen) {
    const rec = model.recommend(user, 15);
    assert.equal(rec.fallback, false);
    for (const id of rec.movieIds) assert.ok(!movies.has(id));
  }
  assert.equal(model.recommend(999_999, 5).fallback, true);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-challenger-"));
  const { folder } = await publishModel(dir, model.parts, dataset.manifest, {
    hyperparameters: { ...training.hyperparameters },
    seed: training.seed,
    trainingSeconds: training.trainingSeconds,
    metrics: {},
  });
  const loaded = await loadRecommender(folder);
  const users = [...seen.keys(), 999_999];
  assert.deepEqual(
    loaded.recommendBatch(users, 10).map((r) => r.movieIds),
    model.recommendBatch(users, 10).map((r) => r.movieIds),
  );
});

test("movies nobody rated score by their side features: a user's liked genre ranks first among them", async () => {
  // Remove every rating of the last 20 movies: they are cold, known only by genre and year.
  const coldFrom = 80;
  const train = dataset.train;
  const keep: number[] = [];
  for (let row = 0; row < train.length; row++) if (train.movieIndex[row] < coldFrom) keep.push(row);
  const cold = {
    ...dataset,
    train: {
      length: keep.length,
      userIndex: Int32Array.from(keep, (row) => train.userIndex[row]),
      movieIndex: Int32Array.from(keep, (row) => train.movieIndex[row]),
      rating: Float32Array.from(keep, (row) => train.rating[row]),
      timestamp: Float64Array.from(keep, (row) => train.timestamp[row]),
    },
  };
  const { parts } = (await trainChallenger(cold, small, { quiet: true, seed: 5 })).model;
  const score = (row: number, i: number) => {
    let s = parts.itemBias[i];
    for (let f = 0; f < parts.dim; f++)
      s += parts.userFactors[row * parts.dim + f] * parts.itemFactors[i * parts.dim + f];
    return s;
  };
  let agree = 0;
  for (let row = 0; row < parts.userIds.length; row++) {
    const userIndex = (parts.userIds[row] - 10) / 2;
    const likedGenre = dataset.movies[userIndex % 4].genres[0];
    const liked: number[] = [];
    const other: number[] = [];
    for (let i = coldFrom; i < dataset.movies.length; i++)
      (dataset.movies[i].genres[0] === likedGenre ? liked : other).push(score(row, i));
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    if (mean(liked) > mean(other)) agree++;
  }
  // tinyDataset: user u prefers genre u % 4 (movie m has genre m % 4) and userId = 10 + 2u.
  assert.ok(agree / parts.userIds.length > 0.8, `${agree} of ${parts.userIds.length}`);
});

test("under the user-temporal split the challenger adds all-time popularity only: a window is refused", async () => {
  const global = tinyDataset();
  const perUser = { ...global, manifest: { ...global.manifest, split: "user-temporal" as const } };
  await assert.rejects(
    trainChallenger(perUser, { popularityWindowDays: 365, maxEpochs: 1 }, { quiet: true }),
    /field "popularityWindowDays": expected null \(all history\) under the user-temporal split/,
  );
});
