import { test } from "node:test";
import * as assert from "node:assert/strict";
import { assertClose as close } from "../support/approx";
import { InputError } from "../../src/core/errors";
import { Random } from "../../src/core/random";
import {
  compareRatioArms,
  covarianceOfRatios,
  ratioArm,
  ratioSummary,
  ratioSummaryFromUsers,
  welchDegreesOfFreedom,
} from "../../src/stats/ratio-metric";

// Reference values computed with GrowthBook gbstats' own code (gbstats/frequentist/tests.py `TwoSidedTTest` on
// `RatioStatistic`s, gbstats/utils.py `variance_of_ratios`; sample variances divide by n - 1 there as here).
// Tolerance 1e-6 throughout, finer than the seven quoted digits need.
const controlClicks = [1, 0, 2, 1, 0, 1, 2, 0];
const controlImpressions = [10, 5, 8, 12, 3, 7, 9, 6];
const treatmentClicks = [2, 1, 2, 1, 1, 3, 1, 1];
const treatmentImpressions = [9, 6, 11, 4, 8, 10, 7, 5];
const control = ratioSummaryFromUsers(controlClicks, controlImpressions, "control");
const treatment = ratioSummaryFromUsers(treatmentClicks, treatmentImpressions, "treatment");

test("gbstats reference, 8 users per arm, z-test: ratios 0.116667 and 0.2, difference 0.083333 (SE 0.0394182, p 0.0345081)", () => {
  const z = compareRatioArms(control, treatment);
  close(z.control.ratio, 0.116667, 1e-6, "control ratio");
  close(z.treatment.ratio, 0.2, 1e-12, "treatment ratio");
  close(z.difference.estimate, 0.083333, 1e-6, "difference");
  close(z.difference.standardError, 0.0394182, 1e-6, "SE of the difference");
  close(z.difference.pValueTwoSided, 0.0345081, 1e-6, "two-sided p");
  close(z.difference.intervalTwoSided.lower, 0.0060751, 1e-6, "95% CI lower");
  close(z.difference.intervalTwoSided.upper, 0.1605915, 1e-6, "95% CI upper");
  close(z.relativeLift.estimate, 0.7142857, 1e-6, "relative lift");
  close(z.relativeLift.standardError, 0.5094221, 1e-6, "SE of the relative lift");
  close(z.relativeLift.pValueTwoSided, 0.1608708, 1e-6, "relative lift two-sided p");
  assert.equal(z.difference.degreesOfFreedom, Infinity);
});

test("gbstats reference, 8 users per arm, Welch t-test: df 12.7471, p 0.0548115", () => {
  const welch = compareRatioArms(control, treatment, { test: "welch" });
  close(welch.difference.degreesOfFreedom, 12.7471, 1e-4, "Welch-Satterthwaite df");
  close(welch.difference.pValueTwoSided, 0.0548115, 1e-6, "Welch two-sided p");
  // Same estimate and SE as the z-test; only the reference distribution changes.
  close(welch.difference.standardError, 0.0394182, 1e-6, "SE");
});

test("gbstats tests/test_gbstats.py RATIO_STATISTICS_DF given as sums: ratios 0.529411765 and 0.6, lift 0.133333333, Welch p 0.610663339", () => {
  const gbControl = ratioSummary({
    users: 100,
    numeratorSum: 270,
    numeratorSumOfSquares: 848.79,
    denominatorSum: 510,
    denominatorSumOfSquares: 810,
    sumOfProducts: -900,
  });
  const gbTreatment = ratioSummary({
    users: 120,
    numeratorSum: 300,
    numeratorSumOfSquares: 869,
    denominatorSum: 500,
    denominatorSumOfSquares: 800,
    sumOfProducts: -905,
  });
  const welch = compareRatioArms(gbControl, gbTreatment, { test: "welch" });
  close(welch.control.ratio, 0.529411765, 1e-9, "control ratio");
  close(welch.treatment.ratio, 0.6, 1e-12, "treatment ratio");
  close(welch.relativeLift.estimate, 0.133333333, 1e-9, "relative lift");
  close(welch.relativeLift.pValueTwoSided, 0.610663339, 1e-7, "Welch p of the relative lift");
  // These sums are a fixture, not data any users could produce: 810 < 510^2 / 100, so the denominator's sample
  // variance is negative; the pin checks the arithmetic, which the delta variance's covariance term keeps positive.
  assert.ok(welch.control.denominatorVariance < 0);
});

test("with D = 1 for every user the ratio is the mean of M and its SE the usual s / sqrt(n)", () => {
  const random = new Random(20261201);
  for (const n of [2, 7, 50]) {
    const values = Array.from({ length: n }, () => random.int(10));
    values[0] = 0;
    values[1] = 5; // not all equal
    const arm = ratioArm(ratioSummaryFromUsers(values, new Array(n).fill(1)));
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const s2 = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
    close(arm.ratio, mean, 1e-12, `mean, n ${n}`);
    close(arm.standardError, Math.sqrt(s2 / n), 1e-12, `s / sqrt(n), n ${n}`);
  }
});

test("the ratio is invariant to the order of users, and the difference is antisymmetric in the arms", () => {
  const reversed = ratioSummaryFromUsers([...controlClicks].reverse(), [...controlImpressions].reverse());
  close(ratioArm(reversed).standardError, ratioArm(control).standardError, 1e-15, "order");
  const swapped = compareRatioArms(treatment, control);
  const forward = compareRatioArms(control, treatment);
  close(swapped.difference.estimate, -forward.difference.estimate, 1e-15, "difference");
  close(swapped.difference.pValueTwoSided, forward.difference.pValueTwoSided, 1e-12, "two-sided p");
  close(
    swapped.difference.pValueGreater + forward.difference.pValueGreater,
    1,
    1e-12,
    "one-sided p of the two directions",
  );
  close(forward.difference.pValueGreater, forward.difference.pValueTwoSided / 2, 1e-12, "one-sided p");
  assert.equal(forward.difference.intervalGreater.upper, Infinity);
  assert.ok(forward.difference.intervalGreater.lower > forward.difference.intervalTwoSided.lower);
});

test("Welch-Satterthwaite df lies between min(n) - 1 and n_c + n_t - 2", () => {
  assert.equal(welchDegreesOfFreedom(0.25, 10, 0.25, 10), 18);
  const df = compareRatioArms(control, treatment, { test: "welch" }).difference.degreesOfFreedom;
  assert.ok(df >= 7 && df <= 14, String(df));
});

test("bad inputs throw InputError naming the field: n < 2, a zero denominator sum, unequal lengths", () => {
  const throwsNaming = (run: () => unknown, field: string) =>
    assert.throws(run, (e: unknown) => e instanceof InputError && e.where.field === field);
  throwsNaming(() => ratioSummaryFromUsers([1], [2], "control"), "control.users");
  throwsNaming(() => ratioSummaryFromUsers([0, 0], [0, 0], "treatment"), "treatment.denominatorSum");
  throwsNaming(() => ratioSummaryFromUsers([1, 2], [3], "control"), "control");
  throwsNaming(
    () =>
      ratioSummary({
        users: 10,
        numeratorSum: NaN,
        numeratorSumOfSquares: 1,
        denominatorSum: 5,
        denominatorSumOfSquares: 5,
        sumOfProducts: 1,
      }),
    "ratio summary.numeratorSum",
  );
  // Every user with the same ratio: zero delta-method variance, no test.
  throwsNaming(() => compareRatioArms(ratioSummaryFromUsers([1, 2], [10, 20]), treatment), "control");
  throwsNaming(() => compareRatioArms(control, treatment, { alpha: 1 }), "alpha");
});

test("the delta-method covariance of a ratio with itself is its variance (gbstats variance_of_ratios)", () => {
  const arm = ratioArm(control);
  const covariance = covarianceOfRatios(arm, arm, {
    numerators: arm.numeratorVariance,
    numeratorDenominator: arm.covariance,
    denominatorNumerator: arm.covariance,
    denominators: arm.denominatorVariance,
  });
  close(covariance, arm.perUserVariance, 1e-15, "covariance of the ratio with itself");
});
