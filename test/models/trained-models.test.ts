import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../../src/core/errors";
import type { DatasetManifest } from "../../src/data/types";
import { publishModel, readModelMetadata } from "../../src/models/artifact";
import { trainBaseline } from "../../src/models/popularity";
import { datasetMismatch, loadTrainedModels } from "../../src/models/trained-models";
import { tinyDataset } from "../support/tiny-dataset";

const record = { hyperparameters: {}, seed: null, trainingSeconds: 0, metrics: {} };

/** A models folder holding a baseline trained on tiny dataset A. */
async function modelsTrainedOnA() {
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-trained-models-"));
  const a = tinyDataset({ seed: 1 });
  a.manifest.dataset = "ml-latest-small";
  a.manifest.inputChecksums = { "ratings.csv": "ratings-of-a", "movies.csv": "movies-of-a" };
  await publishModel(modelsDir, trainBaseline(a, { windowDays: null }).parts, a.manifest, record);
  return { modelsDir, a: a.manifest };
}

const other = (manifest: DatasetManifest, change: Partial<DatasetManifest>): DatasetManifest => ({
  ...manifest,
  ...change,
});

test("a model loads for the prepared dataset it was trained on", async () => {
  const { modelsDir, a } = await modelsTrainedOnA();
  const [baseline] = await loadTrainedModels(modelsDir, ["baseline"], a);
  assert.equal(baseline.name, "baseline");
  assert.equal(baseline.recommend(10, 5).movieIds.length, 5);
});

test("models trained on dataset A are refused for dataset B, the message naming the folder and both datasets", async () => {
  const { modelsDir, a } = await modelsTrainedOnA();
  const b = other(a, {
    dataset: "synthetic",
    inputChecksums: { "ratings.csv": "ratings-of-b", "movies.csv": "movies-of-b" },
  });
  await assert.rejects(loadTrainedModels(modelsDir, ["baseline"], b), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.ok(
      error.message.startsWith(path.join(modelsDir, "baseline", "metadata.json") + ": "),
      error.message,
    );
    assert.match(
      error.message,
      /trained on ml-latest-small \(input checksum [0-9a-f]{12}.*expected synthetic/,
    );
    assert.match(error.message, /abrec train --dataset synthetic/);
    return true;
  });
});

test("the same input files prepared with another cutoff or positive threshold are another dataset", async () => {
  const { modelsDir, a } = await modelsTrainedOnA();
  assert.equal(datasetMismatch(readModelMetadata(path.join(modelsDir, "baseline")), a), null);
  const cutoff = other(a, { cutoffTimestamp: a.cutoffTimestamp + 1 });
  assert.match(
    datasetMismatch(readModelMetadata(path.join(modelsDir, "baseline")), cutoff)!,
    new RegExp(`expected .*cutoff ${a.cutoffTimestamp + 1}`),
  );
  const threshold = other(a, { positiveThreshold: 3.5 });
  await assert.rejects(
    loadTrainedModels(modelsDir, ["baseline"], threshold),
    /expected .*positive threshold 3\.5/,
  );
});

test("a model trained on the global split is refused for the user-temporal split, naming both", async () => {
  const { modelsDir, a } = await modelsTrainedOnA();
  const userTemporal = other(a, { split: "user-temporal" });
  await assert.rejects(loadTrainedModels(modelsDir, ["baseline"], userTemporal), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /trained on .*global split.*expected .*user-temporal split/);
    assert.match(error.message, /abrec train --dataset ml-latest-small --split user-temporal/);
    return true;
  });
});

test("metadata without a split (written before it was recorded) counts as global", async () => {
  const { modelsDir, a } = await modelsTrainedOnA();
  const metadata = readModelMetadata(path.join(modelsDir, "baseline"));
  delete metadata.dataset.split;
  assert.equal(datasetMismatch(metadata, a), null);
  assert.match(datasetMismatch(metadata, other(a, { split: "user-temporal" }))!, /global split/);
});

test("a folder holding another model, or no artifact, is refused naming its metadata.json", async () => {
  const { modelsDir, a } = await modelsTrainedOnA();
  fs.renameSync(path.join(modelsDir, "baseline"), path.join(modelsDir, "challenger"));
  await assert.rejects(
    loadTrainedModels(modelsDir, ["challenger"], a),
    /challenger[/\\]metadata\.json: holds the model "baseline", expected "challenger"/,
  );
  await assert.rejects(
    loadTrainedModels(modelsDir, ["baseline"], a),
    /baseline[/\\]metadata\.json: no model artifact here/,
  );
});
