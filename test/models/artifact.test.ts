import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  datasetChecksum,
  loadRecommender,
  publishModel,
  saveModelArtifact,
  type ModelMetadata,
  ARTIFACT_FORMAT,
} from "../../src/models/artifact";
import { FactorRecommender } from "../../src/models/factor-recommender";
import { knownUsers, catalogueMovieIds } from "../../src/models/known-users";
import { InputError } from "../../src/core/errors";
import { Random } from "../../src/core/random";
import { tinyDataset } from "../support/tiny-dataset";

function randomModel(): FactorRecommender {
  const dataset = tinyDataset({ nUsers: 30, nMovies: 50 });
  const known = knownUsers(dataset);
  const movieIds = catalogueMovieIds(dataset);
  const rng = new Random(11);
  const dim = 5;
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return new FactorRecommender({
    name: "challenger",
    version: "v-test",
    dim,
    userIds: known.userIds,
    movieIds,
    userFactors: fill(known.userIds.length * dim),
    itemFactors: fill(movieIds.length * dim),
    itemBias: fill(movieIds.length),
    fallbackScores: fill(movieIds.length),
    seen: known.seen,
  });
}

function metadataFor(model: FactorRecommender): ModelMetadata {
  return {
    format: ARTIFACT_FORMAT,
    name: model.name,
    version: model.version,
    createdAt: new Date().toISOString(),
    dim: model.parts.dim,
    nUsers: model.parts.userIds.length,
    nMovies: model.parts.movieIds.length,
    dataset: {
      name: "synthetic",
      checksum: "x",
      inputChecksums: {},
      cutoffTimestamp: 0,
      positiveThreshold: 4,
    },
    hyperparameters: {},
    seed: 11,
    trainingSeconds: 0,
    metrics: {},
    environment: null,
  };
}

test("save then load gives identical top-k for every user and the same fallback", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-artifact-"));
  const model = randomModel();
  const folder = await saveModelArtifact(dir, model.parts, metadataFor(model));
  assert.equal(folder, path.join(dir, "challenger"));
  const loaded = await loadRecommender(folder);
  assert.equal(loaded.version, "v-test");
  const users = [...model.parts.userIds, -1];
  assert.deepEqual(loaded.recommendBatch(users, 10), model.recommendBatch(users, 10));
  // No temporary folders are left behind.
  assert.deepEqual(fs.readdirSync(dir), ["challenger"]);
});

test("a truncated file or a missing artifact is an InputError naming the file", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-artifact-"));
  await assert.rejects(loadRecommender(path.join(dir, "nothing")), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match((error as Error).message, /metadata\.json/);
    return true;
  });
  const model = randomModel();
  const folder = await saveModelArtifact(dir, model.parts, metadataFor(model));
  fs.truncateSync(path.join(folder, "item-factors.f32"), 12);
  await assert.rejects(loadRecommender(folder), /item-factors\.f32: expected 250 values/);
});

test("publishModel versions the model, records the dataset checksum and cutoff, and loads back", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-artifact-"));
  const dataset = tinyDataset({ nUsers: 30, nMovies: 50 });
  const model = randomModel();
  const { folder, metadata } = await publishModel(dir, model.parts, dataset.manifest, {
    hyperparameters: { dim: 5 },
    seed: 11,
    trainingSeconds: 1.5,
    metrics: { validationNdcgAt10: 0.1 },
  });
  assert.match(metadata.version, /^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  assert.equal(metadata.dataset.cutoffTimestamp, dataset.manifest.cutoffTimestamp);
  assert.equal(metadata.dataset.checksum, datasetChecksum(dataset.manifest.inputChecksums));
  assert.notEqual(datasetChecksum({ "ratings.csv": "other" }), metadata.dataset.checksum);
  const loaded = await loadRecommender(folder);
  assert.equal(loaded.version, metadata.version);
  assert.deepEqual(
    loaded.recommend(model.parts.userIds[3], 5).movieIds,
    model.recommend(model.parts.userIds[3], 5).movieIds,
  );
});
