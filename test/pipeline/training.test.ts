import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readModelMetadata } from "../../src/models/artifact";
import { ensureTrainedModels, trainModels, TRAINING_RECORD_FILE } from "../../src/pipeline/training";
import { tinyDataset } from "../support/tiny-dataset";

const dataset = tinyDataset({ nUsers: 120, ratingsPerUser: 30 });
const settings = { seed: 3, overrides: { maxEpochs: 2, dim: 8 }, quiet: true };

test("models trained by `abrec train` are reused by the experiment when asked the same, retrained otherwise", async () => {
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-training-"));
  const trained = await trainModels(dataset, { ...settings, model: "all", modelsDir });
  assert.deepEqual(
    trained.map((s) => s.name),
    ["baseline", "challenger"],
  );
  assert.ok(fs.existsSync(path.join(modelsDir, TRAINING_RECORD_FILE)));

  const same = await ensureTrainedModels(dataset, { ...settings, modelsDir });
  assert.deepEqual(
    same.models.map((m) => [m.name, m.reused, m.version]),
    trained.map((s) => [s.name, true, s.version]),
  );

  // Another seed concerns the challenger only; the deterministic baseline is kept.
  const reseeded = await ensureTrainedModels(dataset, { ...settings, seed: 4, modelsDir });
  assert.deepEqual(
    reseeded.models.map((m) => [m.name, m.reused, m.reason]),
    [
      ["baseline", true, "same dataset, seed and hyperparameters"],
      ["challenger", false, "other seed or hyperparameters"],
    ],
  );
  assert.equal(readModelMetadata(path.join(modelsDir, "challenger")).seed, 4);

  // The same files prepared with another cutoff are another dataset: both are retrained, saying why.
  const recut = {
    ...dataset,
    manifest: { ...dataset.manifest, cutoffTimestamp: dataset.manifest.cutoffTimestamp - 1 },
  };
  const retrained = await ensureTrainedModels(recut, { ...settings, seed: 4, modelsDir });
  for (const model of retrained.models) {
    assert.equal(model.reused, false);
    assert.match(model.reason, /^trained on synthetic \(.*\), expected synthetic \(.*cutoff \d+/);
  }
});
