import { test } from "node:test";
import * as assert from "node:assert/strict";
import { assertClose as close } from "../support/approx";
import {
  type CupedSummary,
  cupedRatioSummaryFromUsers,
  cupedRatioTest,
  cupedRatioTheta,
  cupedSummaryFromUsers,
  cupedTest,
  cupedTheta,
} from "../../src/stats/cuped";
import { InputError } from "../../src/core/errors";

// GrowthBook gbstats, tests/test_gbstats.py RA_STATISTICS_DF: variation "zero" (control) and "one" (treatment).
const RA_CONTROL: CupedSummary = {
  n: 3001,
  postSum: 300,
  postSumSquares: 600,
  preSum: 210,
  preSumSquares: 415,
  postPreSumProducts: -20,
};
const RA_TREATMENT: CupedSummary = {
  n: 3000,
  postSum: 222,
  postSumSquares: 555,
  preSum: 120,
  preSumSquares: 405,
  postPreSumProducts: -10,
};

test("gbstats RA_STATISTICS_DF: theta -0.0732119, effect -0.0281613 (SE 0.0110760), lift -0.281707154, p 0.003732549", () => {
  // Source: GrowthBook gbstats, tests/test_gbstats.py RA_STATISTICS_DF, frequentist two-sided relative test
  // (Welch t): theta -0.0732119, absolute effect -0.0281613 with SE 0.0110760, relative lift -0.281707154,
  // p 0.003732549. Tolerance 1e-7 on the 7-digit values, 1e-9 on the 9-digit ones.
  const result = cupedTest(RA_CONTROL, RA_TREATMENT);
  close(result.theta, -0.0732119, 1e-7, "theta");
  close(cupedTheta(RA_CONTROL, RA_TREATMENT), result.theta, 0, "cupedTheta");
  close(result.difference, -0.0281613, 1e-7, "absolute effect");
  close(result.standardError, 0.011076, 1e-7, "absolute effect SE");
  close(result.relativeLift, -0.281707154, 1e-9, "relative lift");
  close(result.relativeLiftPValue, 0.003732549, 1e-9, "relative lift p (Welch t)");
  assert.equal(result.alternative, "two-sided");
  // The adjusted difference is (Y_t - Y_c) - theta (X_t - X_c), whatever the adjusted means are centred on.
  const rawDifference = 222 / 3000 - 300 / 3001 - result.theta * (120 / 3000 - 210 / 3001);
  close(result.difference, rawDifference, 1e-15, "difference from the raw means");
  // The covariate correlates weakly here (theta small), so CUPED removes little variance.
  assert.ok(result.varianceReduction > 0 && result.varianceReduction < 0.01, `${result.varianceReduction}`);
  // The one-sided p-values of the relative lift split the two-sided one.
  const less = cupedTest(RA_CONTROL, RA_TREATMENT, { alternative: "less" }).relativeLiftPValue;
  close(less, result.relativeLiftPValue / 2, 1e-15, "one-sided (less)");
  const greater = cupedTest(RA_CONTROL, RA_TREATMENT, { alternative: "greater" }).relativeLiftPValue;
  close(greater, 1 - less, 1e-12, "one-sided (greater)");
});

test("an uncorrelated covariate (theta 0) leaves the estimate and SE unchanged: scipy's Welch t-test", () => {
  // Pooled over both arms, sum (y - mean y)(x - mean x) = 12 - 4 * 24 / 8 = 0 exactly, so theta = 0.
  // Reference: scipy.stats.ttest_ind([2, 3, 4, 5], [1, 2, 3, 4], equal_var=False): t 1.0954451150103324,
  // df 6, p 0.3153335962012296.
  const control = cupedSummaryFromUsers([1, 2, 3, 4], [1, 0, 0, 1]);
  const treatment = cupedSummaryFromUsers([2, 3, 4, 5], [1, 0, 0, 1]);
  const result = cupedTest(control, treatment);
  assert.equal(result.theta, 0);
  assert.equal(result.difference, result.unadjustedDifference);
  assert.equal(result.standardError, result.unadjustedStandardError);
  assert.equal(result.varianceReduction, 0);
  close(result.difference, 1, 1e-15, "difference");
  close(result.t, 1.0954451150103324, 1e-12, "Welch t");
  close(result.degreesOfFreedom, 6, 1e-12, "Welch-Satterthwaite df");
  close(result.pValue, 0.3153335962012296, 1e-9, "Welch p");
});

test("a covariate equal to the outcome removes all variance: theta 1, adjusted variances 0, reduction 1", () => {
  const control = cupedSummaryFromUsers([0, 1, 3, 2, 5], [0, 1, 3, 2, 5]);
  const treatment = cupedSummaryFromUsers([1, 4, 2, 6], [1, 4, 2, 6]);
  const result = cupedTest(control, treatment);
  close(result.theta, 1, 1e-12, "theta");
  close(result.control.adjustedVariance, 0, 1e-12, "control adjusted variance");
  close(result.treatment.adjustedVariance, 0, 1e-12, "treatment adjusted variance");
  close(result.standardError, 0, 1e-6, "SE");
  close(result.varianceReduction, 1, 1e-12, "variance reduction");
});

test("CUPED removes corr(Y, X)^2 of the variance when the arms share their means (Deng et al. 2013, control variates)", () => {
  // Identical arms: theta is each arm's regression slope and the adjusted variance var(Y) (1 - rho^2).
  const y = [3, 1, 4, 1, 5, 9, 2, 6];
  const x = [2, 1, 3, 2, 4, 7, 1, 5];
  const arm = cupedSummaryFromUsers(y, x);
  const result = cupedTest(arm, arm);
  const n = y.length;
  const mean = (v: number[]): number => v.reduce((s, a) => s + a, 0) / n;
  const sxy = y.reduce((s, yi, i) => s + (yi - mean(y)) * (x[i]! - mean(x)), 0);
  const sxx = x.reduce((s, xi) => s + (xi - mean(x)) ** 2, 0);
  const syy = y.reduce((s, yi) => s + (yi - mean(y)) ** 2, 0);
  close(result.theta, sxy / sxx, 1e-12, "theta = least-squares slope");
  close(result.varianceReduction, sxy ** 2 / (sxx * syy), 1e-12, "reduction = rho^2");
  close(result.difference, 0, 1e-15, "no difference");
});

test("cupedSummaryFromUsers sums per-user values", () => {
  assert.deepEqual(cupedSummaryFromUsers([1, 0, 2], [0, 1, 1]), {
    n: 3,
    postSum: 3,
    postSumSquares: 5,
    preSum: 2,
    preSumSquares: 2,
    postPreSumProducts: 2,
  });
});

test("bad inputs are InputErrors naming the field: n < 2, zero pre-variance, impossible sums, unequal arrays", () => {
  const field = (f: string) => (error: unknown) => error instanceof InputError && error.where.field === f;
  assert.throws(() => cupedTest({ ...RA_CONTROL, n: 1 }, RA_TREATMENT), field("control.n"));
  assert.throws(() => cupedTest(RA_CONTROL, { ...RA_TREATMENT, n: 2.5 }), field("treatment.n"));
  const flat = cupedSummaryFromUsers([1, 2, 3], [2, 2, 2]);
  assert.throws(() => cupedTest(flat, flat), field("preSumSquares"));
  assert.throws(
    () => cupedTest({ ...RA_CONTROL, postSumSquares: 1 }, RA_TREATMENT),
    field("control.postSumSquares"),
  );
  assert.throws(() => cupedTest(RA_CONTROL, { ...RA_TREATMENT, preSum: NaN }), field("treatment.preSum"));
  assert.throws(() => cupedSummaryFromUsers([1, 2], [1]), field("pre"));
  assert.throws(() => cupedTest(RA_CONTROL, RA_TREATMENT, { theta: NaN }), field("theta"));
});

// Clicks and impressions per user. Post-period: the delta-method reference data, whose figures were
// computed with GrowthBook gbstats' own code (RatioStatistic, TwoSidedTTest). Pre-period: made up, used only
// where theta is estimated.
const RATIO_CONTROL_USERS = {
  numerator: [1, 0, 2, 1, 0, 1, 2, 0],
  denominator: [10, 5, 8, 12, 3, 7, 9, 6],
  preNumerator: [1, 0, 1, 2, 0, 1, 1, 0],
  preDenominator: [8, 6, 9, 10, 4, 7, 8, 5],
};
const RATIO_TREATMENT_USERS = {
  numerator: [2, 1, 2, 1, 1, 3, 1, 1],
  denominator: [9, 6, 11, 4, 8, 10, 7, 5],
  preNumerator: [1, 1, 1, 0, 1, 2, 1, 0],
  preDenominator: [7, 5, 9, 5, 6, 9, 8, 6],
};

test("ratio CUPED with theta 0 is the delta-method ratio test: gbstats' ratio 0.116667 vs 0.2, Welch p 0.0548115", () => {
  // Source: GrowthBook gbstats RatioStatistic and TwoSidedTTest on the post-period clicks and impressions above:
  // ratios 0.116667 and 0.2, difference 0.083333 with SE 0.0394182, Welch df 12.7471, p 0.0548115; relative lift
  // 0.7142857 with SE 0.5094221. Tolerance: half a unit in the last published digit.
  const control = cupedRatioSummaryFromUsers(RATIO_CONTROL_USERS);
  const treatment = cupedRatioSummaryFromUsers(RATIO_TREATMENT_USERS);
  const result = cupedRatioTest(control, treatment, { theta: 0 });
  close(result.control.ratio, 7 / 60, 1e-15, "control ratio");
  close(result.treatment.ratio, 0.2, 1e-15, "treatment ratio");
  close(result.difference, 0.083333, 5e-7, "difference");
  close(result.standardError, 0.0394182, 5e-8, "SE");
  close(result.degreesOfFreedom, 12.7471, 5e-5, "Welch df");
  close(result.pValue, 0.0548115, 5e-8, "Welch p");
  close(result.relativeLift, 0.7142857, 5e-8, "relative lift");
  close(result.relativeLiftStandardError, 0.5094221, 5e-8, "relative lift SE");
  assert.equal(result.varianceReduction, 0);
});

test("ratio CUPED with every denominator 1 reduces to plain CUPED; its theta sums the arms' covariances", () => {
  const control = { post: [1, 0, 2, 1, 0, 1, 2, 0], pre: [1, 0, 1, 2, 0, 1, 1, 0] };
  const treatment = { post: [2, 1, 2, 1, 1, 3, 1], pre: [1, 1, 1, 0, 1, 2, 0] };
  const ones = (k: number): number[] => Array.from({ length: k }, () => 1);
  const asRatio = (arm: { post: number[]; pre: number[] }) =>
    cupedRatioSummaryFromUsers({
      numerator: arm.post,
      denominator: ones(arm.post.length),
      preNumerator: arm.pre,
      preDenominator: ones(arm.pre.length),
    });
  const plainControl = cupedSummaryFromUsers(control.post, control.pre);
  const plainTreatment = cupedSummaryFromUsers(treatment.post, treatment.pre);
  // gbstats' ratio theta: (cov_c(Y, X) + cov_t(Y, X)) / (var_c(X) + var_t(X)), each arm's own n - 1 moments.
  const moments = (s: CupedSummary) => ({
    cov: (s.postPreSumProducts - (s.postSum * s.preSum) / s.n) / (s.n - 1),
    varX: (s.preSumSquares - s.preSum ** 2 / s.n) / (s.n - 1),
  });
  const mc = moments(plainControl);
  const mt = moments(plainTreatment);
  const theta = cupedRatioTheta(asRatio(control), asRatio(treatment));
  close(theta, (mc.cov + mt.cov) / (mc.varX + mt.varX), 1e-12, "ratio theta");
  const ratio = cupedRatioTest(asRatio(control), asRatio(treatment), { theta });
  const plain = cupedTest(plainControl, plainTreatment, { theta });
  for (const key of [
    "difference",
    "standardError",
    "degreesOfFreedom",
    "pValue",
    "varianceReduction",
  ] as const)
    close(ratio[key], plain[key], 1e-12, key);
  close(ratio.control.adjustedVariance, plain.control.adjustedVariance, 1e-12, "control adjusted variance");
  close(ratio.treatment.adjustedRatio, plain.treatment.adjustedMean, 1e-12, "treatment adjusted mean");
});

test("ratio CUPED with its pre-period ratio as covariate: theta from both arms, SE below the unadjusted", () => {
  const control = cupedRatioSummaryFromUsers(RATIO_CONTROL_USERS);
  const treatment = cupedRatioSummaryFromUsers(RATIO_TREATMENT_USERS);
  const result = cupedRatioTest(control, treatment);
  close(result.theta, cupedRatioTheta(control, treatment), 0, "theta");
  // theta minimises the summed adjusted variances, v(theta) = v_R - 2 theta c + theta^2 v_S, so any other theta
  // gives a larger total.
  const total = (t: number) => {
    const r = cupedRatioTest(control, treatment, { theta: t });
    return r.control.adjustedVariance + r.treatment.adjustedVariance;
  };
  for (const delta of [-0.1, -0.01, 0.01, 0.1]) assert.ok(total(result.theta + delta) > total(result.theta));
  assert.ok(result.varianceReduction > 0, `${result.varianceReduction}`);
  const rawDifference = 0.2 - 7 / 60 - result.theta * (result.treatment.preRatio - result.control.preRatio);
  close(result.difference, rawDifference, 1e-15, "difference from the raw ratios");
});

test("ratio CUPED's delta-method variance is the sample variance of each user's linearised contribution", () => {
  // Linearisation (the delta method of Deng, Knoblich & Lu 2018, KDD): user i contributes
  // L_i = (m_i - R d_i) / mean(d) - theta (p_i - S q_i) / mean(q); n var(R - theta S) ~= var(L), and theta is
  // sum over arms of cov(linearised R, linearised S) over the sum of var(linearised S).
  const linearised = (u: typeof RATIO_CONTROL_USERS, theta: number): number[] => {
    const total = (v: number[]) => v.reduce((a, b) => a + b, 0);
    const r = total(u.numerator) / total(u.denominator);
    const s = total(u.preNumerator) / total(u.preDenominator);
    const dBar = total(u.denominator) / u.numerator.length;
    const qBar = total(u.preDenominator) / u.numerator.length;
    return u.numerator.map(
      (m, i) =>
        (m - r * u.denominator[i]!) / dBar - (theta * (u.preNumerator[i]! - s * u.preDenominator[i]!)) / qBar,
    );
  };
  const sampleVariance = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1);
  };
  const result = cupedRatioTest(
    cupedRatioSummaryFromUsers(RATIO_CONTROL_USERS),
    cupedRatioSummaryFromUsers(RATIO_TREATMENT_USERS),
  );
  const theta = result.theta;
  close(
    result.control.adjustedVariance,
    sampleVariance(linearised(RATIO_CONTROL_USERS, theta)),
    1e-12,
    "control",
  );
  close(
    result.treatment.adjustedVariance,
    sampleVariance(linearised(RATIO_TREATMENT_USERS, theta)),
    1e-12,
    "treatment",
  );
  close(
    result.control.variance,
    sampleVariance(linearised(RATIO_CONTROL_USERS, 0)),
    1e-12,
    "control, unadjusted",
  );
  // theta = (c_c + c_t) / (v_c + v_t), from the linearised post (theta 0) and pre (the difference at theta 1) parts.
  const parts = (u: typeof RATIO_CONTROL_USERS) => {
    const post = linearised(u, 0);
    const pre = linearised(u, 1).map((x, i) => post[i]! - x);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const cov = post.reduce((a, x, i) => a + (x - mean(post)) * (pre[i]! - mean(pre)), 0) / (post.length - 1);
    return { cov, varPre: sampleVariance(pre) };
  };
  const pc = parts(RATIO_CONTROL_USERS);
  const pt = parts(RATIO_TREATMENT_USERS);
  close(theta, (pc.cov + pt.cov) / (pc.varPre + pt.varPre), 1e-12, "theta");
  close(theta, 0.3181838, 1e-7, "theta (the doc example)");
});

test("ratio CUPED bad inputs are InputErrors naming the field", () => {
  const field = (f: string) => (error: unknown) => error instanceof InputError && error.where.field === f;
  const control = cupedRatioSummaryFromUsers(RATIO_CONTROL_USERS);
  const treatment = cupedRatioSummaryFromUsers(RATIO_TREATMENT_USERS);
  assert.throws(() => cupedRatioTest({ ...control, users: 1 }, treatment), field("control.users"));
  assert.throws(
    () => cupedRatioTest(control, { ...treatment, denominatorSum: 0 }),
    field("treatment.denominatorSum"),
  );
  assert.throws(
    () => cupedRatioTest({ ...control, preDenominatorSum: 0 }, treatment),
    field("control.preDenominatorSum"),
  );
  const constantPre = {
    ...RATIO_CONTROL_USERS,
    preNumerator: ones(8),
    preDenominator: ones(8).map((x) => 2 * x),
  };
  const flat = cupedRatioSummaryFromUsers(constantPre);
  assert.throws(() => cupedRatioTest(flat, flat), field("preNumeratorSumOfSquares"));
  assert.throws(
    () => cupedRatioSummaryFromUsers({ ...RATIO_CONTROL_USERS, denominator: [1] }),
    field("denominator"),
  );
});

function ones(k: number): number[] {
  return Array.from({ length: k }, () => 1);
}
