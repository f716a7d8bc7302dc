/**
 * CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the sensitivity of online controlled experiments by utilizing
 * pre-experiment data", WSDM): regress each user's outcome Y on a pre-experiment covariate X and compare the
 * adjusted means Y - theta X. The adjustment is unbiased because randomisation makes X independent of the arm, and
 * it removes the share of variance that X explains (corr(Y, X)^2).
 *
 * Pure functions over summary statistics, as GrowthBook's gbstats computes them (`RegressionAdjustedStatistic`,
 * `compute_theta`, `frequentist_variance_relative_cuped`, and for ratio metrics `RegressionAdjustedRatioStatistic`,
 * `compute_theta_regression_adjusted_ratio`, `frequentist_variance_relative_cuped_ratio`, in
 * gbstats/models/statistics.py and gbstats/models/tests.py). Variances and covariances divide by n - 1.
 */
import { InputError } from "../core/errors";
import { studentTUpperTail } from "./distributions";
import type { Alternative } from "./summary";

/** One arm's per-user sums: the outcome Y (post-period) and the covariate X (the same metric, pre-period). */
export interface CupedSummary {
  /** users */
  readonly n: number;
  /** sum of Y */
  readonly postSum: number;
  /** sum of Y^2 */
  readonly postSumSquares: number;
  /** sum of X */
  readonly preSum: number;
  /** sum of X^2 */
  readonly preSumSquares: number;
  /** sum of Y X */
  readonly postPreSumProducts: number;
}

/**
 * One arm's CUPED summary from per-user values, `post[i]` and `pre[i]` being user i's outcome and covariate.
 *
 * @example
 * cupedSummaryFromUsers([1, 0, 2], [0, 1, 1]);
 * // => { n: 3, postSum: 3, postSumSquares: 5, preSum: 2, preSumSquares: 2, postPreSumProducts: 2 }
 */
export function cupedSummaryFromUsers(post: readonly number[], pre: readonly number[]): CupedSummary {
  if (post.length !== pre.length)
    throw new InputError(`expected one pre value per user: ${post.length} post values, ${pre.length} pre`, {
      field: "pre",
    });
  let postSum = 0;
  let postSumSquares = 0;
  let preSum = 0;
  let preSumSquares = 0;
  let postPreSumProducts = 0;
  for (let i = 0; i < post.length; i++) {
    const y = post[i]!;
    const x = pre[i]!;
    postSum += y;
    postSumSquares += y * y;
    preSum += x;
    preSumSquares += x * x;
    postPreSumProducts += y * x;
  }
  return { n: post.length, postSum, postSumSquares, preSum, preSumSquares, postPreSumProducts };
}

/** A CUPED arm: unadjusted and adjusted mean and per-user variance. */
export interface CupedArm {
  readonly n: number;
  /** mean of Y */
  readonly mean: number;
  /** mean of X */
  readonly preMean: number;
  /** sample variance of Y (n - 1) */
  readonly variance: number;
  /** mean of Y - theta (X - pooled mean of X): centred so it stays on Y's scale (gbstats does not centre) */
  readonly adjustedMean: number;
  /** var(Y) + theta^2 var(X) - 2 theta cov(Y, X) */
  readonly adjustedVariance: number;
}

/** A two-arm comparison (treatment - control) of CUPED-adjusted means by Welch's t-test, as gbstats runs it. */
export interface CupedComparison {
  readonly theta: number;
  readonly control: CupedArm;
  readonly treatment: CupedArm;
  /** treatment adjusted mean - control adjusted mean */
  readonly difference: number;
  /** sqrt(adjusted variance_t / n_t + adjusted variance_c / n_c) */
  readonly standardError: number;
  /** treatment mean - control mean, without adjustment */
  readonly unadjustedDifference: number;
  readonly unadjustedStandardError: number;
  /** 1 - standardError^2 / unadjustedStandardError^2: the share of the difference's variance CUPED removed */
  readonly varianceReduction: number;
  /** Welch-Satterthwaite degrees of freedom from the adjusted variances */
  readonly degreesOfFreedom: number;
  /** difference / standardError */
  readonly t: number;
  /** Welch t-test p-value of the difference */
  readonly pValue: number;
  /** difference / control's unadjusted mean (gbstats' relative effect) */
  readonly relativeLift: number;
  /** delta-method standard error of the relative lift */
  readonly relativeLiftStandardError: number;
  /** Welch t-test p-value of the relative lift (the same degrees of freedom) */
  readonly relativeLiftPValue: number;
  readonly alternative: Alternative;
}

export interface CupedOptions {
  /** Default "two-sided"; "greater" tests treatment > control. */
  readonly alternative?: Alternative;
  /** A theta fixed in advance (for example from an earlier period). Default: estimated from both arms. */
  readonly theta?: number;
}

/**
 * theta = cov(Y, X) / var(X) with both arms pooled as one sample (gbstats `compute_theta`): the least-squares
 * slope of Y on X, which minimises the adjusted variance (Deng et al. 2013, control variates). One theta for both
 * arms keeps the adjusted difference unbiased.
 *
 * @example
 * cupedTheta(
 *   { n: 3001, postSum: 300, postSumSquares: 600, preSum: 210, preSumSquares: 415, postPreSumProducts: -20 },
 *   { n: 3000, postSum: 222, postSumSquares: 555, preSum: 120, preSumSquares: 405, postPreSumProducts: -10 },
 * ); // => -0.0732119 (gbstats' RA_STATISTICS_DF)
 */
export function cupedTheta(control: CupedSummary, treatment: CupedSummary): number {
  validateSummary(control, "control");
  validateSummary(treatment, "treatment");
  const pooled: CupedSummary = {
    n: control.n + treatment.n,
    postSum: control.postSum + treatment.postSum,
    postSumSquares: control.postSumSquares + treatment.postSumSquares,
    preSum: control.preSum + treatment.preSum,
    preSumSquares: control.preSumSquares + treatment.preSumSquares,
    postPreSumProducts: control.postPreSumProducts + treatment.postPreSumProducts,
  };
  const preVariance = variance(pooled.n, pooled.preSum, pooled.preSumSquares);
  if (!(preVariance > 0))
    throw new InputError("expected the pre-period covariate to vary across users (its variance is 0)", {
      field: "preSumSquares",
    });
  return covariance(pooled.n, pooled.postSum, pooled.preSum, pooled.postPreSumProducts) / preVariance;
}

/**
 * CUPED comparison of two arms. Per arm, adjusted mean Y - theta X and per-user variance
 * var(Y) + theta^2 var(X) - 2 theta cov(Y, X) (Deng et al. 2013, control variates; gbstats
 * `RegressionAdjustedStatistic`). The difference's standard error is sqrt(v_t / n_t + v_c / n_c), tested with
 * Welch's t and the Welch-Satterthwaite degrees of freedom (v_t/n_t + v_c/n_c)^2 /
 * ((v_t/n_t)^2/(n_t - 1) + (v_c/n_c)^2/(n_c - 1)). The relative lift divides the difference by the control's
 * unadjusted mean Y_c, and its variance is gbstats' `frequentist_variance_relative_cuped`: the delta method with
 * gradient 1/Y_c in the treatment's adjusted mean and (-Y_t/Y_c^2, theta/Y_c) in the control's (Y_c, X_c),
 * evaluated at the unadjusted Y_t as gbstats does.
 *
 * @example
 * cupedTest(
 *   { n: 3001, postSum: 300, postSumSquares: 600, preSum: 210, preSumSquares: 415, postPreSumProducts: -20 },
 *   { n: 3000, postSum: 222, postSumSquares: 555, preSum: 120, preSumSquares: 405, postPreSumProducts: -10 },
 * ); // => difference -0.0281613, standardError 0.0110760, relativeLift -0.2817072, relativeLiftPValue 0.0037325
 */
export function cupedTest(
  control: CupedSummary,
  treatment: CupedSummary,
  options: CupedOptions = {},
): CupedComparison {
  validateSummary(control, "control");
  validateSummary(treatment, "treatment");
  const alternative = options.alternative ?? "two-sided";
  const theta = fixedTheta(options) ?? cupedTheta(control, treatment);
  const pooledPreMean = (control.preSum + treatment.preSum) / (control.n + treatment.n);
  const controlArm = cupedArm(control, theta, pooledPreMean);
  const treatmentArm = cupedArm(treatment, theta, pooledPreMean);
  const nc = control.n;
  const nt = treatment.n;
  const difference = treatmentArm.adjustedMean - controlArm.adjustedMean;
  const standardError = Math.sqrt(treatmentArm.adjustedVariance / nt + controlArm.adjustedVariance / nc);
  const unadjustedStandardError = Math.sqrt(treatmentArm.variance / nt + controlArm.variance / nc);
  const degreesOfFreedom = welchDegreesOfFreedom(
    controlArm.adjustedVariance / nc,
    nc,
    treatmentArm.adjustedVariance / nt,
    nt,
  );
  const controlMean = controlArm.mean;
  if (controlMean === 0)
    throw new InputError("expected a non-zero control mean for the relative lift", {
      field: "control.postSum",
    });
  const controlCovariance = covariance(nc, control.postSum, control.preSum, control.postPreSumProducts);
  const controlPreVariance = variance(nc, control.preSum, control.preSumSquares);
  const ratio = treatmentArm.mean / controlMean;
  const relativeVariance =
    treatmentArm.adjustedVariance / (nt * controlMean ** 2) +
    (controlArm.variance * ratio ** 2 -
      2 * theta * controlCovariance * ratio +
      theta ** 2 * controlPreVariance) /
      (nc * controlMean ** 2);
  const relativeLift = difference / controlMean;
  const relativeLiftStandardError = Math.sqrt(relativeVariance);
  const t = difference / standardError;
  return {
    theta,
    control: controlArm,
    treatment: treatmentArm,
    difference,
    standardError,
    unadjustedDifference: treatmentArm.mean - controlArm.mean,
    unadjustedStandardError,
    varianceReduction: 1 - standardError ** 2 / unadjustedStandardError ** 2,
    degreesOfFreedom,
    t,
    pValue: tPValue(t, degreesOfFreedom, alternative),
    relativeLift,
    relativeLiftStandardError,
    relativeLiftPValue: tPValue(relativeLift / relativeLiftStandardError, degreesOfFreedom, alternative),
    alternative,
  };
}

/**
 * One arm's per-user sums for a ratio metric M / D (clicks per impression) with the same ratio in the pre-period
 * as the covariate: post numerator M and denominator D, pre numerator P and denominator Q, and the ten sums of
 * squares and products of (M, D, P, Q) that the delta method's 4 x 4 covariance matrix needs.
 */
export interface CupedRatioSummary {
  readonly n: number;
  readonly numeratorSum: number;
  readonly numeratorSumSquares: number;
  readonly denominatorSum: number;
  readonly denominatorSumSquares: number;
  readonly preNumeratorSum: number;
  readonly preNumeratorSumSquares: number;
  readonly preDenominatorSum: number;
  readonly preDenominatorSumSquares: number;
  /** sum of M D */
  readonly numeratorDenominatorSumProducts: number;
  /** sum of M P */
  readonly numeratorPreNumeratorSumProducts: number;
  /** sum of M Q */
  readonly numeratorPreDenominatorSumProducts: number;
  /** sum of D P */
  readonly denominatorPreNumeratorSumProducts: number;
  /** sum of D Q */
  readonly denominatorPreDenominatorSumProducts: number;
  /** sum of P Q */
  readonly preNumeratorPreDenominatorSumProducts: number;
}

/** Per-user values of a ratio metric and its pre-period version, one entry per user in each array. */
export interface CupedRatioUsers {
  readonly numerator: readonly number[];
  readonly denominator: readonly number[];
  readonly preNumerator: readonly number[];
  readonly preDenominator: readonly number[];
}

/**
 * One arm's ratio CUPED summary from per-user values (clicks, impressions, pre-period clicks and impressions).
 *
 * @example
 * cupedRatioSummaryFromUsers({ numerator: [1, 0], denominator: [4, 2], preNumerator: [0, 1], preDenominator: [3, 5] });
 * // => { n: 2, numeratorSum: 1, denominatorSum: 6, preNumeratorSum: 1, preDenominatorSum: 8, ... }
 */
export function cupedRatioSummaryFromUsers(users: CupedRatioUsers): CupedRatioSummary {
  const { numerator: m, denominator: d, preNumerator: p, preDenominator: q } = users;
  for (const [field, values] of [
    ["denominator", d],
    ["preNumerator", p],
    ["preDenominator", q],
  ] as const)
    if (values.length !== m.length)
      throw new InputError(`expected one value per user: ${m.length} numerators, ${values.length} values`, {
        field,
      });
  const sum = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
  const total = (a: readonly number[]): number => a.reduce((s, x) => s + x, 0);
  return {
    n: m.length,
    numeratorSum: total(m),
    numeratorSumSquares: sum(m, m),
    denominatorSum: total(d),
    denominatorSumSquares: sum(d, d),
    preNumeratorSum: total(p),
    preNumeratorSumSquares: sum(p, p),
    preDenominatorSum: total(q),
    preDenominatorSumSquares: sum(q, q),
    numeratorDenominatorSumProducts: sum(m, d),
    numeratorPreNumeratorSumProducts: sum(m, p),
    numeratorPreDenominatorSumProducts: sum(m, q),
    denominatorPreNumeratorSumProducts: sum(d, p),
    denominatorPreDenominatorSumProducts: sum(d, q),
    preNumeratorPreDenominatorSumProducts: sum(p, q),
  };
}

/** A ratio-metric CUPED arm: the post ratio R = sum M / sum D, the pre ratio S = sum P / sum Q. */
export interface CupedRatioArm {
  readonly n: number;
  /** R = sum M / sum D */
  readonly ratio: number;
  /** S = sum P / sum Q */
  readonly preRatio: number;
  /** n var(R) by the delta method: the per-user variance of the unadjusted ratio */
  readonly variance: number;
  /** R - theta (S - pooled S), centred on the pre ratio of both arms together (gbstats does not centre) */
  readonly adjustedRatio: number;
  /** n var(R - theta S) by the delta method */
  readonly adjustedVariance: number;
}

/** A two-arm comparison of CUPED-adjusted ratios, as gbstats runs `RegressionAdjustedRatioStatistic`. */
export interface CupedRatioComparison extends Omit<CupedComparison, "control" | "treatment"> {
  readonly control: CupedRatioArm;
  readonly treatment: CupedRatioArm;
}

/**
 * theta for a ratio metric (gbstats `compute_theta_regression_adjusted_ratio`): the delta-method covariance of the
 * post and pre ratios over the variance of the pre ratio, each summed over the two arms' per-user values,
 * theta = (c_c + c_t) / (v_c + v_t), c = g_R' Lambda g_S, v = g_S' Lambda g_S with g_R = (1/D, -M/D^2, 0, 0),
 * g_S = (0, 0, 1/Q, -P/Q^2) at the arm's means and Lambda the arm's per-user covariance of (M, D, P, Q). Unlike
 * `cupedTheta` it sums within-arm covariances instead of pooling both arms as one sample, as gbstats does.
 *
 * @example
 * const control = cupedRatioSummaryFromUsers({
 *   numerator: [1, 0, 2, 1, 0, 1, 2, 0], denominator: [10, 5, 8, 12, 3, 7, 9, 6],
 *   preNumerator: [1, 0, 1, 2, 0, 1, 1, 0], preDenominator: [8, 6, 9, 10, 4, 7, 8, 5],
 * });
 * const treatment = cupedRatioSummaryFromUsers({
 *   numerator: [2, 1, 2, 1, 1, 3, 1, 1], denominator: [9, 6, 11, 4, 8, 10, 7, 5],
 *   preNumerator: [1, 1, 1, 0, 1, 2, 1, 0], preDenominator: [7, 5, 9, 5, 6, 9, 8, 6],
 * });
 * cupedRatioTheta(control, treatment); // => 0.3181838
 */
export function cupedRatioTheta(control: CupedRatioSummary, treatment: CupedRatioSummary): number {
  const c = ratioMoments(control, "control");
  const t = ratioMoments(treatment, "treatment");
  const preVariance = c.preVariance + t.preVariance;
  if (!(preVariance > 0))
    throw new InputError(
      "expected the pre-period ratio to vary across users (its delta-method variance is 0)",
      {
        field: "preNumeratorSumSquares",
      },
    );
  return (c.postPreCovariance + t.postPreCovariance) / preVariance;
}

/**
 * CUPED comparison of two arms for a ratio metric (gbstats `RegressionAdjustedRatioStatistic`). Per arm the
 * adjusted ratio is R - theta S and its per-user variance nabla' Lambda nabla with
 * nabla = (1/D, -M/D^2, -theta/Q, theta P/Q^2) at the arm's means (the delta method, Deng, Knoblich & Lu 2018,
 * KDD); with theta 0 it is the plain delta-method variance of the ratio. The difference is tested as in
 * `cupedTest`. The relative lift (adjusted difference over the control's unadjusted R_c) has the exact
 * delta-method variance of gbstats' `frequentist_variance_relative_cuped_ratio`: control gradient
 * (-(R_c + d)/(D_c R_c^2), M_c (R_c + d)/(D_c^2 R_c^2), theta/(Q_c R_c), -theta P_c/(Q_c^2 R_c)) with d the
 * adjusted difference, treatment gradient nabla_t / R_c.
 *
 * @example
 * // control and treatment as in cupedRatioTheta's example (clicks and impressions of 8 users per arm)
 * cupedRatioTest(control, treatment);
 * // => theta 0.3181838, difference 0.0763302 (unadjusted 0.0833333), standardError 0.0375887 (unadjusted
 * //    0.0394182), varianceReduction 0.0907, pValue 0.0637
 * cupedRatioTest(control, treatment, { theta: 0 }); // => the delta-method ratio test: pValue 0.0548115
 */
export function cupedRatioTest(
  control: CupedRatioSummary,
  treatment: CupedRatioSummary,
  options: CupedOptions = {},
): CupedRatioComparison {
  const alternative = options.alternative ?? "two-sided";
  const theta = fixedTheta(options) ?? cupedRatioTheta(control, treatment);
  const c = ratioMoments(control, "control");
  const t = ratioMoments(treatment, "treatment");
  const pooledPreRatio =
    (control.preNumeratorSum + treatment.preNumeratorSum) /
    (control.preDenominatorSum + treatment.preDenominatorSum);
  const controlArm = ratioArm(c, theta, pooledPreRatio);
  const treatmentArm = ratioArm(t, theta, pooledPreRatio);
  const nc = c.n;
  const nt = t.n;
  const difference = treatmentArm.adjustedRatio - controlArm.adjustedRatio;
  const standardError = Math.sqrt(treatmentArm.adjustedVariance / nt + controlArm.adjustedVariance / nc);
  const unadjustedStandardError = Math.sqrt(treatmentArm.variance / nt + controlArm.variance / nc);
  const degreesOfFreedom = welchDegreesOfFreedom(
    controlArm.adjustedVariance / nc,
    nc,
    treatmentArm.adjustedVariance / nt,
    nt,
  );
  const rc = c.ratio;
  if (rc === 0)
    throw new InputError("expected a non-zero control ratio for the relative lift", {
      field: "control.numeratorSum",
    });
  const [mc, dc, pc, qc] = c.means;
  const scale = (rc + difference) / rc ** 2;
  const controlGradient = [
    -scale / dc,
    (scale * mc) / dc ** 2,
    theta / (qc * rc),
    (-theta * pc) / (qc ** 2 * rc),
  ];
  const treatmentGradient = adjustedGradient(t, theta).map((g) => g / rc);
  const relativeVariance =
    quadraticForm(controlGradient, c.covariance) / nc + quadraticForm(treatmentGradient, t.covariance) / nt;
  const relativeLift = difference / rc;
  const relativeLiftStandardError = Math.sqrt(relativeVariance);
  const tStatistic = difference / standardError;
  return {
    theta,
    control: controlArm,
    treatment: treatmentArm,
    difference,
    standardError,
    unadjustedDifference: treatmentArm.ratio - controlArm.ratio,
    unadjustedStandardError,
    varianceReduction: 1 - standardError ** 2 / unadjustedStandardError ** 2,
    degreesOfFreedom,
    t: tStatistic,
    pValue: tPValue(tStatistic, degreesOfFreedom, alternative),
    relativeLift,
    relativeLiftStandardError,
    relativeLiftPValue: tPValue(relativeLift / relativeLiftStandardError, degreesOfFreedom, alternative),
    alternative,
  };
}

function cupedArm(summary: CupedSummary, theta: number, pooledPreMean: number): CupedArm {
  const { n } = summary;
  const postVariance = variance(n, summary.postSum, summary.postSumSquares);
  const preVariance = variance(n, summary.preSum, summary.preSumSquares);
  const postPreCovariance = covariance(n, summary.postSum, summary.preSum, summary.postPreSumProducts);
  const mean = summary.postSum / n;
  const preMean = summary.preSum / n;
  return {
    n,
    mean,
    preMean,
    variance: postVariance,
    adjustedMean: mean - theta * (preMean - pooledPreMean),
    // Clamped at 0: when X explains Y exactly, rounding can leave a tiny negative number.
    adjustedVariance: Math.max(0, postVariance + theta ** 2 * preVariance - 2 * theta * postPreCovariance),
  };
}

/** An arm's means and per-user covariance matrix of (M, D, P, Q), with the delta-method moments theta needs. */
interface RatioMoments {
  readonly n: number;
  readonly means: readonly [number, number, number, number];
  readonly covariance: readonly (readonly number[])[];
  readonly ratio: number;
  readonly preRatio: number;
  readonly postPreCovariance: number;
  readonly preVariance: number;
}

function ratioMoments(s: CupedRatioSummary, arm: string): RatioMoments {
  const { n } = s;
  if (!Number.isInteger(n) || n < 2)
    throw new InputError(`expected at least 2 users (an integer), got ${n}`, { field: `${arm}.n` });
  for (const [key, value] of Object.entries(s))
    if (!Number.isFinite(value))
      throw new InputError(`expected a finite number, got ${value}`, { field: `${arm}.${key}` });
  if (!(s.denominatorSum > 0))
    throw new InputError(`expected a positive denominator sum, got ${s.denominatorSum}`, {
      field: `${arm}.denominatorSum`,
    });
  if (!(s.preDenominatorSum > 0))
    throw new InputError(`expected a positive pre-period denominator sum, got ${s.preDenominatorSum}`, {
      field: `${arm}.preDenominatorSum`,
    });
  const sums = [s.numeratorSum, s.denominatorSum, s.preNumeratorSum, s.preDenominatorSum] as const;
  const products = [
    [
      s.numeratorSumSquares,
      s.numeratorDenominatorSumProducts,
      s.numeratorPreNumeratorSumProducts,
      s.numeratorPreDenominatorSumProducts,
    ],
    [
      s.numeratorDenominatorSumProducts,
      s.denominatorSumSquares,
      s.denominatorPreNumeratorSumProducts,
      s.denominatorPreDenominatorSumProducts,
    ],
    [
      s.numeratorPreNumeratorSumProducts,
      s.denominatorPreNumeratorSumProducts,
      s.preNumeratorSumSquares,
      s.preNumeratorPreDenominatorSumProducts,
    ],
    [
      s.numeratorPreDenominatorSumProducts,
      s.denominatorPreDenominatorSumProducts,
      s.preNumeratorPreDenominatorSumProducts,
      s.preDenominatorSumSquares,
    ],
  ];
  const covarianceMatrix = products.map((row, i) =>
    row.map((sp, j) => covariance(n, sums[i]!, sums[j]!, sp)),
  );
  const names = [
    "numeratorSumSquares",
    "denominatorSumSquares",
    "preNumeratorSumSquares",
    "preDenominatorSumSquares",
  ];
  covarianceMatrix.forEach((row, i) => {
    if (row[i]! < -1e-9 * (1 + Math.abs(products[i]![i]!)))
      throw new InputError("expected a sum of squares at least (sum)^2 / n (a variance cannot be negative)", {
        field: `${arm}.${names[i]}`,
      });
  });
  const means = sums.map((x) => x / n) as unknown as readonly [number, number, number, number];
  const [m, d, p, q] = means;
  const postGradient = [1 / d, -m / d ** 2, 0, 0];
  const preGradient = [0, 0, 1 / q, -p / q ** 2];
  return {
    n,
    means,
    covariance: covarianceMatrix,
    ratio: s.numeratorSum / s.denominatorSum,
    preRatio: s.preNumeratorSum / s.preDenominatorSum,
    postPreCovariance: bilinearForm(postGradient, covarianceMatrix, preGradient),
    preVariance: quadraticForm(preGradient, covarianceMatrix),
  };
}

/** gbstats' `nabla`: the gradient of M/D - theta P/Q in (M, D, P, Q) at the arm's means. */
function adjustedGradient(moments: RatioMoments, theta: number): number[] {
  const [m, d, p, q] = moments.means;
  return [1 / d, -m / d ** 2, -theta / q, (theta * p) / q ** 2];
}

function ratioArm(moments: RatioMoments, theta: number, pooledPreRatio: number): CupedRatioArm {
  const [m, d] = moments.means;
  return {
    n: moments.n,
    ratio: moments.ratio,
    preRatio: moments.preRatio,
    variance: quadraticForm([1 / d, -m / d ** 2, 0, 0], moments.covariance),
    adjustedRatio: moments.ratio - theta * (moments.preRatio - pooledPreRatio),
    adjustedVariance: Math.max(0, quadraticForm(adjustedGradient(moments, theta), moments.covariance)),
  };
}

function fixedTheta(options: CupedOptions): number | undefined {
  if (options.theta !== undefined && !Number.isFinite(options.theta))
    throw new InputError(`expected a finite theta, got ${options.theta}`, { field: "theta" });
  return options.theta;
}

function validateSummary(s: CupedSummary, arm: string): void {
  if (!Number.isInteger(s.n) || s.n < 2)
    throw new InputError(`expected at least 2 users (an integer), got ${s.n}`, { field: `${arm}.n` });
  for (const [key, value] of Object.entries(s))
    if (!Number.isFinite(value))
      throw new InputError(`expected a finite number, got ${value}`, { field: `${arm}.${key}` });
  for (const [key, sum, squares] of [
    ["postSumSquares", s.postSum, s.postSumSquares],
    ["preSumSquares", s.preSum, s.preSumSquares],
  ] as const)
    if (squares - (sum * sum) / s.n < -1e-9 * (1 + Math.abs(squares)))
      throw new InputError(
        `expected a sum of squares at least (sum)^2 / n = ${(sum * sum) / s.n}, got ${squares}`,
        {
          field: `${arm}.${key}`,
        },
      );
}

/** Sample variance from n, sum and sum of squares, divided by n - 1 as gbstats' `SampleMeanStatistic`. */
function variance(n: number, sum: number, sumSquares: number): number {
  return (sumSquares - (sum * sum) / n) / (n - 1);
}

/** Sample covariance from n, the two sums and the sum of products, divided by n - 1 (gbstats `compute_covariance`). */
function covariance(n: number, sumA: number, sumB: number, sumProducts: number): number {
  return (sumProducts - (sumA * sumB) / n) / (n - 1);
}

function quadraticForm(g: readonly number[], matrix: readonly (readonly number[])[]): number {
  return bilinearForm(g, matrix, g);
}

function bilinearForm(
  a: readonly number[],
  matrix: readonly (readonly number[])[],
  b: readonly number[],
): number {
  let total = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++) total += a[i]! * matrix[i]![j]! * b[j]!;
  return total;
}

/** Welch-Satterthwaite degrees of freedom from each arm's squared standard error s^2/n and n. */
function welchDegreesOfFreedom(
  controlSquaredError: number,
  nc: number,
  treatmentSquaredError: number,
  nt: number,
): number {
  return (
    (controlSquaredError + treatmentSquaredError) ** 2 /
    (controlSquaredError ** 2 / (nc - 1) + treatmentSquaredError ** 2 / (nt - 1))
  );
}

function tPValue(t: number, degreesOfFreedom: number, alternative: Alternative): number {
  if (Number.isNaN(t)) return 1;
  if (alternative === "greater") return studentTUpperTail(t, degreesOfFreedom);
  if (alternative === "less") return studentTUpperTail(-t, degreesOfFreedom);
  return Math.min(1, 2 * studentTUpperTail(Math.abs(t), degreesOfFreedom));
}
