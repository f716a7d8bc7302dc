/**
 * Sample size per group for comparing two proportions, by the three methods of `SampleSizeMethod`.
 * With the business case (p_c 7%, +4 points, alpha 5%, power 90%) they give 1124, 1074 and 1063 per group
 * (two-sided): the continuity correction adds ~50 users, and Cohen's arcsine transformation stabilises the
 * variance slightly differently from the pooled/unpooled normal approximation.
 */
import { cohensH, type DesignSettings, type ResolvedDesign, type SampleSizeMethod } from "./design";
import { resolveDesign, SAMPLE_SIZE_METHODS } from "./design";

export interface SampleSize {
  readonly method: SampleSizeMethod;
  /** Users needed in the control group (rounded up). */
  readonly controlUsers: number;
  /** Users needed in the treatment group: ceil(ratio * unrounded control size). */
  readonly treatmentUsers: number;
  readonly totalUsers: number;
  /** The formula's unrounded control-group size. */
  readonly controlUsersExact: number;
}

/**
 * The uncorrected normal-approximation size of the control group (Fleiss, Levin & Paik 2003, chapter 4, with
 * control group m and treatment group r m):
 *   m' = [z_a sqrt((r + 1) pbar qbar) + z_b sqrt(r p_c q_c + p_t q_t)]^2 / (r (p_t - p_c)^2),
 *   pbar = (p_c + r p_t) / (r + 1), qbar = 1 - pbar.
 * For r = 1 this is the formula R's `power.prop.test` solves.
 */
export function pooledControlSize(design: ResolvedDesign): number {
  const { baselineRate: pc, treatmentRate: pt, allocationRatio: r, zAlpha, zBeta } = design;
  const pbar = (pc + r * pt) / (r + 1);
  const numerator =
    zAlpha * Math.sqrt((r + 1) * pbar * (1 - pbar)) + zBeta * Math.sqrt(r * pc * (1 - pc) + pt * (1 - pt));
  return numerator ** 2 / (r * (pt - pc) ** 2);
}

/**
 * Fleiss, Tytun & Ury's continuity correction (Biometrics 1980, 36:343-346; Fleiss, Levin & Paik 2003, chapter 4):
 *   m = m'/4 [1 + sqrt(1 + 2 (r + 1) / (r m' |p_t - p_c|))]^2.
 */
export function continuityCorrectedSize(uncorrected: number, design: ResolvedDesign): number {
  const r = design.allocationRatio;
  const delta = Math.abs(design.absoluteEffect);
  return (uncorrected / 4) * (1 + Math.sqrt(1 + (2 * (r + 1)) / (r * uncorrected * delta))) ** 2;
}

/**
 * Cohen's h sample size (Cohen 1988, chapter 6; statsmodels `NormalIndPower().solve_power(h, alpha, power, ratio)`):
 *   m = ((z_a + z_b) / h)^2 (1 + 1/r).
 * statsmodels' two-sided power also counts the opposite rejection tail, which changes m by far less than one user.
 */
export function cohensHControlSize(design: ResolvedDesign): number {
  const h = cohensH(design.baselineRate, design.treatmentRate);
  return ((design.zAlpha + design.zBeta) / h) ** 2 * (1 + 1 / design.allocationRatio);
}

/**
 * Users per group needed to detect the design's effect with the design's power, by `method`.
 *
 * @example
 * sampleSizePerGroup({ baselineRate: 0.07, minimumDetectableEffect: 0.04, alpha: 0.05, power: 0.9 }, "fleiss-cc");
 * // => { controlUsers: 1124, treatmentUsers: 1124, totalUsers: 2248, ... }
 */
export function sampleSizePerGroup(
  settings: DesignSettings,
  method: SampleSizeMethod = "fleiss-cc",
): SampleSize {
  const design = resolveDesign(settings);
  const uncorrected = pooledControlSize(design);
  const exact =
    method === "fleiss-cc"
      ? continuityCorrectedSize(uncorrected, design)
      : method === "pooled"
        ? uncorrected
        : cohensHControlSize(design);
  // Round away floating-point noise before the ceiling (e.g. 1074.0000000000002 stays 1074).
  const ceil = (x: number) => Math.ceil(x - 1e-9);
  const controlUsers = ceil(exact);
  const treatmentUsers = ceil(exact * design.allocationRatio);
  return {
    method,
    controlUsers,
    treatmentUsers,
    totalUsers: controlUsers + treatmentUsers,
    controlUsersExact: exact,
  };
}

/** The sample size by every method, side by side (the `abrec design` table). */
export function sampleSizesByMethod(settings: DesignSettings): SampleSize[] {
  return SAMPLE_SIZE_METHODS.map((method) => sampleSizePerGroup(settings, method));
}
