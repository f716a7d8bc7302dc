/**
 * The experiment's design settings (baseline rate, minimum detectable effect, alpha, power, sides, allocation)
 * and their validation, shared by the sample-size, power and minimum-detectable-effect functions.
 */
import { InputError } from "../core/errors";
import { normalQuantile } from "./distributions";
import { requireOpenUnit, requirePositive } from "./summary";

/**
 * How the per-group sample size is computed:
 * - "fleiss-cc": normal approximation with the pooled variance under H0 plus Fleiss, Tytun & Ury's continuity
 *   correction (the business case's method; Fleiss, Levin & Paik 2003, chapter 4);
 * - "pooled": the same without the continuity correction (what R's `power.prop.test` gives);
 * - "cohen-h": the arcsine effect size h = 2 asin(sqrt(p_t)) - 2 asin(sqrt(p_c)) (Cohen 1988, chapter 6; what
 *   statsmodels' `NormalIndPower` gives with `proportion_effectsize`).
 */
export type SampleSizeMethod = "fleiss-cc" | "pooled" | "cohen-h";

export const SAMPLE_SIZE_METHODS: readonly SampleSizeMethod[] = ["fleiss-cc", "pooled", "cohen-h"];

export interface DesignSettings {
  /** Control (baseline) click-through rate p_c, 0 < p_c < 1. */
  readonly baselineRate: number;
  /** The smallest effect worth detecting: absolute (p_t - p_c) or, with `relativeEffect`, relative (p_t / p_c - 1). */
  readonly minimumDetectableEffect: number;
  /** Default false: the effect is absolute (percentage points as a fraction, 0.04 = 4 points). */
  readonly relativeEffect?: boolean;
  /** Significance level. Default 0.05. */
  readonly alpha?: number;
  /** Probability of detecting the effect when it is real, 1 - beta. Default 0.9 (the business case). */
  readonly power?: number;
  /** Default false (two-sided). One-sided tests "the treatment is better". */
  readonly oneSided?: boolean;
  /** Allocation ratio n_treatment / n_control. Default 1. */
  readonly allocationRatio?: number;
}

/** Design settings with defaults applied, validated, and the implied treatment rate. */
export interface ResolvedDesign {
  readonly baselineRate: number;
  readonly treatmentRate: number;
  /** p_t - p_c */
  readonly absoluteEffect: number;
  /** p_t / p_c - 1 */
  readonly relativeEffect: number;
  readonly alpha: number;
  readonly power: number;
  readonly oneSided: boolean;
  readonly allocationRatio: number;
  /** z_{1 - alpha/2} (two-sided) or z_{1 - alpha} (one-sided) */
  readonly zAlpha: number;
  /** z_{power} */
  readonly zBeta: number;
}

/**
 * Applies defaults and validates: rates, alpha and power strictly inside (0, 1), a non-zero effect that keeps the
 * treatment rate inside (0, 1), a positive allocation ratio.
 *
 * @throws InputError naming the offending setting.
 */
export function resolveDesign(settings: DesignSettings): ResolvedDesign {
  const baselineRate = requireOpenUnit(settings.baselineRate, "baseline");
  const alpha = requireOpenUnit(settings.alpha ?? 0.05, "alpha");
  const power = requireOpenUnit(settings.power ?? 0.9, "power");
  const allocationRatio = requirePositive(settings.allocationRatio ?? 1, "ratio");
  const effect = settings.minimumDetectableEffect;
  if (!Number.isFinite(effect) || effect === 0)
    throw new InputError(`expected a non-zero minimum detectable effect, got ${effect}`, { field: "mde" });
  const treatmentRate = settings.relativeEffect ? baselineRate * (1 + effect) : baselineRate + effect;
  if (!(treatmentRate > 0 && treatmentRate < 1))
    throw new InputError(
      `baseline ${baselineRate} with this effect gives a treatment rate of ${treatmentRate}, outside 0..1`,
      { field: "mde" },
    );
  const oneSided = settings.oneSided ?? false;
  return {
    baselineRate,
    treatmentRate,
    absoluteEffect: treatmentRate - baselineRate,
    relativeEffect: treatmentRate / baselineRate - 1,
    alpha,
    power,
    oneSided,
    allocationRatio,
    zAlpha: normalQuantile(oneSided ? 1 - alpha : 1 - alpha / 2),
    zBeta: normalQuantile(power),
  };
}

/** Cohen's effect size h = 2 asin(sqrt(p_t)) - 2 asin(sqrt(p_c)) (Cohen 1988, Statistical Power Analysis for the Behavioral Sciences, chapter 6). */
export function cohensH(baselineRate: number, treatmentRate: number): number {
  return 2 * Math.asin(Math.sqrt(treatmentRate)) - 2 * Math.asin(Math.sqrt(baselineRate));
}
