/**
 * The user-level experiment day by day: after each simulated experiment day, every user's clicks and impressions
 * so far, the delta-method difference of CTR per impression with its SE (src/stats/ratio-metric.ts), and the
 * always-valid p-value and confidence sequence of that difference (src/stats/sequential.ts
 * `sequentialFromEstimate`), so a daily look may stop the experiment without inflating the error rate. The
 * running minimum of the always-valid p-values and the running intersection of the intervals are the valid
 * readings at a look (as src/results/cumulative.ts does per visit).
 */
import { InputError } from "../core/errors";
import type { Interval } from "../stats/intervals";
import { compareRatioArms, ratioArm, ratioSummaryFromUsers } from "../stats/ratio-metric";
import { sequentialFromEstimate } from "../stats/sequential";
import type { VisitEvent } from "../serving/event-store";
import type { ArmNames } from "./counts";

export interface DailyLook {
  /** the simulated day (0-based from the start of the pre-period) */
  day: number;
  /** 1-based day of the experiment phase */
  experimentDay: number;
  controlUsers: number;
  treatmentUsers: number;
  controlCtr: number;
  treatmentCtr: number;
  /** treatment CTR - control CTR and its delta-method SE, users so far */
  difference: number;
  standardError: number;
  /** fixed-sample one-sided z p-value at this look: not valid for stopping, shown to illustrate peeking */
  fixedSamplePValueOneSided: number;
  /** this look's always-valid two-sided interval of the difference */
  interval: Interval;
  /** intersection of the intervals so far */
  runningInterval: Interval;
  /** running minimum of the always-valid p-values so far (the valid one) */
  alwaysValidPValue: number;
}

export interface DailyLooks {
  alpha: number;
  /** N*, the users at which the confidence sequence is tightest */
  tuningParameter: number;
  looks: DailyLook[];
  /** experiment days before the first look: an arm had fewer than 2 users or no variance yet */
  daysBeforeFirstLook: number[];
  /** the first simulated day whose always-valid p fell below alpha, or null */
  firstSignificantDay: number | null;
}

/**
 * Daily looks at the experiment-phase visits of the two arms (other variants and the pre-period are ignored).
 * Every visit must carry its simulated day (an InputError names the first that does not).
 *
 * @example
 * dailyUserLooks(readVisitEvents("events.sqlite"), { control: "baseline", treatment: "challenger" },
 *   { alpha: 0.05, tuningParameter: 592, firstExperimentDay: 7 }).firstSignificantDay; // => e.g. 12, or null
 */
export function dailyUserLooks(
  visits: readonly VisitEvent[],
  names: ArmNames,
  settings: { alpha: number; tuningParameter: number; firstExperimentDay: number },
): DailyLooks {
  const { alpha, tuningParameter, firstExperimentDay } = settings;
  const experiment = visits
    .filter((v) => v.phase === "experiment" && (v.variant === names.control || v.variant === names.treatment))
    .map((v) => {
      if (v.day === null)
        throw new InputError(
          `visit ${v.visit} (request ${v.requestId}) has no simulated day; daily looks need one`,
          {
            field: "day",
          },
        );
      return { ...v, day: v.day };
    })
    .sort((a, b) => a.day - b.day);
  const perUser = new Map<number, { variant: string; clicks: number; impressions: number }>();
  const looks: DailyLook[] = [];
  const daysBeforeFirstLook: number[] = [];
  let lower = -Infinity;
  let upper = Infinity;
  let minP = 1;
  experiment.forEach((visit, i) => {
    const user = perUser.get(visit.userId) ?? { variant: visit.variant, clicks: 0, impressions: 0 };
    user.clicks += visit.clicked;
    user.impressions += 1;
    perUser.set(visit.userId, user);
    if (experiment[i + 1]?.day === visit.day) return;
    const arm = (variant: string) => {
      const users = [...perUser.values()].filter((u) => u.variant === variant);
      return { clicks: users.map((u) => u.clicks), impressions: users.map((u) => u.impressions) };
    };
    const c = arm(names.control);
    const t = arm(names.treatment);
    // The delta method needs 2 users per arm, a varying ratio and a control CTR above 0 (compareRatioArms).
    const testable = (a: typeof c, isControl: boolean) => {
      if (a.clicks.length < 2) return false;
      const estimate = ratioArm(ratioSummaryFromUsers(a.clicks, a.impressions));
      return estimate.perUserVariance > 0 && (!isControl || estimate.ratio > 0);
    };
    if (!(testable(c, true) && testable(t, false))) {
      daysBeforeFirstLook.push(visit.day);
      return;
    }
    const z = compareRatioArms(
      ratioSummaryFromUsers(c.clicks, c.impressions, names.control),
      ratioSummaryFromUsers(t.clicks, t.impressions, names.treatment),
      { alpha },
    );
    const sequential = sequentialFromEstimate(
      {
        difference: z.difference.estimate,
        standardError: z.difference.standardError,
        totalUnits: z.control.users + z.treatment.users,
      },
      { alpha, tuningParameter },
    );
    lower = Math.max(lower, sequential.interval.lower);
    upper = Math.min(upper, sequential.interval.upper);
    minP = Math.min(minP, sequential.pValue);
    looks.push({
      day: visit.day,
      experimentDay: visit.day - firstExperimentDay + 1,
      controlUsers: z.control.users,
      treatmentUsers: z.treatment.users,
      controlCtr: z.control.ratio,
      treatmentCtr: z.treatment.ratio,
      difference: z.difference.estimate,
      standardError: z.difference.standardError,
      fixedSamplePValueOneSided: z.difference.pValueGreater,
      interval: sequential.interval,
      runningInterval: { lower, upper },
      alwaysValidPValue: minP,
    });
  });
  return {
    alpha,
    tuningParameter,
    looks,
    daysBeforeFirstLook,
    firstSignificantDay: looks.find((look) => look.alwaysValidPValue < alpha)?.day ?? null,
  };
}
