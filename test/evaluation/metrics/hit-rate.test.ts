import { test } from "node:test";
import * as assert from "node:assert/strict";
import { hitRateAtK } from "../../../src/evaluation/metrics/hit-rate";

test("hit rate@k is 1 exactly when a relevant item is in the first k", () => {
  assert.equal(hitRateAtK([1, 2, 3], new Set([3]), 2), 0);
  assert.equal(hitRateAtK([1, 2, 3], new Set([3]), 3), 1);
  assert.equal(hitRateAtK([], new Set([3]), 3), 0);
});
