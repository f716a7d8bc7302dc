import { test } from "node:test";
import * as assert from "node:assert/strict";
import { validationSplit } from "../../src/models/validation-split";
import { InputError } from "../../src/core/errors";
import { tinyDataset } from "../support/tiny-dataset";

test("the validation period is the end of the training period and never touches the test period", () => {
  const dataset = tinyDataset();
  const validation = validationSplit(dataset, 0.25);
  const cutoff = validation.manifest.cutoffTimestamp;
  assert.ok(cutoff < dataset.manifest.cutoffTimestamp);
  assert.equal(validation.train.length + validation.test.length, dataset.train.length);
  assert.ok(Math.abs(validation.test.length / dataset.train.length - 0.25) < 0.02);
  for (let row = 0; row < validation.train.length; row++) assert.ok(validation.train.timestamp[row] < cutoff);
  for (let row = 0; row < validation.test.length; row++) {
    assert.ok(validation.test.timestamp[row] >= cutoff);
    assert.ok(validation.test.timestamp[row] < dataset.manifest.cutoffTimestamp);
  }
  assert.throws(() => validationSplit(dataset, 1), InputError);
});
