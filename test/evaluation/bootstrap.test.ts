import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  bootstrapMean,
  bootstrapSamples,
  percentileInterval,
  quantileSorted,
} from "../../src/evaluation/bootstrap";
import { Random } from "../../src/core/random";

test("type-7 quantiles match R's quantile() defaults", () => {
  // R: quantile(c(1, 2, 3, 4), c(0.25, 0.5, 0.975)) = 1.75, 2.5, 3.925
  assert.ok(Math.abs(quantileSorted([1, 2, 3, 4], 0.25) - 1.75) < 1e-12);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Math.abs(quantileSorted([1, 2, 3, 4], 0.975) - 3.925) < 1e-12);
});

test("bootstrap interval of a mean: contains the estimate, is reproducible, and is close to the normal interval", () => {
  const rng = new Random(5);
  const values = Array.from({ length: 400 }, () => (rng.float() < 0.3 ? 1 : 0));
  const a = bootstrapMean(values, { resamples: 2000, confidence: 0.95, rng: new Random(9) });
  const b = bootstrapMean(values, { resamples: 2000, confidence: 0.95, rng: new Random(9) });
  assert.deepEqual(a, b);
  assert.ok(a.lower < a.estimate && a.estimate < a.upper);
  // Normal approximation: half-width 1.96 * sqrt(p(1-p)/n); the percentile bootstrap agrees within 15%.
  const p = a.estimate;
  const halfWidth = 1.96 * Math.sqrt((p * (1 - p)) / values.length);
  assert.ok(Math.abs((a.upper - a.lower) / 2 - halfWidth) / halfWidth < 0.15, JSON.stringify(a));
});

test("a constant sample gives a zero-width interval", () => {
  const interval = bootstrapMean([0, 0, 0], { resamples: 100, confidence: 0.95, rng: new Random(1) });
  assert.deepEqual(interval, { estimate: 0, lower: 0, upper: 0 });
});

test("bias correction shifts the interval of a statistic that resampling biases (distinct count) back over the estimate", () => {
  // Distinct values among n = 50 distinct items: exactly 50 on the sample, about 50 (1 − 1/e) ≈ 31.6 on a resample.
  const n = 50;
  const samples = bootstrapSamples(n, 500, new Random(2));
  const distinct = (idx: ArrayLike<number>) => new Set(Array.from(idx)).size;
  const plain = percentileInterval(n, distinct, samples, 0.95);
  assert.ok(plain.upper < plain.estimate); // the percentile interval misses the estimate entirely
  const corrected = percentileInterval(n, distinct, samples, 0.95, { biasCorrected: true });
  assert.ok(corrected.lower <= 50 && 50 <= corrected.upper, JSON.stringify(corrected));
});
