/**
 * Ratio metrics (clicks per impression when the randomisation unit is the user, who sees many impressions) from
 * per-user summary statistics, as GrowthBook's gbstats computes them (gbstats/models/statistics.py
 * `RatioStatistic`, gbstats/utils.py `variance_of_ratios` and `frequentist_variance`,
 * gbstats/frequentist/tests.py): the ratio sum M / sum D, its delta-method variance (Deng, Knoblich & Lu 2018,
 * "Applying the Delta Method in Metric Analytics", KDD, section 3), and the absolute difference and relative lift
 * of two arms with a z-test or gbstats' Welch t-test.
 *
 * Impressions of one user are not independent, so the per-impression binomial variance understates the
 * variance; the delta method treats the user as the unit: M_u and D_u are per-user sums, and only users are
 * assumed independent.
 */
import { InputError } from "../core/errors";
import { normalQuantile, studentTQuantile, studentTUpperTail } from "./distributions";
import type { Interval } from "./intervals";
import { normalPValue } from "./proportions-test";
import { requireOpenUnit } from "./summary";

/** One arm's per-user sums: n users, sums and sums of squares of M_u and D_u, and sum of M_u D_u. */
export interface RatioSummary {
  readonly users: number;
  readonly numeratorSum: number;
  readonly numeratorSumOfSquares: number;
  readonly denominatorSum: number;
  readonly denominatorSumOfSquares: number;
  readonly sumOfProducts: number;
}

/**
 * Validates and freezes a ratio summary given directly (as gbstats' `RatioStatistic(n, m_statistic, d_statistic,
 * m_d_sum_of_products)`): at least 2 users (the sample variances divide by n - 1), finite sums, and a positive
 * denominator sum (the ratio divides by it). Throws InputError naming `${field}.<property>`.
 *
 * @example
 * ratioSummary({ users: 100, numeratorSum: 270, numeratorSumOfSquares: 848.79, denominatorSum: 510,
 *   denominatorSumOfSquares: 810, sumOfProducts: -900 }).denominatorSum; // => 510
 */
export function ratioSummary(summary: RatioSummary, field = "ratio summary"): RatioSummary {
  if (!(Number.isInteger(summary.users) && summary.users >= 2))
    throw new InputError(`expected at least 2 users (an integer), got ${summary.users}`, {
      field: `${field}.users`,
    });
  for (const key of [
    "numeratorSum",
    "numeratorSumOfSquares",
    "denominatorSum",
    "denominatorSumOfSquares",
    "sumOfProducts",
  ] as const)
    if (!Number.isFinite(summary[key]))
      throw new InputError(`expected a finite number, got ${summary[key]}`, { field: `${field}.${key}` });
  if (!(summary.denominatorSum > 0))
    throw new InputError(
      `expected a positive denominator sum (the ratio divides by it), got ${summary.denominatorSum}`,
      {
        field: `${field}.denominatorSum`,
      },
    );
  return Object.freeze({
    users: summary.users,
    numeratorSum: summary.numeratorSum,
    numeratorSumOfSquares: summary.numeratorSumOfSquares,
    denominatorSum: summary.denominatorSum,
    denominatorSumOfSquares: summary.denominatorSumOfSquares,
    sumOfProducts: summary.sumOfProducts,
  });
}

/**
 * The ratio summary of per-user values: numerators[u] = M_u (clicks of user u), denominators[u] = D_u
 * (impressions of user u), the same users in the same order.
 *
 * @example
 * ratioSummaryFromUsers([1, 0, 2], [10, 5, 8]);
 * // => { users: 3, numeratorSum: 3, numeratorSumOfSquares: 5, denominatorSum: 23,
 * //      denominatorSumOfSquares: 189, sumOfProducts: 26 }
 */
export function ratioSummaryFromUsers(
  numerators: readonly number[],
  denominators: readonly number[],
  field = "per-user values",
): RatioSummary {
  if (numerators.length !== denominators.length)
    throw new InputError(
      `expected one denominator per numerator, got ${numerators.length} numerators and ${denominators.length} denominators`,
      { field },
    );
  let numeratorSum = 0;
  let numeratorSumOfSquares = 0;
  let denominatorSum = 0;
  let denominatorSumOfSquares = 0;
  let sumOfProducts = 0;
  numerators.forEach((m, u) => {
    const d = denominators[u];
    if (!Number.isFinite(m) || !Number.isFinite(d))
      throw new InputError(`user ${u}: expected finite values, got ${m} / ${d}`, { field });
    numeratorSum += m;
    numeratorSumOfSquares += m * m;
    denominatorSum += d;
    denominatorSumOfSquares += d * d;
    sumOfProducts += m * d;
  });
  return ratioSummary(
    {
      users: numerators.length,
      numeratorSum,
      numeratorSumOfSquares,
      denominatorSum,
      denominatorSumOfSquares,
      sumOfProducts,
    },
    field,
  );
}

/**
 * Unbiased sample covariance from sums, (sum xy - sum x sum y / n) / (n - 1); with y = x it is the sample
 * variance. gbstats divides by n - 1 too (`SampleMeanStatistic.variance`, `RatioStatistic.covariance`).
 *
 * @example
 * sampleCovariance(3, 3, 3, 5); // => 1 (the variance of [1, 0, 2])
 */
export function sampleCovariance(n: number, sumX: number, sumY: number, sumOfProducts: number): number {
  return (sumOfProducts - (sumX * sumY) / n) / (n - 1);
}

/**
 * Delta-method variance of M / D for random variables M, D with the given means, variances and covariance
 * (Deng, Knoblich & Lu 2018, section 3; gbstats/utils.py `variance_of_ratios`):
 * var(M)/mu_D^2 + var(D) mu_M^2/mu_D^4 - 2 cov(M, D) mu_M/mu_D^3.
 *
 * @example
 * varianceOfRatios(1, 0.5, 10, 4, 1); // => 0.5/100 + 4/10000 - 2/1000 = 0.0034
 */
export function varianceOfRatios(
  meanM: number,
  varianceM: number,
  meanD: number,
  varianceD: number,
  covarianceMD: number,
): number {
  return (
    varianceM / meanD ** 2 + (varianceD * meanM ** 2) / meanD ** 4 - (2 * covarianceMD * meanM) / meanD ** 3
  );
}

/** The per-user covariances of two ratios' parts: (M1, M2), (M1, D2), (D1, M2), (D1, D2). */
export interface RatioPartCovariances {
  readonly numerators: number;
  readonly numeratorDenominator: number;
  readonly denominatorNumerator: number;
  readonly denominators: number;
}

/**
 * Delta-method covariance of two ratios M1 / D1 and M2 / D2 measured on the same users (Deng, Knoblich & Lu 2018,
 * section 3): g1' Sigma g2 with gradients g = (1/mu_D, -mu_M/mu_D^2), that is cov(M1, M2)/(mu_D1 mu_D2)
 * - cov(M1, D2) mu_M2/(mu_D1 mu_D2^2) - cov(D1, M2) mu_M1/(mu_D1^2 mu_D2) + cov(D1, D2) mu_M1 mu_M2/(mu_D1^2 mu_D2^2).
 * With the same ratio twice it is `varianceOfRatios`; CUPED for ratio metrics needs it between the post and
 * pre-period ratio (gbstats `compute_theta_regression_adjusted_ratio`).
 *
 * @example
 * const moments = { numeratorMean: 1, denominatorMean: 10 };
 * covarianceOfRatios(moments, moments, { numerators: 0.5, numeratorDenominator: 1, denominatorNumerator: 1,
 *   denominators: 4 }); // => 0.0034, varianceOfRatios(1, 0.5, 10, 4, 1)
 */
export function covarianceOfRatios(
  first: { readonly numeratorMean: number; readonly denominatorMean: number },
  second: { readonly numeratorMean: number; readonly denominatorMean: number },
  covariances: RatioPartCovariances,
): number {
  const { numeratorMean: m1, denominatorMean: d1 } = first;
  const { numeratorMean: m2, denominatorMean: d2 } = second;
  return (
    covariances.numerators / (d1 * d2) -
    (covariances.numeratorDenominator * m2) / (d1 * d2 ** 2) -
    (covariances.denominatorNumerator * m1) / (d1 ** 2 * d2) +
    (covariances.denominators * m1 * m2) / (d1 ** 2 * d2 ** 2)
  );
}

/** One arm's ratio and the moments its variance is built from. */
export interface RatioArm {
  readonly users: number;
  /** sum M / sum D */
  readonly ratio: number;
  readonly numeratorMean: number;
  readonly denominatorMean: number;
  /** sample variances and covariance of the per-user M_u and D_u (divided by n - 1) */
  readonly numeratorVariance: number;
  readonly denominatorVariance: number;
  readonly covariance: number;
  /** the per-user delta-method variance, `varianceOfRatios` of the moments above */
  readonly perUserVariance: number;
  /** perUserVariance / n: the variance of the ratio itself */
  readonly variance: number;
  readonly standardError: number;
}

/**
 * The ratio of one arm with its delta-method variance (gbstats `RatioStatistic`: `mean` is m.sum / d.sum,
 * `variance` is `variance_of_ratios` of the per-user moments; the test divides it by n).
 *
 * @example
 * const arm = ratioArm(ratioSummaryFromUsers([1, 0, 2, 1, 0, 1, 2, 0], [10, 5, 8, 12, 3, 7, 9, 6]));
 * arm.ratio; // => 0.1166667 (7 / 60)
 */
export function ratioArm(summary: RatioSummary): RatioArm {
  const s = ratioSummary(summary);
  const n = s.users;
  const numeratorMean = s.numeratorSum / n;
  const denominatorMean = s.denominatorSum / n;
  const numeratorVariance = sampleCovariance(n, s.numeratorSum, s.numeratorSum, s.numeratorSumOfSquares);
  const denominatorVariance = sampleCovariance(
    n,
    s.denominatorSum,
    s.denominatorSum,
    s.denominatorSumOfSquares,
  );
  const covariance = sampleCovariance(n, s.numeratorSum, s.denominatorSum, s.sumOfProducts);
  const perUserVariance = varianceOfRatios(
    numeratorMean,
    numeratorVariance,
    denominatorMean,
    denominatorVariance,
    covariance,
  );
  const variance = perUserVariance / n;
  return {
    users: n,
    ratio: s.numeratorSum / s.denominatorSum,
    numeratorMean,
    denominatorMean,
    numeratorVariance,
    denominatorVariance,
    covariance,
    perUserVariance,
    variance,
    standardError: Math.sqrt(variance),
  };
}

/**
 * Welch-Satterthwaite degrees of freedom from the two arms' variances of the mean v = s^2 / n (Welch 1947,
 * Biometrika 34:28-35; gbstats `TTest.dof`): (v_c + v_t)^2 / (v_c^2 / (n_c - 1) + v_t^2 / (n_t - 1)).
 *
 * @example
 * welchDegreesOfFreedom(0.25, 10, 0.25, 10); // => 18 (equal arms: n_c + n_t - 2)
 */
export function welchDegreesOfFreedom(
  controlVariance: number,
  controlUsers: number,
  treatmentVariance: number,
  treatmentUsers: number,
): number {
  return (
    (controlVariance + treatmentVariance) ** 2 /
    (controlVariance ** 2 / (controlUsers - 1) + treatmentVariance ** 2 / (treatmentUsers - 1))
  );
}

/** "z": normal reference distribution; "welch": Student's t with Welch-Satterthwaite degrees of freedom. */
export type RatioTest = "z" | "welch";

export interface RatioComparisonSettings {
  /** Significance level; intervals have confidence 1 - alpha. Default 0.05. */
  readonly alpha?: number;
  /** Default "z". */
  readonly test?: RatioTest;
}

/** An effect (difference or relative lift) with its test against 0. */
export interface RatioEffect {
  readonly estimate: number;
  readonly standardError: number;
  /** estimate / standardError: z, or t for the Welch test */
  readonly statistic: number;
  /** Infinity for the z-test */
  readonly degreesOfFreedom: number;
  readonly pValueTwoSided: number;
  /** one-sided, alternative "treatment greater" */
  readonly pValueGreater: number;
  /** estimate -/+ q_{1 - alpha/2} SE */
  readonly intervalTwoSided: Interval;
  /** [estimate - q_{1 - alpha} SE, Infinity) */
  readonly intervalGreater: Interval;
}

export interface RatioComparison {
  readonly control: RatioArm;
  readonly treatment: RatioArm;
  readonly test: RatioTest;
  readonly alpha: number;
  /** treatment ratio - control ratio, variance v_c + v_t */
  readonly difference: RatioEffect;
  /** (treatment - control) / control, delta-method variance (gbstats `frequentist_variance`, relative) */
  readonly relativeLift: RatioEffect;
}

/**
 * The test of an estimate with the given standard error against 0, under N(0, 1) (dof = Infinity) or t(dof):
 * the statistic, both p-values and both intervals at confidence 1 - alpha. CUPED's adjusted estimates
 * (src/stats/cuped.ts) are reported through it too.
 *
 * @example
 * ratioEffect(0.0833333, 0.0394182, Infinity, 0.05).pValueTwoSided; // => 0.0345081
 */
export function ratioEffect(
  estimate: number,
  standardError: number,
  dof: number,
  alpha: number,
): RatioEffect {
  const statistic = estimate / standardError;
  const normal = dof === Infinity;
  const upperTail = (x: number) => (normal ? normalPValue(x, "greater") : studentTUpperTail(x, dof));
  const quantile = (p: number) => (normal ? normalQuantile(p) : studentTQuantile(p, dof));
  const halfTwoSided = quantile(1 - alpha / 2) * standardError;
  return {
    estimate,
    standardError,
    statistic,
    degreesOfFreedom: dof,
    pValueTwoSided: Math.min(1, 2 * upperTail(Math.abs(statistic))),
    pValueGreater: upperTail(statistic),
    intervalTwoSided: { lower: estimate - halfTwoSided, upper: estimate + halfTwoSided },
    intervalGreater: { lower: estimate - quantile(1 - alpha) * standardError, upper: Infinity },
  };
}

/**
 * Compares the ratio of two arms (gbstats' frequentist `TwoSidedTTest` on two `RatioStatistic`s, absolute and
 * relative). Difference: r_t - r_c with variance v_c + v_t, v = perUserVariance / n. Relative lift:
 * (r_t - r_c) / r_c with the delta-method variance v_t / r_c^2 + v_c r_t^2 / r_c^4 (`variance_of_ratios` of
 * the two independent arm means). The Welch test uses the same degrees of freedom for both, as gbstats does.
 * Throws InputError when an arm's delta-method variance is not positive (the test is undefined) or the control
 * ratio is 0 (no relative lift).
 *
 * @example
 * const control = ratioSummaryFromUsers([1, 0, 2, 1, 0, 1, 2, 0], [10, 5, 8, 12, 3, 7, 9, 6]);
 * const treatment = ratioSummaryFromUsers([2, 1, 2, 1, 1, 3, 1, 1], [9, 6, 11, 4, 8, 10, 7, 5]);
 * compareRatioArms(control, treatment).difference;
 * // => estimate 0.0833333, standardError 0.0394182, pValueTwoSided 0.0345081,
 * //    intervalTwoSided { lower: 0.0060751, upper: 0.1605915 }
 * compareRatioArms(control, treatment, { test: "welch" }).difference.pValueTwoSided; // => 0.0548115
 */
export function compareRatioArms(
  controlSummary: RatioSummary,
  treatmentSummary: RatioSummary,
  settings: RatioComparisonSettings = {},
): RatioComparison {
  const alpha = requireOpenUnit(settings.alpha ?? 0.05, "alpha");
  const test = settings.test ?? "z";
  const control = ratioArm(ratioSummary(controlSummary, "control"));
  const treatment = ratioArm(ratioSummary(treatmentSummary, "treatment"));
  for (const [name, arm] of [
    ["control", control],
    ["treatment", treatment],
  ] as const)
    if (!(arm.perUserVariance > 0))
      throw new InputError(
        `expected a positive delta-method variance, got ${arm.perUserVariance} (every user has the same ratio?)`,
        { field: name },
      );
  if (control.ratio === 0)
    throw new InputError("the control ratio is 0, so the relative lift is undefined", {
      field: "control.numeratorSum",
    });
  const dof =
    test === "welch"
      ? welchDegreesOfFreedom(control.variance, control.users, treatment.variance, treatment.users)
      : Infinity;
  const relativeVariance = varianceOfRatios(
    treatment.ratio,
    treatment.variance,
    control.ratio,
    control.variance,
    0,
  );
  return {
    control,
    treatment,
    test,
    alpha,
    difference: ratioEffect(
      treatment.ratio - control.ratio,
      Math.sqrt(control.variance + treatment.variance),
      dof,
      alpha,
    ),
    relativeLift: ratioEffect(
      (treatment.ratio - control.ratio) / control.ratio,
      Math.sqrt(relativeVariance),
      dof,
      alpha,
    ),
  };
}
