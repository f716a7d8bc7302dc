import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  confidenceSequenceHalfWidth,
  sequentialAnalysis,
  sequentialFromEstimate,
  sequentialLooks,
  sequentialRho,
} from "../../src/stats/sequential";
import { newcombeDifferenceInterval } from "../../src/stats/intervals";
import { InputError } from "../../src/core/errors";

const funflix = { control: { units: 1124, clicks: 79 }, treatment: { units: 1124, clicks: 124 } };

test("rho and the half-width follow Waudby-Smith et al. 2023 eqs. 161 and 9, computed by hand", () => {
  // rho = sqrt((-2 ln 0.05 + ln(-2 ln 0.05 + 1)) / 5000): -2 ln 0.05 = 5.991465, ln(6.991465) = 1.944691,
  // rho = sqrt(7.936156 / 5000) = 0.039840 (tolerance 1e-6).
  assert.ok(Math.abs(sequentialRho(0.05, 5000) - 0.03984) < 1e-6);
  // s2 = 1, N = 5000 = N*: N rho^2 = 7.936156; half-width = sqrt(2 * 8.936156 / (5000 * 7.936156) *
  // ln(sqrt(8.936156) / 0.05)) = sqrt(4.50393e-4 * 4.09088) = 0.042925 (tolerance 1e-5).
  const rho = sequentialRho(0.05, 5000);
  assert.ok(Math.abs(confidenceSequenceHalfWidth(1, 5000, rho, 0.05) - 0.042925) < 1e-5);
  // It is wider than the fixed-n half-width 1.96 / sqrt(5000) = 0.027719, the price of peeking.
  assert.ok(confidenceSequenceHalfWidth(1, 5000, rho, 0.05) > 1.959964 / Math.sqrt(5000));
});

test("the always-valid p-value is below alpha exactly when the interval excludes 0", () => {
  for (const treatmentClicks of [90, 100, 105, 108, 110, 115, 124, 140]) {
    for (const alpha of [0.01, 0.05, 0.1]) {
      const counts = { control: funflix.control, treatment: { units: 1124, clicks: treatmentClicks } };
      const result = sequentialAnalysis(counts, { alpha });
      assert.equal(
        result.pValue < alpha,
        result.interval.lower > 0 || result.interval.upper < 0,
        `${treatmentClicks} ${alpha}`,
      );
    }
  }
});

test("for the Funflix counts the sequential interval is wider and its p-value larger than the fixed-n ones", () => {
  const sequential = sequentialAnalysis(funflix);
  const fixed = newcombeDifferenceInterval(funflix);
  assert.ok(sequential.interval.lower < fixed.lower && sequential.interval.upper > fixed.upper);
  assert.ok(sequential.pValue > 0.000928 && sequential.pValue < 0.05, `${sequential.pValue}`);
});

test("the tuning parameter N* makes the sequence tightest at N = N* (the paper's design rule)", () => {
  const width = (tuning: number) => confidenceSequenceHalfWidth(1, 2248, sequentialRho(0.05, tuning), 0.05);
  assert.ok(width(2248) < width(500) && width(2248) < width(20000));
  assert.ok(width(2248) <= width(2000) && width(2248) <= width(2500));
});

test("sequentialLooks: running minimum p-value, running intersection, rejects non-cumulative looks", () => {
  const looks = [100, 300, 600, 1124].map((n) => ({
    control: { units: n, clicks: Math.round(n * 0.07) },
    treatment: { units: n, clicks: Math.round(n * 0.11) },
  }));
  const out = sequentialLooks(looks);
  assert.equal(out.length, 4);
  for (let i = 1; i < out.length; i++) {
    assert.ok(out[i].pValue <= out[i - 1].pValue);
    assert.ok(out[i].runningInterval.lower >= out[i - 1].runningInterval.lower);
    assert.ok(out[i].runningInterval.upper <= out[i - 1].runningInterval.upper);
    assert.ok(out[i].pValue >= out[i].fixedSamplePValue);
  }
  assert.throws(() => sequentialLooks([looks[2], looks[1]]), InputError);
  assert.throws(() => sequentialAnalysis(funflix, { tuningParameter: 0 }), InputError);
});

test("sequentialFromEstimate with the binomial difference and SE is sequentialAnalysis; a zero SE carries no information", () => {
  const counts = sequentialAnalysis(funflix, { tuningParameter: 2248 });
  const estimate = sequentialFromEstimate(
    { difference: counts.difference, standardError: counts.standardError, totalUnits: 2248 },
    { tuningParameter: 2248 },
  );
  assert.deepEqual(estimate, counts);
  const none = sequentialFromEstimate({ difference: 0, standardError: 0, totalUnits: 10 });
  assert.equal(none.pValue, 1);
  // The p-value formula by hand for a ratio-metric look: d 0.0833333, SE 0.0394182, N 16, N* 16, alpha 0.05:
  // rho^2 = 7.936155 / 16 = 0.4960097, N rho^2 = 7.936155, s2 = 0.0394182^2 * 16 = 0.02486071,
  // p = sqrt(8.936155) exp(-0.0833333^2 * 256 * 0.4960097 / (2 * 0.02486071 * 8.936155)) = 2.989340 * exp(-1.984600)
  // = 0.410842 (evaluated in R 4.2.2; tolerance 1e-6).
  const ratio = sequentialFromEstimate(
    { difference: 0.0833333, standardError: 0.0394182, totalUnits: 16 },
    { tuningParameter: 16 },
  );
  assert.ok(Math.abs(ratio.pValue - 0.410842) < 1e-6, `${ratio.pValue}`);
});
