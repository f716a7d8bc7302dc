import { test } from "node:test";
import * as assert from "node:assert/strict";
import { averagePrecisionAtK } from "../../../src/evaluation/metrics/average-precision";

test("AP@k on hand-computed cases", () => {
  // hits at ranks 1 and 3: (1/1 + 2/3) / 2
  assert.ok(Math.abs(averagePrecisionAtK([1, 2, 3], new Set([1, 3]), 3) - (1 + 2 / 3) / 2) < 1e-12);
  // one hit at rank 2 of three relevant, k = 2: (1/2) / min(2, 3)
  assert.equal(averagePrecisionAtK([4, 1], new Set([1, 2, 3]), 2), 0.25);
  assert.equal(averagePrecisionAtK([], new Set([1]), 10), 0);
  assert.equal(averagePrecisionAtK([1], new Set(), 10), 0);
});
