/**
 * One call that analyses a two-proportion experiment the way experimentation platforms report it: rates with
 * Wilson intervals, the difference with Newcombe's interval, the relative lift with the delta method, the z-test,
 * chi-square (plain and Yates) and Fisher's exact test, the Bayesian beta-binomial view, the always-valid
 * sequential result and the sample-ratio-mismatch check. `abrec analyze` prints this object; the results report
 * reads it from JSON.
 */
import { type BayesianResult, bayesianAnalysis, type BetaDistribution } from "./bayesian";
import { type Interval, newcombeDifferenceInterval, relativeLiftInterval, wilsonInterval } from "./intervals";
import {
  type ChiSquareResult,
  chiSquareTest,
  type FisherExactResult,
  fisherExactTest,
  twoProportionZTest,
  type ZTestResult,
} from "./proportions-test";
import { DEFAULT_SEQUENTIAL_TUNING_PARAMETER, sequentialAnalysis, type SequentialResult } from "./sequential";
import { type SampleRatioMismatch, sampleRatioMismatch } from "./srm";
import { type Alternative, rate, requireOpenUnit, requirePositive, type TwoArmCounts } from "./summary";
import { validateTwoArmCounts } from "./summary";

export interface AnalysisSettings {
  /** Significance level. Default 0.05. */
  readonly alpha?: number;
  /** Default "two-sided"; "greater" tests "the treatment is better". */
  readonly alternative?: Alternative;
  /** Planned n_treatment / n_control, for the SRM check. Default 1. */
  readonly allocationRatio?: number;
  /** Sequential tuning parameter N*. Default 5000 (GrowthBook); the designed total (2248) is a good choice here. */
  readonly sequentialTuningParameter?: number;
  /** Beta prior of the Bayesian analysis. Default Beta(1, 1). */
  readonly prior?: BetaDistribution;
}

export interface ArmResult {
  readonly units: number;
  readonly clicks: number;
  /** clicks / units */
  readonly rate: number;
  /** Wilson interval of the rate. */
  readonly interval: Interval;
}

export interface ExperimentAnalysis {
  readonly settings: {
    readonly alpha: number;
    readonly alternative: Alternative;
    /** 1 - alpha */
    readonly confidenceLevel: number;
    readonly allocationRatio: number;
    readonly sequentialTuningParameter: number;
    readonly prior: BetaDistribution;
  };
  readonly control: ArmResult;
  readonly treatment: ArmResult;
  /** p_t - p_c with Newcombe's interval. */
  readonly difference: { readonly estimate: number; readonly interval: Interval };
  /** p_t / p_c - 1 with the delta-method interval. */
  readonly relativeLift: {
    readonly estimate: number;
    readonly standardError: number;
    readonly interval: Interval;
  };
  readonly zTest: ZTestResult;
  readonly chiSquare: ChiSquareResult;
  readonly chiSquareYates: ChiSquareResult;
  readonly fisherExact: FisherExactResult;
  readonly bayesian: BayesianResult;
  /** Always-valid (two-sided) result; valid however often the experiment was looked at. */
  readonly sequential: SequentialResult;
  readonly sampleRatioMismatch: SampleRatioMismatch;
  /** zTest.pValue < alpha */
  readonly significant: boolean;
  /** One plain sentence for people. */
  readonly conclusion: string;
}

function percent(x: number, digits = 2): string {
  return `${(100 * x).toFixed(digits)}%`;
}

/**
 * Analyses control and treatment counts (see the module comment).
 *
 * @example
 * analyzeCounts({ control: { units: 1124, clicks: 79 }, treatment: { units: 1124, clicks: 124 } }).zTest.z;
 * // => 3.3114
 */
export function analyzeCounts(counts: TwoArmCounts, settings: AnalysisSettings = {}): ExperimentAnalysis {
  const checked = validateTwoArmCounts(counts);
  const alpha = requireOpenUnit(settings.alpha ?? 0.05, "alpha");
  const alternative = settings.alternative ?? "two-sided";
  const allocationRatio = requirePositive(settings.allocationRatio ?? 1, "ratio");
  const sequentialTuningParameter = settings.sequentialTuningParameter ?? DEFAULT_SEQUENTIAL_TUNING_PARAMETER;
  const prior = settings.prior ?? { alpha: 1, beta: 1 };
  const sided = { alpha, alternative };
  const arm = (summary: TwoArmCounts["control"]): ArmResult => ({
    units: summary.units,
    clicks: summary.clicks,
    rate: rate(summary),
    interval: wilsonInterval(summary, sided),
  });
  const zTest = twoProportionZTest(checked, alternative);
  const lift = relativeLiftInterval(checked, sided);
  const significant = zTest.pValue < alpha;
  const direction = zTest.difference >= 0 ? "higher" : "lower";
  const pText = `${alternative === "two-sided" ? "two-sided" : "one-sided"} p = ${zTest.pValue.toPrecision(3)}`;
  const conclusion =
    `Treatment CTR ${percent(zTest.treatmentRate)} vs control ${percent(zTest.controlRate)}` +
    (Number.isFinite(lift.lift) ? ` (${lift.lift >= 0 ? "+" : ""}${percent(lift.lift, 1)} relative)` : "") +
    ": " +
    (significant
      ? `significantly ${direction} at alpha ${alpha} (${pText})`
      : `no significant difference at alpha ${alpha} (${pText})`) +
    ".";
  return {
    settings: {
      alpha,
      alternative,
      confidenceLevel: 1 - alpha,
      allocationRatio,
      sequentialTuningParameter,
      prior,
    },
    control: arm(checked.control),
    treatment: arm(checked.treatment),
    difference: { estimate: zTest.difference, interval: newcombeDifferenceInterval(checked, sided) },
    relativeLift: { estimate: lift.lift, standardError: lift.standardError, interval: lift.interval },
    zTest,
    chiSquare: chiSquareTest(checked),
    chiSquareYates: chiSquareTest(checked, { yatesCorrection: true }),
    fisherExact: fisherExactTest(checked, alternative),
    bayesian: bayesianAnalysis(checked, { prior, credibleLevel: 1 - alpha }),
    sequential: sequentialAnalysis(checked, { alpha, tuningParameter: sequentialTuningParameter }),
    sampleRatioMismatch: sampleRatioMismatch(
      [checked.control.units, checked.treatment.units],
      [1, allocationRatio],
    ),
    significant,
    conclusion,
  };
}
