import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ndcgAtK } from "../../../src/evaluation/metrics/ndcg";

// Hand-computed from DCG = Σ 1/log2(rank + 1) with 1-based ranks; tolerance 1e-12.
test("ndcg@k on hand-computed cases", () => {
  assert.ok(Math.abs(ndcgAtK([5, 7], new Set([7]), 10) - 1 / Math.log2(3)) < 1e-12);
  assert.equal(ndcgAtK([7, 5], new Set([7]), 10), 1);
  // hits at ranks 1 and 3, two relevant: (1 + 1/2) / (1 + 1/log2 3)
  assert.ok(Math.abs(ndcgAtK([1, 2, 3], new Set([1, 3]), 3) - 1.5 / (1 + 1 / Math.log2(3))) < 1e-12);
  // more relevant than k: the ideal list has k hits
  assert.equal(ndcgAtK([1, 2], new Set([1, 2, 3, 4]), 2), 1);
  assert.equal(ndcgAtK([], new Set([1]), 10), 0);
  assert.equal(ndcgAtK([1], new Set(), 10), 0);
});
