/**
 * `abrec design`: sample size per group for the A/B test by the three methods side by side (src/stats/plan.ts),
 * with the power each achieves, the minimum detectable effect at the chosen size and, given daily traffic, the
 * duration. `--json` prints the plan object.
 *
 * `--ratio-metric --per-user FILE.csv --pre-days P` designs for CTR per impression with users randomised and
 * coming back instead (src/stats/ratio-power.ts): the visit model fitted to a pre-period's per-user counts, the
 * design effect, and the days the population needs for the target power, or with `--days D` the power D days give.
 */
import { Command, Option } from "commander";
import { InputError } from "../../core/errors";
import { readPerUserCsv } from "../../results/per-user";
import { readVariantCounts, readVisitEvents } from "../../serving/event-store";
import { FUNFLIX_BUSINESS_CASE as CASE } from "../../stats/business-case";
import { SAMPLE_SIZE_METHODS, type SampleSizeMethod } from "../../stats/design";
import { type ExperimentPlan, planExperiment } from "../../stats/plan";
import { ratioSummaryFromUsers } from "../../stats/ratio-metric";
import {
  type FittedRatioVarianceModel,
  modelDesignEffect,
  perUserRatioVariance,
  type RatioDuration,
  ratioDaysForPower,
  ratioPowerAfterDays,
  ratioUsersPerArm,
  ratioVarianceModel,
} from "../../stats/ratio-power";
import { integerOption, numberOption, probabilityOption } from "../number-option";
import { formatTable } from "../table";

interface DesignOptions {
  baseline: number;
  mde: number;
  relative?: boolean;
  alpha: number;
  power: number;
  oneSided?: boolean;
  ratio: number;
  method: SampleSizeMethod;
  dailyUsers?: number;
  trafficFraction: number;
  json?: boolean;
  ratioMetric?: boolean;
  perUser?: string;
  events?: string;
  preDays?: number;
  population?: number;
  days?: number;
}

/** The plan-only options that mean nothing for the ratio metric (its baseline comes from the pre-period). */
const PROPORTION_ONLY_OPTIONS = ["baseline", "ratio", "method", "dailyUsers", "trafficFraction"] as const;
/** The options that only the ratio metric reads. */
const RATIO_ONLY_OPTIONS = ["perUser", "events", "preDays", "population", "days"] as const;
const flag = (key: string) => "--" + key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

/** A ratio-metric design at one length: the per-user variances, design effect, power and users the test needs. */
export interface RatioDesignAtDays {
  readonly days: number;
  readonly controlPerUserVariance: number;
  readonly treatmentPerUserVariance: number;
  readonly designEffect: number;
  readonly power: number;
  /** users per arm the delta-method z-test needs for the target power at this length (users as they visit) */
  readonly usersPerArmForPower: number;
}

export interface RatioDesign {
  readonly file: string;
  readonly usersInFile: number;
  readonly model: FittedRatioVarianceModel;
  readonly absoluteEffect: number;
  readonly alpha: number;
  readonly oneSided: boolean;
  readonly targetPower: number;
  readonly usersPerArm: number;
  readonly duration: RatioDuration;
  /** the design at the days needed (when reachable) */
  readonly atDaysNeeded: RatioDesignAtDays | null;
  /** the design at --days, when given */
  readonly atGivenDays: RatioDesignAtDays | null;
}

/**
 * The pre-period's per-user clicks and impressions and its length: from a per-user file (both variants pooled:
 * one population; `--pre-days` required), or from an event store's pre-period impressions (`--events`; the length
 * is the store's `pre_days` unless `--pre-days` says otherwise).
 */
function prePeriodCounts(options: DesignOptions): {
  source: string;
  clicks: number[];
  impressions: number[];
  preDays: number;
} {
  if ((options.perUser === undefined) === (options.events === undefined))
    throw new InputError("--ratio-metric needs the pre-period: --per-user FILE.csv or --events PATH (one)", {
      field: "--per-user",
    });
  if (options.events !== undefined) {
    const counts = readVariantCounts(options.events);
    const preDays = options.preDays ?? counts.preDays;
    if (preDays === null || preDays === 0)
      throw new InputError("the event store has no pre-period (no pre_days setting); give --pre-days", {
        file: options.events,
        field: "--pre-days",
      });
    const byUser = new Map<number, { clicks: number; impressions: number }>();
    for (const visit of readVisitEvents(options.events)) {
      if (visit.phase !== "pre") continue;
      const user = byUser.get(visit.userId) ?? { clicks: 0, impressions: 0 };
      user.impressions++;
      user.clicks += visit.clicked;
      byUser.set(visit.userId, user);
    }
    const users = [...byUser.values()];
    if (users.length === 0)
      throw new InputError("the event store holds no pre-period impression", { file: options.events });
    return {
      source: options.events,
      clicks: users.map((u) => u.clicks),
      impressions: users.map((u) => u.impressions),
      preDays,
    };
  }
  if (options.preDays === undefined)
    throw new InputError("--ratio-metric --per-user needs --pre-days D (the pre-period's length)", {
      field: "--pre-days",
    });
  const file = readPerUserCsv(options.perUser!, false);
  return {
    source: options.perUser!,
    clicks: [...file.control.clicks, ...file.treatment.clicks],
    impressions: [...file.control.impressions, ...file.treatment.impressions],
    preDays: options.preDays,
  };
}

/** The ratio-metric design from a pre-period (see `prePeriodCounts`). */
export function designRatioMetric(options: DesignOptions): RatioDesign {
  const { source, clicks, impressions, preDays } = prePeriodCounts(options);
  const population = options.population ?? clicks.length;
  if (population < clicks.length)
    throw new InputError(`expected at least the file's ${clicks.length} users, got ${population}`, {
      field: "--population",
    });
  const model = ratioVarianceModel(ratioSummaryFromUsers(clicks, impressions, source), preDays, population);
  const absoluteEffect = options.relative ? options.mde * model.baselineRatio : options.mde;
  const settings = { alpha: options.alpha, oneSided: options.oneSided ?? false };
  const atDays = (days: number): RatioDesignAtDays => {
    const controlPerUserVariance = perUserRatioVariance(model, days);
    const treatmentPerUserVariance = perUserRatioVariance(model, days, absoluteEffect);
    return {
      days,
      controlPerUserVariance,
      treatmentPerUserVariance,
      designEffect: modelDesignEffect(model, days),
      power: ratioPowerAfterDays(model, days, absoluteEffect, settings),
      usersPerArmForPower: ratioUsersPerArm(
        controlPerUserVariance,
        treatmentPerUserVariance,
        absoluteEffect,
        options.power,
        settings,
      ),
    };
  };
  const duration = ratioDaysForPower(model, absoluteEffect, options.power, settings);
  return {
    file: source,
    usersInFile: clicks.length,
    model,
    absoluteEffect,
    alpha: options.alpha,
    oneSided: settings.oneSided,
    targetPower: options.power,
    usersPerArm: population / 2,
    duration,
    atDaysNeeded: duration.days === null ? null : atDays(duration.days),
    atGivenDays: options.days === undefined ? null : atDays(options.days),
  };
}

/** The readable report of a ratio-metric design. */
export function formatRatioDesign(design: RatioDesign): string {
  const m = design.model;
  const at = (d: RatioDesignAtDays) =>
    `power ${d.power.toFixed(4)}, per-user variance ${d.controlPerUserVariance.toFixed(5)} ` +
    `(treatment ${d.treatmentPerUserVariance.toFixed(5)}), design effect ${d.designEffect.toFixed(2)}; ` +
    `power ${design.targetPower} at this length needs ${d.usersPerArmForPower} users per arm`;
  const lines = [
    `Ratio-metric design: CTR per impression, users randomised, delta-method z-test (Deng, Knoblich & Lu 2018)`,
    `pre-period: ${design.file}, ${m.prePeriod.days} days, ${design.usersInFile} users in the file, ` +
      `population ${m.population}`,
    `  CTR ${pct(m.baselineRatio)}, ${m.impressionsPerUserPerDay.toFixed(3)} impressions per user per day, ` +
      `per-user variance ${m.prePeriod.perUserVariance.toFixed(5)}, design effect ${m.prePeriod.designEffect.toFixed(2)}`,
    `  model var_u(d) = R(1-R) / (d * ${m.impressionsPerUserPerDay.toFixed(3)}) + B, ` +
      `between-user B = ${m.betweenUserVariance.toFixed(5)}` +
      (m.prePeriod.betweenUserVarianceEstimate < 0
        ? ` (estimated ${m.prePeriod.betweenUserVarianceEstimate.toFixed(5)}, set to 0: the pre-period is too ` +
          `small to see users differ, so the days below are a lower bound)`
        : ""),
    `effect ${points(design.absoluteEffect)} (${pct(m.baselineRatio)} -> ${pct(m.baselineRatio + design.absoluteEffect)}), ` +
      `alpha ${design.alpha} ${design.oneSided ? "one-sided" : "two-sided"}, target power ${design.targetPower}, ` +
      `${design.usersPerArm} users per arm (the population split in two)`,
    design.atDaysNeeded === null
      ? `days needed: none reaches power ${design.targetPower}; the most this population can give is ` +
        `${design.duration.maximumPower.toFixed(4)} (between-user variance)`
      : `days needed for power ${design.targetPower}: ${design.atDaysNeeded.days} (${at(design.atDaysNeeded)})`,
  ];
  if (design.atGivenDays) lines.push(`at --days ${design.atGivenDays.days}: ${at(design.atGivenDays)}`);
  return lines.join("\n") + "\n";
}

const METHOD_SOURCES: Record<SampleSizeMethod, string> = {
  "fleiss-cc": "Fleiss, Levin & Paik 2003, continuity corrected",
  pooled: "normal approximation, no correction (R power.prop.test)",
  "cohen-h": "Cohen's h arcsine effect size (statsmodels NormalIndPower)",
};

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const points = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} points`;

/** The readable report of a plan. */
export function formatPlan(plan: ExperimentPlan): string {
  const d = plan.design;
  const lines = [
    `Experiment design: CTR ${pct(d.baselineRate)} -> ${pct(d.treatmentRate)} ` +
      `(${points(d.absoluteEffect)}, ${d.relativeEffect >= 0 ? "+" : ""}${pct(d.relativeEffect, 1)} relative)`,
    `alpha ${d.alpha} ${d.oneSided ? "one-sided" : "two-sided"}, power ${d.power}, ` +
      `allocation control:treatment 1:${d.allocationRatio}`,
    "",
    formatTable(
      ["method", "control", "treatment", "total", "power", "source"],
      plan.sampleSizes.map((s) => [
        s.method + (s.method === plan.method ? " *" : ""),
        String(s.controlUsers),
        String(s.treatmentUsers),
        String(s.totalUsers),
        s.power.toFixed(4),
        METHOD_SOURCES[s.method],
      ]),
    ),
    `* chosen method (--method ${plan.method}): ${plan.chosen.controlUsers} users in control, ` +
      `${plan.chosen.treatmentUsers} in treatment`,
    `minimum detectable effect at that size: ${points(plan.minimumDetectableEffectAtChosenSize.absoluteEffect)} ` +
      `(${pct(plan.minimumDetectableEffectAtChosenSize.relativeEffect, 1)} relative)`,
  ];
  if (plan.duration)
    lines.push(
      `duration: ${plan.duration.days} days at ${plan.duration.usersPerDay} users per day in the experiment`,
    );
  return lines.join("\n") + "\n";
}

export function register(program: Command): void {
  program
    .command("design")
    .description(
      "Sample size per group for the A/B test (Fleiss with continuity correction, pooled normal approximation, " +
        "Cohen's h), with the power, minimum detectable effect and duration.",
    )
    .option(
      "--baseline <rate>",
      "control click-through rate, 0..1",
      probabilityOption("--baseline"),
      CASE.baselineCtr,
    )
    .option(
      "--mde <effect>",
      "minimum detectable effect: absolute (0.04 = +4 points) or, with --relative, relative (0.2 = +20%)",
      numberOption("--mde"),
      CASE.minimumDetectableEffect,
    )
    .option("--relative", "read --mde as a relative lift instead of absolute points")
    .option("--alpha <alpha>", "significance level, 0..1", probabilityOption("--alpha"), CASE.alpha)
    .option(
      "--power <power>",
      "probability of detecting the effect, 0..1",
      probabilityOption("--power"),
      CASE.power,
    )
    .option("--one-sided", "one-sided test (treatment better) instead of two-sided")
    .option(
      "--ratio <r>",
      "allocation ratio: treatment users per control user",
      numberOption("--ratio"),
      CASE.allocationRatio,
    )
    .addOption(
      new Option("--method <method>", "the sample-size method the experiment uses")
        .choices([...SAMPLE_SIZE_METHODS])
        .default(CASE.sampleSizeMethod),
    )
    .option("--daily-users <n>", "new users per day, to compute the duration", numberOption("--daily-users"))
    .option(
      "--traffic-fraction <f>",
      "share of daily users that enter the experiment, (0, 1]",
      probabilityOption("--traffic-fraction"),
      1,
    )
    .option("--json", "print the plan as JSON instead of a table")
    .option(
      "--ratio-metric",
      "design for CTR per impression with users randomised and coming back (delta method), from a pre-period",
    )
    .option(
      "--per-user <file.csv>",
      "with --ratio-metric: the pre-period's per-user counts, as abrec analyze --per-user reads them " +
        "(variant,clicks,impressions; both variants pooled)",
    )
    .option(
      "--events <path>",
      "with --ratio-metric: read the pre-period from an event store's pre-period impressions (abrec experiment, " +
        "abrec serve --pre-days); use --population for users who did not come",
    )
    .option(
      "--pre-days <d>",
      "with --ratio-metric: the pre-period's length in days (default with --events: the store's)",
      numberOption("--pre-days"),
    )
    .option(
      "--population <n>",
      "with --ratio-metric: users randomised, counting those absent from the file (default: the file's users)",
      integerOption("--population", 2),
    )
    .option(
      "--days <d>",
      "with --ratio-metric: also the power at this length (a capped experiment)",
      numberOption("--days"),
    )
    .action((options: DesignOptions, command: Command) => {
      const given = (key: string) => command.getOptionValueSource(key) === "cli";
      if (options.ratioMetric) {
        const conflicting = PROPORTION_ONLY_OPTIONS.find(given);
        if (conflicting !== undefined)
          throw new InputError(
            "does not apply with --ratio-metric (the baseline comes from the pre-period)",
            {
              field: flag(conflicting),
            },
          );
        const design = designRatioMetric(options);
        process.stdout.write(
          options.json ? JSON.stringify(design, null, 2) + "\n" : formatRatioDesign(design),
        );
        return;
      }
      const ratioOnly = RATIO_ONLY_OPTIONS.find(given);
      if (ratioOnly !== undefined)
        throw new InputError("applies only with --ratio-metric", { field: flag(ratioOnly) });
      const plan = planExperiment(
        {
          baselineRate: options.baseline,
          minimumDetectableEffect: options.mde,
          relativeEffect: options.relative ?? false,
          alpha: options.alpha,
          power: options.power,
          oneSided: options.oneSided ?? false,
          allocationRatio: options.ratio,
        },
        { method: options.method, dailyUsers: options.dailyUsers, trafficFraction: options.trafficFraction },
      );
      process.stdout.write(options.json ? JSON.stringify(plan, null, 2) + "\n" : formatPlan(plan));
    });
}
