/**
 * Sequential testing that makes peeking safe: GrowthBook's asymptotic confidence sequences (Waudby-Smith,
 * Arnold, Wu, Howard & Ramdas 2023, "Time-uniform central limit theory and asymptotic confidence sequences",
 * Annals of Statistics; arXiv:2103.06476).
 *
 * Method. With N users so far (both arms) and the difference estimate d = p_t - p_c whose variance is
 * V = p_t q_t / n_t + p_c q_c / n_c, let s^2 = V N (the per-user variance the paper's eq. 9 uses). The interval
 *   d +- s sqrt( 2 (N rho^2 + 1) / (N^2 rho^2) * ln( sqrt(N rho^2 + 1) / alpha ) )
 * covers the true difference at every look simultaneously with probability >= 1 - alpha (asymptotically), so the
 * experiment may be checked after every user and stopped as soon as the interval excludes 0.
 *
 * Tuning parameter. rho is chosen so the sequence is tightest when N equals the tuning parameter N*:
 * rho = sqrt((-2 ln alpha + ln(-2 ln alpha + 1)) / N*) (the paper's appendix, eq. 161; GrowthBook's
 * `sequential_tuning_parameter`, default 5000). Choose N* near the total sample size at which you expect to
 * decide (here the designed 2 x 1124 = 2248): a much smaller N* makes late intervals wider, a much larger one
 * early intervals wider; the width changes slowly around the optimum, so a rough guess costs little.
 * Any rho > 0 keeps the guarantee; only the width depends on it.
 *
 * Always-valid p-value. Inverting the interval in alpha at fixed rho gives the smallest alpha at which it
 * excludes 0: p = min(1, sqrt(N rho^2 + 1) exp(-d^2 N^2 rho^2 / (2 s^2 (N rho^2 + 1)))). Over a sequence of looks
 * the running minimum is reported, and the running intersection of the intervals (both remain valid).
 *
 * The sequences are two-sided. They are asymptotic: the guarantee relies on the central limit theorem, which is
 * adequate from a few hundred users per arm at click-through rates like 7% (the tests check it by simulation).
 */
import { InputError } from "../core/errors";
import type { Interval } from "./intervals";
import { twoProportionZTest } from "./proportions-test";
import { type TwoArmCounts, rate, requireOpenUnit, validateTwoArmCounts } from "./summary";

export interface SequentialSettings {
  /** Probability that the interval ever misses the true difference. Default 0.05. */
  readonly alpha?: number;
  /** N*, the total number of users at which the sequence is tightest. Default 5000 (GrowthBook's default). */
  readonly tuningParameter?: number;
}

export const DEFAULT_SEQUENTIAL_TUNING_PARAMETER = 5000;

export interface SequentialResult {
  readonly alpha: number;
  readonly tuningParameter: number;
  /** The mixing parameter rho derived from alpha and the tuning parameter. */
  readonly rho: number;
  readonly totalUnits: number;
  /** p_t - p_c */
  readonly difference: number;
  /** sqrt(p_t q_t / n_t + p_c q_c / n_c) (unpooled) */
  readonly standardError: number;
  /** Always-valid confidence interval of the difference at this look. */
  readonly interval: Interval;
  /** Always-valid p-value of H0: p_t = p_c at this look. */
  readonly pValue: number;
}

/**
 * rho = sqrt((-2 ln alpha + ln(-2 ln alpha + 1)) / N*) (Waudby-Smith et al. 2023, eq. 161).
 *
 * @example
 * sequentialRho(0.05, 5000); // => 0.03984
 */
export function sequentialRho(alpha: number, tuningParameter: number): number {
  const logAlpha = Math.log(alpha);
  return Math.sqrt((-2 * logAlpha + Math.log(-2 * logAlpha + 1)) / tuningParameter);
}

/**
 * Half-width of the two-sided asymptotic confidence sequence (Waudby-Smith et al. 2023, eq. 9):
 * sqrt(s2) sqrt(2 (N rho^2 + 1) / (N^2 rho^2) ln(sqrt(N rho^2 + 1) / alpha)), s2 the per-user variance.
 */
export function confidenceSequenceHalfWidth(
  s2: number,
  totalUnits: number,
  rho: number,
  alpha: number,
): number {
  const nr2 = totalUnits * rho * rho;
  return (
    Math.sqrt(s2) * Math.sqrt(((2 * (nr2 + 1)) / (nr2 * totalUnits)) * Math.log(Math.sqrt(nr2 + 1) / alpha))
  );
}

function resolveSettings(settings: SequentialSettings) {
  const alpha = requireOpenUnit(settings.alpha ?? 0.05, "alpha");
  const tuningParameter = settings.tuningParameter ?? DEFAULT_SEQUENTIAL_TUNING_PARAMETER;
  if (!(Number.isFinite(tuningParameter) && tuningParameter > 0))
    throw new InputError(`expected a positive sequential tuning parameter, got ${tuningParameter}`, {
      field: "tuningParameter",
    });
  return { alpha, tuningParameter, rho: sequentialRho(alpha, tuningParameter) };
}

/**
 * The always-valid interval and p-value for the difference p_t - p_c at one look.
 *
 * @example
 * sequentialAnalysis({ control: { units: 1124, clicks: 79 }, treatment: { units: 1124, clicks: 124 } });
 * // => interval [0.0026, 0.0774] excludes 0; pValue 0.029 (the fixed-n test gives 0.000928)
 */
export function sequentialAnalysis(
  counts: TwoArmCounts,
  settings: SequentialSettings = {},
): SequentialResult {
  const { control, treatment } = validateTwoArmCounts(counts);
  const pc = rate(control);
  const pt = rate(treatment);
  const variance = (pt * (1 - pt)) / treatment.units + (pc * (1 - pc)) / control.units;
  return sequentialFromEstimate(
    { difference: pt - pc, standardError: Math.sqrt(variance), totalUnits: control.units + treatment.units },
    settings,
  );
}

/**
 * The same always-valid interval and p-value for any asymptotically normal difference with its standard error,
 * N units so far in both arms (s^2 = SE^2 N): `sequentialAnalysis` passes the difference of two proportions, the
 * user-level analysis the delta method's difference of two ratios (GrowthBook's sequential testing of ratio
 * metrics does the same with the delta-method variance).
 *
 * @example
 * // sequentialAnalysis's example as an estimate: 124/1124 - 79/1124 with its unpooled binomial SE
 * sequentialFromEstimate({ difference: 0.0400356, standardError: 0.0120606, totalUnits: 2248 }).pValue; // => 0.0289
 */
export function sequentialFromEstimate(
  estimate: { readonly difference: number; readonly standardError: number; readonly totalUnits: number },
  settings: SequentialSettings = {},
): SequentialResult {
  const { alpha, tuningParameter, rho } = resolveSettings(settings);
  const { difference, standardError, totalUnits } = estimate;
  const s2 = standardError ** 2 * totalUnits;
  // With no variance estimate yet (every rate 0 or 1) the plug-in sequence is degenerate: report no information
  // (the whole range and p = 1) rather than a zero-width interval.
  const informative = s2 > 0;
  const halfWidth = informative ? confidenceSequenceHalfWidth(s2, totalUnits, rho, alpha) : NaN;
  const nr2 = totalUnits * rho * rho;
  const pValue = informative
    ? Math.min(
        1,
        Math.sqrt(nr2 + 1) *
          Math.exp(-(difference ** 2 * totalUnits * totalUnits * rho * rho) / (2 * s2 * (nr2 + 1))),
      )
    : 1;
  return {
    alpha,
    tuningParameter,
    rho,
    totalUnits,
    difference,
    standardError,
    interval: informative
      ? { lower: difference - halfWidth, upper: difference + halfWidth }
      : { lower: -1, upper: 1 },
    pValue,
  };
}

export interface SequentialLook {
  readonly controlUnits: number;
  readonly treatmentUnits: number;
  readonly difference: number;
  /** This look's always-valid interval. */
  readonly interval: Interval;
  /** Intersection of all intervals so far (still valid, never wider). */
  readonly runningInterval: Interval;
  /** Running minimum of the always-valid p-values so far. */
  readonly pValue: number;
  /** The fixed-n pooled z-test's p-value at this look (not valid under peeking; shown for comparison). */
  readonly fixedSamplePValue: number;
  /** True once the always-valid p-value has fallen below alpha (stopping for efficacy is allowed). */
  readonly significant: boolean;
}

/**
 * The always-valid p-value and interval after each of a sequence of looks at cumulative counts (for the results
 * report's peeking plot). Looks must be cumulative: users never decrease from one look to the next.
 */
export function sequentialLooks(
  looks: readonly TwoArmCounts[],
  settings: SequentialSettings = {},
): SequentialLook[] {
  const out: SequentialLook[] = [];
  let lower = -Infinity;
  let upper = Infinity;
  let minP = 1;
  looks.forEach((look, index) => {
    const previous = looks[index - 1];
    if (
      previous &&
      (look.control.units < previous.control.units || look.treatment.units < previous.treatment.units)
    )
      throw new InputError(`look ${index}: users decreased; looks must be cumulative counts`, {
        field: "looks",
      });
    const result = sequentialAnalysis(look, settings);
    lower = Math.max(lower, result.interval.lower);
    upper = Math.min(upper, result.interval.upper);
    minP = Math.min(minP, result.pValue);
    out.push({
      controlUnits: look.control.units,
      treatmentUnits: look.treatment.units,
      difference: result.difference,
      interval: result.interval,
      runningInterval: { lower, upper },
      pValue: minP,
      fixedSamplePValue: twoProportionZTest(look).pValue,
      significant: minP < result.alpha,
    });
  });
  return out;
}
