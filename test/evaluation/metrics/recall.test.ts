import { test } from "node:test";
import * as assert from "node:assert/strict";
import { recallAtK } from "../../../src/evaluation/metrics/recall";

test("recall@k on hand-computed cases", () => {
  assert.equal(recallAtK([1, 2, 3], new Set([2, 9]), 3), 0.5);
  assert.equal(recallAtK([1, 2, 3], new Set([3]), 2), 0); // the hit is below k
  assert.equal(recallAtK([], new Set([3]), 10), 0);
  assert.equal(recallAtK([3], new Set(), 10), 0);
});
