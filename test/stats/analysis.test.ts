import { test } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeCounts } from "../../src/stats/analysis";
import { InputError } from "../../src/core/errors";

const funflix = { control: { units: 1124, clicks: 79 }, treatment: { units: 1124, clicks: 124 } };

test("analyzeCounts assembles every figure; the z-test part reproduces R's prop.test (z 3.3114)", () => {
  const a = analyzeCounts(funflix);
  // Pooled z-test reference, R's prop.test(c(124, 79), c(1124, 1124), correct = FALSE): X-squared = 10.966 = z^2, p-value = 0.000928;
  // tolerance half a unit in the last digit.
  assert.ok(Math.abs(a.zTest.z - 3.3114) < 5e-5);
  assert.ok(Math.abs(a.zTest.pValue - 0.000928) < 5e-7);
  assert.equal(a.significant, true);
  assert.equal(a.control.rate, 79 / 1124);
  assert.ok(a.control.interval.lower < a.control.rate && a.control.rate < a.control.interval.upper);
  assert.ok(a.difference.interval.lower > 0, "Newcombe interval excludes 0");
  assert.ok(a.relativeLift.interval.lower > 0);
  assert.ok(Math.abs(a.chiSquare.statistic - a.zTest.z ** 2) < 1e-9);
  assert.ok(a.chiSquareYates.pValue > a.chiSquare.pValue);
  assert.ok(a.bayesian.probabilityTreatmentBetter > 0.99);
  assert.ok(a.sequential.pValue > a.zTest.pValue);
  assert.equal(a.sampleRatioMismatch.mismatch, false);
  assert.match(a.conclusion, /significantly higher/);
  // JSON round trip keeps every number (no functions, no cycles).
  assert.equal(JSON.parse(JSON.stringify(a)).zTest.z, a.zTest.z);
});

test("one-sided analysis halves the z-test p-value and opens the intervals upwards", () => {
  const a = analyzeCounts(funflix, { alternative: "greater" });
  assert.ok(Math.abs(a.zTest.pValue - 0.000464) < 5e-7);
  assert.equal(a.difference.interval.upper, Infinity);
  assert.match(a.conclusion, /one-sided p/);
});

test("an A/A-like result is not significant; an unbalanced split is flagged as SRM", () => {
  const flat = analyzeCounts({
    control: { units: 1124, clicks: 79 },
    treatment: { units: 1124, clicks: 85 },
  });
  assert.equal(flat.significant, false);
  assert.match(flat.conclusion, /no significant difference/);
  const srm = analyzeCounts({ control: { units: 1300, clicks: 91 }, treatment: { units: 1000, clicks: 70 } });
  assert.equal(srm.sampleRatioMismatch.mismatch, true);
  const planned = analyzeCounts(
    { control: { units: 1000, clicks: 70 }, treatment: { units: 2000, clicks: 140 } },
    { allocationRatio: 2 },
  );
  assert.equal(planned.sampleRatioMismatch.mismatch, false);
});

test("impossible inputs are InputErrors", () => {
  assert.throws(() => analyzeCounts(funflix, { alpha: 1 }), InputError);
  assert.throws(() => analyzeCounts({ ...funflix, treatment: { units: 10, clicks: 11 } }), InputError);
});

test("degenerate counts stay readable: no control clicks gives no relative lift, no clicks at all no evidence", () => {
  const noControlClicks = analyzeCounts({
    control: { units: 100, clicks: 0 },
    treatment: { units: 100, clicks: 5 },
  });
  assert.ok(Number.isNaN(noControlClicks.relativeLift.estimate));
  assert.doesNotMatch(noControlClicks.conclusion, /NaN/);
  const none = analyzeCounts({ control: { units: 100, clicks: 0 }, treatment: { units: 100, clicks: 0 } });
  assert.equal(none.significant, false);
  assert.equal(none.sequential.pValue, 1);
  assert.deepEqual(none.sequential.interval, { lower: -1, upper: 1 });
});
