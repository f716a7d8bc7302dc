import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sampleRatioMismatch } from "../../src/stats/srm";
import { InputError } from "../../src/core/errors";

test("Kohavi, Tang & Xu (2020) SRM example: 821,588 vs 815,482 users on a 50/50 split gives p = 1.8e-6", () => {
  // Source: Kohavi, Tang & Xu 2020, Trustworthy Online Controlled Experiments (the SRM example: ratio 0.993,
  // p-value 1.8E-6). Tolerance: half a unit in the published digit.
  const result = sampleRatioMismatch([821588, 815482]);
  assert.ok(Math.abs(result.pValue - 1.8e-6) < 0.05e-6, `${result.pValue}`);
  assert.equal(result.mismatch, true);
});

test("a planned split is respected; a matching split is not flagged; the threshold is GrowthBook's 0.001", () => {
  const planned = sampleRatioMismatch([1000, 2000], [1, 2]);
  assert.equal(planned.chiSquare, 0);
  assert.equal(planned.mismatch, false);
  assert.deepEqual(planned.expectedUsers, [1000, 2000]);
  // 1124 vs 1080: X^2 = 2 * 22^2 / 1102 = 0.8784, p = 0.35 (chi-square, 1 df): no mismatch.
  const mild = sampleRatioMismatch([1124, 1080]);
  assert.ok(Math.abs(mild.chiSquare - (2 * 22 ** 2) / 1102) < 1e-12);
  assert.equal(mild.mismatch, false);
  assert.equal(mild.threshold, 0.001);
});

test("bad user counts or shares are InputErrors", () => {
  assert.throws(() => sampleRatioMismatch([10]), InputError);
  assert.throws(() => sampleRatioMismatch([10, -1]), InputError);
  assert.throws(() => sampleRatioMismatch([0, 0]), InputError);
  assert.throws(() => sampleRatioMismatch([10, 10], [1, 0]), InputError);
});
