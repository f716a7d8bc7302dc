/**
 * Hypothesis tests for two proportions: the pooled z-test, the chi-square test of the 2x2 table (with Yates'
 * correction as an option) and Fisher's exact test for small counts.
 */
import { chiSquareUpperTail, logChoose, normalCdf, normalUpperTail } from "./distributions";
import { type Alternative, type TwoArmCounts, rate, validateTwoArmCounts } from "./summary";

export interface ZTestResult {
  readonly controlRate: number;
  readonly treatmentRate: number;
  /** treatmentRate - controlRate */
  readonly difference: number;
  /** sqrt(p (1 - p) (1/n_c + 1/n_t)) with the pooled rate p under the null hypothesis */
  readonly standardError: number;
  readonly z: number;
  readonly pValue: number;
  readonly alternative: Alternative;
}

/** p-value of a standard normal statistic `z` for the given alternative. */
export function normalPValue(z: number, alternative: Alternative): number {
  if (Number.isNaN(z)) return 1;
  if (alternative === "greater") return normalUpperTail(z);
  if (alternative === "less") return normalCdf(z);
  return Math.min(1, 2 * normalUpperTail(Math.abs(z)));
}

/**
 * Pooled two-proportion z-test of H0: p_t = p_c.
 * z = (p_t - p_c) / sqrt(p (1 - p) (1/n_t + 1/n_c)), p = (x_t + x_c) / (n_t + n_c)
 * (Fleiss, Levin & Paik 2003, Statistical Methods for Rates and Proportions, 3rd ed., chapter 3, "Assessing significance in a fourfold table").
 * When nobody (or everybody) clicked, the statistic is undefined and the p-value is 1.
 *
 * @example
 * twoProportionZTest({ control: { units: 1124, clicks: 79 }, treatment: { units: 1124, clicks: 124 } });
 * // => z 3.3114, pValue 0.000928 (two-sided)
 */
export function twoProportionZTest(
  counts: TwoArmCounts,
  alternative: Alternative = "two-sided",
): ZTestResult {
  const { control, treatment } = validateTwoArmCounts(counts);
  const controlRate = rate(control);
  const treatmentRate = rate(treatment);
  const pooled = (control.clicks + treatment.clicks) / (control.units + treatment.units);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / control.units + 1 / treatment.units));
  const difference = treatmentRate - controlRate;
  const z = standardError > 0 ? difference / standardError : difference === 0 ? 0 : NaN;
  return {
    controlRate,
    treatmentRate,
    difference,
    standardError,
    z,
    pValue: normalPValue(z, alternative),
    alternative,
  };
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly degreesOfFreedom: 1;
  readonly pValue: number;
  readonly yatesCorrection: boolean;
}

/**
 * Pearson's chi-square test of independence for the 2x2 table (arm x clicked), X^2 = sum (|O - E| - c)^2 / E with
 * c = 0 (then X^2 equals the pooled z squared) or c = 1/2 (Yates' continuity correction; R's `chisq.test` default
 * caps the correction at |O - E|). Fleiss, Levin & Paik 2003, chapter 3. Always two-sided.
 */
export function chiSquareTest(
  counts: TwoArmCounts,
  options: { yatesCorrection?: boolean } = {},
): ChiSquareResult {
  const { control, treatment } = validateTwoArmCounts(counts);
  const yatesCorrection = options.yatesCorrection ?? false;
  const total = control.units + treatment.units;
  const clicks = control.clicks + treatment.clicks;
  const observed = [
    [control.clicks, control.units - control.clicks],
    [treatment.clicks, treatment.units - treatment.clicks],
  ];
  const rowTotals = [control.units, treatment.units];
  const columnTotals = [clicks, total - clicks];
  let statistic = 0;
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++) {
      const expected = (rowTotals[i] * columnTotals[j]) / total;
      if (expected === 0) continue;
      const deviation = Math.abs(observed[i][j] - expected);
      const corrected = yatesCorrection ? Math.max(0, deviation - 0.5) : deviation;
      statistic += (corrected * corrected) / expected;
    }
  return { statistic, degreesOfFreedom: 1, pValue: chiSquareUpperTail(statistic, 1), yatesCorrection };
}

export interface FisherExactResult {
  readonly pValue: number;
  readonly alternative: Alternative;
  /** Sample odds ratio (x_t (n_c - x_c)) / (x_c (n_t - x_t)); Infinity or NaN when a cell is zero. */
  readonly sampleOddsRatio: number;
}

/**
 * Fisher's exact test of the 2x2 table, conditioning on both margins: the number of treatment clicks is
 * hypergeometric under H0. "greater" sums P(X >= x_t); "two-sided" sums the probabilities of all tables no more
 * likely than the observed one (the rule of R's `fisher.test`, with its relative tolerance 1e-7).
 * Fisher 1935, The Design of Experiments; Agresti 2002, Categorical Data Analysis, section 3.5.
 *
 * @example
 * // Fisher's tea-tasting table: 3 of 4 cups identified in each row.
 * fisherExactTest({ control: { units: 4, clicks: 1 }, treatment: { units: 4, clicks: 3 } }, "greater");
 * // => pValue 17/70 = 0.2429
 */
export function fisherExactTest(
  counts: TwoArmCounts,
  alternative: Alternative = "two-sided",
): FisherExactResult {
  const { control, treatment } = validateTwoArmCounts(counts);
  const clicks = control.clicks + treatment.clicks;
  const total = control.units + treatment.units;
  const low = Math.max(0, clicks - control.units);
  const high = Math.min(clicks, treatment.units);
  const logDenominator = logChoose(total, clicks);
  const probability = (k: number) =>
    Math.exp(logChoose(treatment.units, k) + logChoose(control.units, clicks - k) - logDenominator);
  const observed = treatment.clicks;
  let pValue = 0;
  if (alternative === "greater") for (let k = observed; k <= high; k++) pValue += probability(k);
  else if (alternative === "less") for (let k = low; k <= observed; k++) pValue += probability(k);
  else {
    const threshold = probability(observed) * (1 + 1e-7);
    for (let k = low; k <= high; k++) {
      const p = probability(k);
      if (p <= threshold) pValue += p;
    }
  }
  const sampleOddsRatio =
    (treatment.clicks * (control.units - control.clicks)) /
    (control.clicks * (treatment.units - treatment.clicks));
  return { pValue: Math.min(1, pValue), alternative, sampleOddsRatio };
}
