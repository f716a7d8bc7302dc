/**
 * CUPED for CTR per impression from per-user counts (src/stats/cuped.ts `cupedRatioTest`, gbstats'
 * `RegressionAdjustedRatioStatistic`), the covariate being the same user's pre-period CTR: one home for the
 * figures `abrec analyze --per-user` prints and the user-level analysis of the event store reports.
 *
 * A user without pre-period impressions has P_u = Q_u = 0, so their linearised pre-period term
 * (P_u - S Q_u) / mean(Q) is 0: they stay in n and in the adjusted ratio, simply not adjusted (as if their
 * pre-period CTR were the arm's). Only an arm where nobody has a pre-period impression is refused.
 */
import { cupedRatioSummaryFromUsers, cupedRatioTest } from "../stats/cuped";
import { type RatioEffect, ratioEffect } from "../stats/ratio-metric";
import type { ArmNames } from "./counts";

/** One arm's users, the same user at the same index in every array. */
export interface CupedCtrUsers {
  readonly clicks: readonly number[];
  readonly impressions: readonly number[];
  readonly preClicks: readonly number[];
  readonly preImpressions: readonly number[];
}

export interface CupedCtr {
  covariate: string;
  theta: number;
  /** the share of the difference's variance that CUPED removed, against the unadjusted delta-method one */
  varianceReduction: number;
  control: { preCtr: number; adjustedCtr: number };
  treatment: { preCtr: number; adjustedCtr: number };
  /** adjusted difference of CTRs, Welch t with the adjusted variances' degrees of freedom */
  difference: RatioEffect;
  relativeLift: RatioEffect;
}

/**
 * The CUPED-adjusted comparison of the two arms' CTRs at significance `alpha`; `names` name the arms in errors.
 *
 * @example
 * cupedCtr({ control: { clicks: [1, 0, 2, 1, 0, 1, 2, 0], impressions: [10, 5, 8, 12, 3, 7, 9, 6],
 *   preClicks: [1, 0, 1, 2, 0, 1, 1, 0], preImpressions: [8, 6, 9, 10, 4, 7, 8, 5] }, treatment: { ... } },
 *   { control: "baseline", treatment: "challenger" }, 0.05);
 * // => theta 0.3181838, difference.estimate 0.0763302 (test/stats/cuped.test.ts' example)
 * @throws InputError when an arm has no pre-period impressions at all, or the pre-period CTR never varies.
 */
export function cupedCtr(
  arms: { readonly control: CupedCtrUsers; readonly treatment: CupedCtrUsers },
  names: ArmNames,
  alpha: number,
): CupedCtr {
  const summary = (role: "control" | "treatment") =>
    cupedRatioSummaryFromUsers(
      {
        numerator: arms[role].clicks,
        denominator: arms[role].impressions,
        preNumerator: arms[role].preClicks,
        preDenominator: arms[role].preImpressions,
      },
      names[role],
    );
  const cuped = cupedRatioTest(summary("control"), summary("treatment"));
  const adjustedArm = (a: typeof cuped.control) => ({ preCtr: a.preRatio, adjustedCtr: a.adjustedRatio });
  return {
    covariate: "pre-period CTR per impression (pre_clicks / pre_impressions)",
    theta: cuped.theta,
    varianceReduction: cuped.varianceReduction,
    control: adjustedArm(cuped.control),
    treatment: adjustedArm(cuped.treatment),
    difference: ratioEffect(cuped.difference, cuped.standardError, cuped.degreesOfFreedom, alpha),
    relativeLift: ratioEffect(
      cuped.relativeLift,
      cuped.relativeLiftStandardError,
      cuped.degreesOfFreedom,
      alpha,
    ),
  };
}
