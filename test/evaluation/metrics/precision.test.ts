import { test } from "node:test";
import * as assert from "node:assert/strict";
import { precisionAtK } from "../../../src/evaluation/metrics/precision";

// Hand-computed: hits among the first k over k.
test("precision@k on hand-computed cases", () => {
  assert.equal(precisionAtK([1, 2, 3], new Set([2, 9]), 2), 0.5);
  assert.equal(precisionAtK([1, 2, 3, 4], new Set([1, 3, 4]), 4), 0.75);
  assert.equal(precisionAtK([2], new Set([2]), 10), 0.1); // a short list is not rewarded
  assert.equal(precisionAtK([], new Set([2]), 10), 0);
  assert.equal(precisionAtK([1, 2], new Set(), 10), 0);
});
