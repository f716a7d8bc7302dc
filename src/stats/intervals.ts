/**
 * Confidence intervals for click-through rates: Wilson's score interval for each arm, Newcombe's hybrid score
 * interval for the difference of the two rates, and the delta-method interval for the relative lift.
 *
 * One-sided alternatives give one-sided intervals: "greater" gives [lower, Infinity), "less" (-Infinity, upper],
 * at the full level 1 - alpha on the bounded side (as GrowthBook reports one-sided tests). JSON writes the
 * infinite side as null.
 */
import { normalQuantile } from "./distributions";
import {
  type Alternative,
  type ProportionSummary,
  type TwoArmCounts,
  rate,
  requireOpenUnit,
} from "./summary";
import { proportionSummary, validateTwoArmCounts } from "./summary";

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

export interface IntervalSettings {
  /** Significance level; the interval's confidence level is 1 - alpha. Default 0.05. */
  readonly alpha?: number;
  /** Default "two-sided". */
  readonly alternative?: Alternative;
}

/** The normal critical value for the settings: z_{1 - alpha/2} two-sided, z_{1 - alpha} one-sided. */
export function criticalValue(settings: IntervalSettings = {}): number {
  const alpha = requireOpenUnit(settings.alpha ?? 0.05, "alpha");
  return normalQuantile((settings.alternative ?? "two-sided") === "two-sided" ? 1 - alpha / 2 : 1 - alpha);
}

/** Opens the side of a two-sided interval that a one-sided alternative does not bound. */
function sided(interval: Interval, alternative: Alternative): Interval {
  if (alternative === "greater") return { lower: interval.lower, upper: Infinity };
  if (alternative === "less") return { lower: -Infinity, upper: interval.upper };
  return interval;
}

/** Wilson's interval with an explicit critical value z (both sides). */
function wilsonWithZ(summary: ProportionSummary, z: number): Interval {
  const { units: n, clicks: x } = summary;
  const p = x / n;
  const z2 = z * z;
  const center = (x + z2 / 2) / (n + z2);
  const halfWidth = ((z * Math.sqrt(n)) / (n + z2)) * Math.sqrt(p * (1 - p) + z2 / (4 * n));
  // Exact at the edges (x = 0 gives lower 0, x = n upper 1); clamp rounding noise.
  return {
    lower: x === 0 ? 0 : Math.max(0, center - halfWidth),
    upper: x === n ? 1 : Math.min(1, center + halfWidth),
  };
}

/**
 * Wilson score interval for one proportion (Wilson 1927, JASA 22:209-212; method 3 of Newcombe 1998,
 * Statistics in Medicine 17:857-872): the p for which |p_hat - p| / sqrt(p (1 - p) / n) <= z, i.e.
 * (x + z^2/2) / (n + z^2) +- z sqrt(n) / (n + z^2) * sqrt(p_hat (1 - p_hat) + z^2 / (4n)).
 * Unlike the Wald interval it never leaves [0, 1] and keeps its coverage near 0 and 1 clicks.
 *
 * @example
 * wilsonInterval({ units: 263, clicks: 81 }); // => { lower: 0.2553, upper: 0.3662 } (Newcombe 1998a, method 3)
 */
export function wilsonInterval(summary: ProportionSummary, settings: IntervalSettings = {}): Interval {
  const checked = proportionSummary(summary.units, summary.clicks, "summary");
  return sided(wilsonWithZ(checked, criticalValue(settings)), settings.alternative ?? "two-sided");
}

/**
 * Newcombe's hybrid score interval for the difference p_t - p_c of two independent proportions (Newcombe 1998,
 * Statistics in Medicine 17:873-890, method 10), built from the Wilson limits (l, u) of each rate:
 *   lower = d - sqrt((p_t - l_t)^2 + (u_c - p_c)^2),  upper = d + sqrt((u_t - p_t)^2 + (p_c - l_c)^2).
 *
 * @example
 * newcombeDifferenceInterval({ treatment: { units: 70, clicks: 56 }, control: { units: 80, clicks: 48 } });
 * // => { lower: 0.0524, upper: 0.3339 } (Newcombe 1998, example (a))
 */
export function newcombeDifferenceInterval(counts: TwoArmCounts, settings: IntervalSettings = {}): Interval {
  const { control, treatment } = validateTwoArmCounts(counts);
  const z = criticalValue(settings);
  const pc = rate(control);
  const pt = rate(treatment);
  const c = wilsonWithZ(control, z);
  const t = wilsonWithZ(treatment, z);
  const d = pt - pc;
  const interval = {
    lower: d - Math.sqrt((pt - t.lower) ** 2 + (c.upper - pc) ** 2),
    upper: d + Math.sqrt((t.upper - pt) ** 2 + (pc - c.lower) ** 2),
  };
  return sided(interval, settings.alternative ?? "two-sided");
}

export interface RelativeLiftEstimate {
  /** p_t / p_c - 1 */
  readonly lift: number;
  /** Delta-method standard error of the lift. */
  readonly standardError: number;
  readonly interval: Interval;
}

/**
 * Relative lift p_t / p_c - 1 with its delta-method interval (first-order Taylor expansion of the ratio, as in
 * GrowthBook's frequentist engine; Casella & Berger 2002, Statistical Inference, section 5.5.4):
 *   Var(lift) ~= Var(p_t) / p_c^2 + p_t^2 Var(p_c) / p_c^4,  Var(p) = p (1 - p) / n,
 *   interval lift +- z sqrt(Var(lift)).
 * Undefined (NaN) when the control arm has no clicks.
 */
export function relativeLiftInterval(
  counts: TwoArmCounts,
  settings: IntervalSettings = {},
): RelativeLiftEstimate {
  const { control, treatment } = validateTwoArmCounts(counts);
  const z = criticalValue(settings);
  const pc = rate(control);
  const pt = rate(treatment);
  const varC = (pc * (1 - pc)) / control.units;
  const varT = (pt * (1 - pt)) / treatment.units;
  const lift = pc > 0 ? pt / pc - 1 : NaN;
  const standardError = pc > 0 ? Math.sqrt(varT / pc ** 2 + (pt ** 2 * varC) / pc ** 4) : NaN;
  const interval = sided(
    { lower: lift - z * standardError, upper: lift + z * standardError },
    settings.alternative ?? "two-sided",
  );
  return { lift, standardError, interval };
}
