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
import {
  covarianceOfRatios,
  type RatioArm,
  ratioArm,
  type RatioSummary,
  ratioSummary,
  ratioSummaryFromUsers,
  sampleCovariance,
  welchDegreesOfFreedom,
} from "./ratio-metric";
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
  const preVariance = sampleCovariance(pooled.n, pooled.preSum, pooled.preSum, pooled.preSumSquares);
  if (!(preVariance > 0))
    throw new InputError("expected the pre-period covariate to vary across users (its variance is 0)", {
      field: "preSumSquares",
    });
  return sampleCovariance(pooled.n, pooled.postSum, pooled.preSum, pooled.postPreSumProducts) / preVariance;
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
  const controlCovariance = sampleCovariance(nc, control.postSum, control.preSum, control.postPreSumProducts);
  const controlPreVariance = sampleCovariance(nc, control.preSum, control.preSum, control.preSumSquares);
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
 * as the covariate, pre numerator P and denominator Q: the post-period `RatioSummary` of src/stats/ratio-metric.ts,
 * the same sums for (P, Q), and the four cross products of post and pre that the covariance of the two ratios needs.
 */
export interface CupedRatioSummary extends RatioSummary {
  readonly preNumeratorSum: number;
  readonly preNumeratorSumOfSquares: number;
  readonly preDenominatorSum: number;
  readonly preDenominatorSumOfSquares: number;
  /** sum of P Q */
  readonly preSumOfProducts: number;
  /** sum of M P */
  readonly numeratorPreNumeratorSumOfProducts: number;
  /** sum of M Q */
  readonly numeratorPreDenominatorSumOfProducts: number;
  /** sum of D P */
  readonly denominatorPreNumeratorSumOfProducts: number;
  /** sum of D Q */
  readonly denominatorPreDenominatorSumOfProducts: number;
}

/** Per-user values of a ratio metric and its pre-period version, one entry per user in each array. */
export interface CupedRatioUsers {
  readonly numerator: readonly number[];
  readonly denominator: readonly number[];
  readonly preNumerator: readonly number[];
  readonly preDenominator: readonly number[];
}

/**
 * One arm's ratio CUPED summary from per-user values (clicks, impressions, pre-period clicks and impressions):
 * `ratioSummaryFromUsers` of the post and of the pre values, and the cross products. `field` names the arm in
 * errors.
 *
 * @example
 * cupedRatioSummaryFromUsers({ numerator: [1, 0], denominator: [4, 2], preNumerator: [0, 1], preDenominator: [3, 5] });
 * // => { users: 2, numeratorSum: 1, denominatorSum: 6, preNumeratorSum: 1, preDenominatorSum: 8, ... }
 */
export function cupedRatioSummaryFromUsers(
  users: CupedRatioUsers,
  field = "per-user values",
): CupedRatioSummary {
  const { numerator: m, denominator: d, preNumerator: p, preDenominator: q } = users;
  for (const [name, values] of [
    ["denominator", d],
    ["preNumerator", p],
    ["preDenominator", q],
  ] as const)
    if (values.length !== m.length)
      throw new InputError(`expected one value per user: ${m.length} numerators, ${values.length} values`, {
        field: name,
      });
  const post = ratioSummaryFromUsers(m, d, field);
  const pre = ratioSummaryFromUsers(p, q, `${field} (pre-period)`);
  const products = (a: readonly number[], b: readonly number[]): number =>
    a.reduce((total, x, i) => total + x * b[i]!, 0);
  return {
    ...post,
    preNumeratorSum: pre.numeratorSum,
    preNumeratorSumOfSquares: pre.numeratorSumOfSquares,
    preDenominatorSum: pre.denominatorSum,
    preDenominatorSumOfSquares: pre.denominatorSumOfSquares,
    preSumOfProducts: pre.sumOfProducts,
    numeratorPreNumeratorSumOfProducts: products(m, p),
    numeratorPreDenominatorSumOfProducts: products(m, q),
    denominatorPreNumeratorSumOfProducts: products(d, p),
    denominatorPreDenominatorSumOfProducts: products(d, q),
  };
}

/** A ratio-metric CUPED arm: the post ratio R = sum M / sum D, the pre ratio S = sum P / sum Q. */
export interface CupedRatioArm {
  readonly n: number;
  /** R = sum M / sum D */
  readonly ratio: number;
  /** S = sum P / sum Q */
  readonly preRatio: number;
  /** n var(R) by the delta method: `ratioArm(...).perUserVariance` of src/stats/ratio-metric.ts */
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
 * post and pre ratios over the delta-method variance of the pre ratio, each summed over the two arms,
 * theta = (c_c + c_t) / (v_c + v_t), v = `varianceOfRatios` of (P, Q), c = `covarianceOfRatios` of (M, D) and
 * (P, Q), per user. Unlike `cupedTheta` it sums within-arm covariances instead of pooling both arms as one
 * sample, as gbstats does.
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
  const preVariance = c.pre.perUserVariance + t.pre.perUserVariance;
  if (!(preVariance > 0))
    throw new InputError(
      "expected the pre-period ratio to vary across users (its delta-method variance is 0)",
      {
        field: "preNumeratorSumOfSquares",
      },
    );
  return (c.postPreCovariance + t.postPreCovariance) / preVariance;
}

/**
 * CUPED comparison of two arms for a ratio metric (gbstats `RegressionAdjustedRatioStatistic`). Per arm the
 * adjusted ratio is R - theta S and its per-user variance, by the delta method (Deng, Knoblich & Lu 2018, KDD),
 * v_R + theta^2 v_S - 2 theta c_RS: the CUPED variance of `cupedTest` with the linearised ratios as Y and X
 * (gbstats writes it nabla' Lambda nabla over the 4 x 4 covariance of (M, D, P, Q); it is the same number). With
 * theta 0 it is the plain delta-method variance of the ratio. The difference is tested as in `cupedTest`. The
 * relative lift (adjusted difference d over the control's unadjusted R_c) has the delta-method variance of
 * gbstats' `frequentist_variance_relative_cuped_ratio`: the control's gradient is -(R_c + d)/R_c^2 in R_c and
 * theta/R_c in S_c, the treatment's 1/R_c in its adjusted ratio.
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
  const controlArm = cupedRatioArm(c, theta, pooledPreRatio);
  const treatmentArm = cupedRatioArm(t, theta, pooledPreRatio);
  const nc = c.post.users;
  const nt = t.post.users;
  const difference = treatmentArm.adjustedRatio - controlArm.adjustedRatio;
  const standardError = Math.sqrt(treatmentArm.adjustedVariance / nt + controlArm.adjustedVariance / nc);
  const unadjustedStandardError = Math.sqrt(treatmentArm.variance / nt + controlArm.variance / nc);
  const degreesOfFreedom = welchDegreesOfFreedom(
    controlArm.adjustedVariance / nc,
    nc,
    treatmentArm.adjustedVariance / nt,
    nt,
  );
  const rc = c.post.ratio;
  if (rc === 0)
    throw new InputError("expected a non-zero control ratio for the relative lift", {
      field: "control.numeratorSum",
    });
  const controlRatioGradient = -(rc + difference) / rc ** 2;
  const controlPreRatioGradient = theta / rc;
  const relativeVariance =
    (controlRatioGradient ** 2 * c.post.perUserVariance +
      controlPreRatioGradient ** 2 * c.pre.perUserVariance +
      2 * controlRatioGradient * controlPreRatioGradient * c.postPreCovariance) /
      nc +
    treatmentArm.adjustedVariance / (rc ** 2 * nt);
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
  const postVariance = sampleCovariance(n, summary.postSum, summary.postSum, summary.postSumSquares);
  const preVariance = sampleCovariance(n, summary.preSum, summary.preSum, summary.preSumSquares);
  const postPreCovariance = sampleCovariance(n, summary.postSum, summary.preSum, summary.postPreSumProducts);
  const mean = summary.postSum / n;
  const preMean = summary.preSum / n;
  return {
    n,
    mean,
    preMean,
    variance: postVariance,
    adjustedMean: mean - theta * (preMean - pooledPreMean),
    adjustedVariance: adjustedVariance(postVariance, preVariance, postPreCovariance, theta),
  };
}

/** The per-user CUPED variance var(Y) + theta^2 var(X) - 2 theta cov(Y, X) (Deng et al. 2013, control variates). */
function adjustedVariance(varianceY: number, varianceX: number, covarianceYX: number, theta: number): number {
  // Clamped at 0: when X explains Y exactly, rounding can leave a tiny negative number.
  return Math.max(0, varianceY + theta ** 2 * varianceX - 2 * theta * covarianceYX);
}

/** An arm's post and pre ratios with their delta-method moments (src/stats/ratio-metric.ts `ratioArm`). */
interface RatioMoments {
  readonly post: RatioArm;
  readonly pre: RatioArm;
  /** per-user delta-method covariance of the post ratio M/D and the pre ratio P/Q */
  readonly postPreCovariance: number;
}

/** The pre-period (P, Q) sums of a ratio CUPED summary, as a `RatioSummary`. */
function preRatioSummary(s: CupedRatioSummary): RatioSummary {
  return {
    users: s.users,
    numeratorSum: s.preNumeratorSum,
    numeratorSumOfSquares: s.preNumeratorSumOfSquares,
    denominatorSum: s.preDenominatorSum,
    denominatorSumOfSquares: s.preDenominatorSumOfSquares,
    sumOfProducts: s.preSumOfProducts,
  };
}

function ratioMoments(s: CupedRatioSummary, arm: string): RatioMoments {
  const postSummary = ratioSummary(s, arm);
  for (const [key, value] of Object.entries(s))
    if (!Number.isFinite(value))
      throw new InputError(`expected a finite number, got ${value}`, { field: `${arm}.${key}` });
  if (!(s.preDenominatorSum > 0))
    throw new InputError(`expected a positive pre-period denominator sum, got ${s.preDenominatorSum}`, {
      field: `${arm}.preDenominatorSum`,
    });
  const n = s.users;
  for (const [key, sum, squares] of [
    ["numeratorSumOfSquares", s.numeratorSum, s.numeratorSumOfSquares],
    ["denominatorSumOfSquares", s.denominatorSum, s.denominatorSumOfSquares],
    ["preNumeratorSumOfSquares", s.preNumeratorSum, s.preNumeratorSumOfSquares],
    ["preDenominatorSumOfSquares", s.preDenominatorSum, s.preDenominatorSumOfSquares],
  ] as const)
    if (squares - (sum * sum) / n < -1e-9 * (1 + Math.abs(squares)))
      throw new InputError("expected a sum of squares at least (sum)^2 / n (a variance cannot be negative)", {
        field: `${arm}.${key}`,
      });
  const post = ratioArm(postSummary);
  const pre = ratioArm(preRatioSummary(s));
  const postPreCovariance = covarianceOfRatios(post, pre, {
    numerators: sampleCovariance(n, s.numeratorSum, s.preNumeratorSum, s.numeratorPreNumeratorSumOfProducts),
    numeratorDenominator: sampleCovariance(
      n,
      s.numeratorSum,
      s.preDenominatorSum,
      s.numeratorPreDenominatorSumOfProducts,
    ),
    denominatorNumerator: sampleCovariance(
      n,
      s.denominatorSum,
      s.preNumeratorSum,
      s.denominatorPreNumeratorSumOfProducts,
    ),
    denominators: sampleCovariance(
      n,
      s.denominatorSum,
      s.preDenominatorSum,
      s.denominatorPreDenominatorSumOfProducts,
    ),
  });
  return { post, pre, postPreCovariance };
}

function cupedRatioArm(moments: RatioMoments, theta: number, pooledPreRatio: number): CupedRatioArm {
  const { post, pre } = moments;
  return {
    n: post.users,
    ratio: post.ratio,
    preRatio: pre.ratio,
    variance: post.perUserVariance,
    adjustedRatio: post.ratio - theta * (pre.ratio - pooledPreRatio),
    adjustedVariance: adjustedVariance(
      post.perUserVariance,
      pre.perUserVariance,
      moments.postPreCovariance,
      theta,
    ),
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

function tPValue(t: number, degreesOfFreedom: number, alternative: Alternative): number {
  if (Number.isNaN(t)) return 1;
  if (alternative === "greater") return studentTUpperTail(t, degreesOfFreedom);
  if (alternative === "less") return studentTUpperTail(-t, degreesOfFreedom);
  return Math.min(1, 2 * studentTUpperTail(Math.abs(t), degreesOfFreedom));
}
