/**
 * The user-level analysis of a sticky-routed experiment on a simulated calendar, as pure functions over the event
 * store's records (`EventCounts`, `VisitEvent`). Users are the randomisation unit and come back, so the
 * pre-registered primary is CTR per impression as a ratio metric of per-user sums with the delta method (Deng,
 * Knoblich & Lu 2018, KDD), one-sided "treatment greater", decided at the planned end. Beside it: CUPED with the
 * pre-period as covariate (Deng, Xu, Kohavi & Walker 2013, WSDM), the naive per-impression z-test shown as the
 * wrong analysis, two secondaries with a multiplicity adjustment, guardrails, the sample ratio check on users, and
 * daily sequential looks on users.
 */
import { InputError } from "../core/errors";
import type { EventCounts, UserCounts, VisitEvent } from "../serving/event-store";
import { normalQuantile } from "../stats/distributions";
import type { Interval } from "../stats/intervals";
import { benjaminiHochbergAdjust, holmAdjust } from "../stats/multiple-testing";
import { twoProportionZTest, type ZTestResult } from "../stats/proportions-test";
import { compareRatioArms, type RatioEffect, ratioSummaryFromUsers } from "../stats/ratio-metric";
import { ratioDesignEffect } from "../stats/ratio-power";
import { sampleRatioMismatch, type SampleRatioMismatch } from "../stats/srm";
import type { Coverage } from "./analyze-results";
import type { ArmNames } from "./counts";
import { type CupedCtr, cupedCtr } from "./cuped-ctr";
import { dailyUserLooks, type DailyLooks } from "./daily-looks";
import { type Guardrails, type ServingErrorCounts, userLevelGuardrails } from "./guardrails";

export interface UserLevelInput {
  counts: EventCounts;
  visits: readonly VisitEvent[];
  /** src/results/counts.ts `armNames` */
  names: ArmNames;
  /** Default 0.05. */
  alpha?: number;
  /** Experiment days the design planned; the primary is decided at the planned end. */
  plannedDays?: number;
  /** The exact CTR per impression of each arm's model under the click model and the visit process. */
  groundTruth?: { control: number; treatment: number };
  /** Requests and failed requests per arm; absent: the error-rate guardrail is "not recorded". */
  servingErrors?: { control: ServingErrorCounts; treatment: ServingErrorCounts };
  /** Sequential tuning parameter N* in users. Default: the users of the experiment (the last look's). */
  sequentialTuningParameter?: number;
  /** Names the event store in errors. */
  file?: string;
}

/** One arm's experiment-phase totals and its CTR per impression with the delta-method SE. */
export interface UserLevelArm {
  variant: string;
  users: number;
  impressions: number;
  clicks: number;
  /** users with at least one click */
  clickedUsers: number;
  /** clicks / impressions */
  ctr: number;
  /** delta-method SE of the CTR, users as the unit */
  standardError: number;
  /** ctr -/+ q_{1 - alpha/2} SE */
  interval: Interval;
  preImpressions: number;
  preClicks: number;
  usersWithoutPrePeriod: number;
}

export interface UserLevelPrimary {
  metric: string;
  /** treatment CTR - control CTR, delta-method z-test */
  difference: RatioEffect;
  /** (treatment - control) / control */
  relativeLift: RatioEffect;
  /** the pre-registered test: one-sided, H1 treatment CTR > control CTR */
  pValueOneSided: number;
  rejectNull: boolean;
  /** whether the two-sided intervals cover the ground truth; null without one */
  coverage: {
    control: Coverage;
    treatment: Coverage;
    difference: Coverage;
    relativeLift: Coverage;
  } | null;
}

export type UserLevelCuped =
  | ({
      available: true;
      /** one-sided p (treatment greater) of the adjusted difference, Welch t */
      pValueOneSided: number;
      /** the unadjusted delta-method SE of the difference, for the variance reduction */
      unadjustedStandardError: number;
      /** users without pre-period impressions, adjusted by nothing (src/results/cuped-ctr.ts) */
      usersWithoutPrePeriod: { control: number; treatment: number };
    } & CupedCtr)
  | { available: false; reason: string };

export interface UserLevelNaive {
  label: string;
  /** pooled two-proportion z-test of clicked impressions over impressions, one-sided */
  zTest: ZTestResult;
  /** the delta-method SE of the same difference */
  deltaMethodStandardError: number;
  /** deltaMethodStandardError^2 / zTest.standardError^2: how much the naive test understates the variance */
  varianceRatio: number;
  /** per arm, src/stats/ratio-power.ts `ratioDesignEffect` */
  designEffect: { control: number; treatment: number };
}

export interface SecondaryTest {
  name: string;
  method: string;
  control: number;
  treatment: number;
  difference: number;
  statistic: number;
  pValueOneSided: number;
  /** Holm-adjusted across the secondaries: the decision */
  holmAdjustedP: number;
  /** Benjamini-Hochberg-adjusted, beside it for reference */
  bhAdjustedP: number;
  significant: boolean;
}

export type UserLevelSequential = ({ available: true } & DailyLooks) | { available: false; reason: string };

export interface UserLevelAnalysis {
  names: ArmNames;
  alpha: number;
  calendar: {
    preDays: number | null;
    /** the simulated day the experiment phase began */
    firstExperimentDay: number | null;
    /** experiment days observed, first to last visit, or null without simulated days */
    experimentDays: number | null;
    plannedDays: number | null;
    /** null when no plan was given or no days are known */
    reachedPlannedEnd: boolean | null;
  };
  control: UserLevelArm;
  treatment: UserLevelArm;
  primary: UserLevelPrimary;
  cuped: UserLevelCuped;
  naive: UserLevelNaive;
  secondaries: SecondaryTest[];
  guardrails: Guardrails;
  srm: SampleRatioMismatch & { plannedControlShare: number };
  sequential: UserLevelSequential;
}

function cover(truth: number, interval: Interval): Coverage {
  return { truth, ...interval, covered: interval.lower <= truth && truth <= interval.upper };
}

/** The planned share of control users from the router's ratio_a (the share of child 0); 0.5 when not recorded. */
function plannedControlShare(counts: EventCounts, names: ArmNames, file?: string): number {
  const recorded = counts.settings.ratio_a;
  if (recorded === undefined) return 0.5;
  const ratioA = Number(recorded);
  if (!(Number.isFinite(ratioA) && ratioA > 0 && ratioA < 1))
    throw new InputError(`expected the share of child 0 strictly between 0 and 1, got "${recorded}"`, {
      file,
      field: "settings.ratio_a",
    });
  return counts.settings.child_0 === names.treatment ? 1 - ratioA : ratioA;
}

/**
 * The user-level analysis (see the module comment and `UserLevelAnalysis`).
 *
 * @example
 * const counts = store.counts();
 * const a = analyzeUserLevel({ counts, visits: store.visits(), names: armNames(counts), plannedDays: 14 });
 * a.primary.difference.estimate; // => 0.0833333 for test/results/user-level.test.ts' 8 + 8 users
 * @throws InputError when users were served by several variants (the analysis needs sticky routing), a row is
 * of another variant, or an arm has too few users for the delta method.
 */
export function analyzeUserLevel(input: UserLevelInput): UserLevelAnalysis {
  const { counts, visits, names, file } = input;
  const alpha = input.alpha ?? 0.05;
  if (counts.usersInSeveralVariants > 0)
    throw new InputError(
      `${counts.usersInSeveralVariants} users were served by more than one variant (routing ` +
        `"${counts.settings.routing_mode ?? "unknown"}"): the user-level analysis needs sticky routing, where ` +
        `each user sees one variant; analyse visits instead`,
      { file, field: "usersInSeveralVariants" },
    );
  const rows = { control: [] as UserCounts[], treatment: [] as UserCounts[] };
  for (const row of counts.users) {
    if (row.variant === names.control) rows.control.push(row);
    else if (row.variant === names.treatment) rows.treatment.push(row);
    else
      throw new InputError(
        `user ${row.userId} is of variant "${row.variant}"; expected ${names.control} (control) or ` +
          `${names.treatment} (treatment)`,
        { file, field: "users.variant" },
      );
  }
  const column = (arm: UserCounts[], key: "clicks" | "impressions" | "preClicks" | "preImpressions") =>
    arm.map((row) => row[key]);
  const primaryTest = compareRatioArms(
    ratioSummaryFromUsers(column(rows.control, "clicks"), column(rows.control, "impressions"), names.control),
    ratioSummaryFromUsers(
      column(rows.treatment, "clicks"),
      column(rows.treatment, "impressions"),
      names.treatment,
    ),
    { alpha, test: "z" },
  );
  const q = normalQuantile(1 - alpha / 2);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const armOf = (role: "control" | "treatment"): UserLevelArm => {
    const arm = rows[role];
    const estimate = primaryTest[role];
    return {
      variant: names[role],
      users: arm.length,
      impressions: sum(column(arm, "impressions")),
      clicks: sum(column(arm, "clicks")),
      clickedUsers: arm.filter((row) => row.clicks > 0).length,
      ctr: estimate.ratio,
      standardError: estimate.standardError,
      interval: {
        lower: estimate.ratio - q * estimate.standardError,
        upper: estimate.ratio + q * estimate.standardError,
      },
      preImpressions: sum(column(arm, "preImpressions")),
      preClicks: sum(column(arm, "preClicks")),
      usersWithoutPrePeriod: arm.filter((row) => row.preImpressions === 0).length,
    };
  };
  const control = armOf("control");
  const treatment = armOf("treatment");
  const { difference, relativeLift } = primaryTest;
  const truth = input.groundTruth;
  const primary: UserLevelPrimary = {
    metric: "CTR per impression (clicks / impressions), users as the unit, delta method",
    difference,
    relativeLift,
    pValueOneSided: difference.pValueGreater,
    rejectNull: difference.pValueGreater < alpha,
    coverage: truth
      ? {
          control: cover(truth.control, control.interval),
          treatment: cover(truth.treatment, treatment.interval),
          difference: cover(truth.treatment - truth.control, difference.intervalTwoSided),
          relativeLift: cover(truth.treatment / truth.control - 1, relativeLift.intervalTwoSided),
        }
      : null,
  };

  const noPrePeriod = [control, treatment].find((arm) => arm.preImpressions === 0);
  let cuped: UserLevelCuped;
  if (noPrePeriod)
    cuped = { available: false, reason: `no pre-period impressions in ${noPrePeriod.variant}` };
  else if (control.preClicks + treatment.preClicks === 0)
    // Every user's pre-period CTR is 0 (a short pre-period): the covariate has no variance and explains nothing.
    cuped = { available: false, reason: "no pre-period click, so the covariate does not vary across users" };
  else {
    const users = (arm: UserCounts[]) => ({
      clicks: column(arm, "clicks"),
      impressions: column(arm, "impressions"),
      preClicks: column(arm, "preClicks"),
      preImpressions: column(arm, "preImpressions"),
    });
    const adjusted = cupedCtr(
      { control: users(rows.control), treatment: users(rows.treatment) },
      names,
      alpha,
    );
    cuped = {
      available: true,
      ...adjusted,
      pValueOneSided: adjusted.difference.pValueGreater,
      unadjustedStandardError: difference.standardError,
      usersWithoutPrePeriod: {
        control: control.usersWithoutPrePeriod,
        treatment: treatment.usersWithoutPrePeriod,
      },
    };
  }

  const naiveTest = twoProportionZTest(
    {
      control: { units: control.impressions, clicks: control.clicks },
      treatment: { units: treatment.impressions, clicks: treatment.clicks },
    },
    "greater",
  );
  const naive: UserLevelNaive = {
    label:
      "Wrong analysis: it treats every impression as an independent trial, but the impressions of one user are " +
      "not independent, so its SE is wrong (too small when users differ in CTR, the usual case)",
    zTest: naiveTest,
    deltaMethodStandardError: difference.standardError,
    varianceRatio: difference.standardError ** 2 / naiveTest.standardError ** 2,
    designEffect: {
      control: ratioDesignEffect(primaryTest.control),
      treatment: ratioDesignEffect(primaryTest.treatment),
    },
  };

  // Holm decides: it controls the chance of any false claim among the secondaries under any dependence (the two
  // are computed on the same users, so they are dependent); BH is shown beside it for reference.
  const clickedShare = twoProportionZTest(
    {
      control: { units: control.users, clicks: control.clickedUsers },
      treatment: { units: treatment.users, clicks: treatment.clickedUsers },
    },
    "greater",
  );
  // Clicks per user is a ratio with one "impression" per user: its delta-method variance is the sample variance
  // of per-user clicks, and the Welch test of it is Welch's two-sample t-test.
  const ones = (arm: UserCounts[]) => arm.map(() => 1);
  const clicksPerUser = compareRatioArms(
    ratioSummaryFromUsers(column(rows.control, "clicks"), ones(rows.control), names.control),
    ratioSummaryFromUsers(column(rows.treatment, "clicks"), ones(rows.treatment), names.treatment),
    { alpha, test: "welch" },
  ).difference;
  const raw = [clickedShare.pValue, clicksPerUser.pValueGreater];
  const holm = holmAdjust(raw);
  const bh = benjaminiHochbergAdjust(raw);
  const secondaries: SecondaryTest[] = [
    {
      name: "share of users who clicked at least once",
      method: "pooled two-proportion z-test on users, one-sided",
      control: clickedShare.controlRate,
      treatment: clickedShare.treatmentRate,
      difference: clickedShare.difference,
      statistic: clickedShare.z,
      pValueOneSided: raw[0],
      holmAdjustedP: holm[0],
      bhAdjustedP: bh[0],
      significant: holm[0] < alpha,
    },
    {
      name: "clicks per user",
      method: "Welch t-test on per-user clicks, one-sided",
      control: control.clicks / control.users,
      treatment: treatment.clicks / treatment.users,
      difference: clicksPerUser.estimate,
      statistic: clicksPerUser.statistic,
      pValueOneSided: raw[1],
      holmAdjustedP: holm[1],
      bhAdjustedP: bh[1],
      significant: holm[1] < alpha,
    },
  ];

  const share = plannedControlShare(counts, names, file);
  const srm = {
    ...sampleRatioMismatch([control.users, treatment.users], [share, 1 - share]),
    plannedControlShare: share,
  };

  const experimentVisits = visits.filter(
    (v) => v.phase === "experiment" && (v.variant === names.control || v.variant === names.treatment),
  );
  const days = experimentVisits.flatMap((v) => (v.day === null ? [] : [v.day]));
  const undated = experimentVisits.length - days.length;
  const firstExperimentDay = days.length > 0 ? (counts.preDays ?? Math.min(...days)) : null;
  const experimentDays = firstExperimentDay === null ? null : Math.max(...days) - firstExperimentDay + 1;
  const plannedDays = input.plannedDays ?? null;
  const sequential: UserLevelSequential =
    experimentVisits.length === 0 || undated > 0 || firstExperimentDay === null
      ? {
          available: false,
          reason:
            experimentVisits.length === 0
              ? "no experiment-phase visits"
              : `${undated} experiment visits carry no simulated day (no calendar)`,
        }
      : {
          available: true,
          ...dailyUserLooks(experimentVisits, names, {
            alpha,
            tuningParameter: input.sequentialTuningParameter ?? control.users + treatment.users,
            firstExperimentDay,
          }),
        };

  return {
    names,
    alpha,
    calendar: {
      preDays: counts.preDays,
      firstExperimentDay,
      experimentDays,
      plannedDays,
      reachedPlannedEnd:
        plannedDays === null || experimentDays === null ? null : experimentDays >= plannedDays,
    },
    control,
    treatment,
    primary,
    cuped,
    naive,
    secondaries,
    guardrails: userLevelGuardrails(visits, names, input.servingErrors),
    srm,
    sequential,
  };
}
