/**
 * `abrec analyze`: the full analysis of the experiment's clicks (src/stats/analysis.ts `analyzeCounts`) from
 * "CLICKS/UNITS" counts per arm (units: visits or users), or from an event store file (`--events PATH`, counted per visit or per user by
 * src/results/counts.ts), as readable tables or `--json`. A store with a simulated calendar (or `--user-level`)
 * gets the report's user-level analysis instead (src/results/user-level.ts). `--per-user FILE.csv` reads one row per user
 * (src/results/per-user.ts) and analyses CTR per impression as a ratio metric with the delta method
 * (src/stats/ratio-metric.ts), the analysis for user-randomised experiments where users return.
 * `--prometheus URL` reads Seldon's feedback and reward counters per model instead (src/results/prometheus.ts:
 * the SeldonDeployment, which has no event store; visit-level only).
 */
import { Command, Option } from "commander";
import { InputError } from "../../core/errors";
import { analyzeCounts, type ExperimentAnalysis } from "../../stats/analysis";
import { FUNFLIX_BUSINESS_CASE } from "../../stats/business-case";
import type { Interval } from "../../stats/intervals";
import { parseProportionSummary, type TwoArmCounts } from "../../stats/summary";
import {
  compareRatioArms,
  type RatioArm,
  type RatioEffect,
  ratioSummaryFromUsers,
} from "../../stats/ratio-metric";
import { type CupedCtr, cupedCtr } from "../../results/cuped-ctr";
import { PER_USER_VARIANTS, type PerUserSummary, readPerUserCsv } from "../../results/per-user";
import { ANALYSIS_UNITS, type AnalysisUnit, armNames, twoArmCountsFromEvents } from "../../results/counts";
import {
  readSeldonFeedbackCounts,
  type SeldonCounts,
  twoArmCountsFromSeldon,
} from "../../results/prometheus";
import { userLevelMarkdown } from "../../results/report";
import { analyzeUserLevel } from "../../results/user-level";
import { loadVariantCounts, loadVisitEvents, redactedUrl } from "../../serving/event-store";
import { numberOption, probabilityOption } from "../number-option";
import { formatTable } from "../table";

interface AnalyzeOptions {
  control?: string;
  treatment?: string;
  events?: string;
  prometheus?: string;
  time?: string;
  range?: string;
  perUser?: string;
  unit?: AnalysisUnit;
  userLevel?: boolean;
  controlVariant?: string;
  treatmentVariant?: string;
  oneSided?: boolean;
  alpha: number;
  ratio: number;
  tuning: number;
  json?: boolean;
}

const pct = (x: number, digits = 2) =>
  Number.isNaN(x) ? "n/a" : Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : x > 0 ? "+inf" : "-inf";
const interval = (i: Interval, digits = 2) => `[${pct(i.lower, digits)}, ${pct(i.upper, digits)}]`;
const p = (x: number) => (x >= 0.01 ? x.toFixed(4) : x >= 1e-5 ? x.toPrecision(3) : x.toExponential(2));
const lossPoints = (x: number) => `${(100 * x).toPrecision(2)} pts`;
const points = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} pts`;
const unsignedPoints = (x: number) => `${(100 * x).toFixed(2)} pts`;
const pointsInterval = (i: Interval) =>
  `[${Number.isFinite(i.lower) ? points(i.lower) : "-inf"}, ${Number.isFinite(i.upper) ? points(i.upper) : "+inf"}]`;

/** The readable report of an analysis. */
export function formatAnalysis(a: ExperimentAnalysis): string {
  const level = `${Math.round(100 * a.settings.confidenceLevel)}%`;
  const sided = a.settings.alternative;
  const b = a.bayesian;
  const s = a.sequential;
  const srm = a.sampleRatioMismatch;
  const armRow = (name: string, arm: ExperimentAnalysis["control"]) => [
    name,
    String(arm.units),
    String(arm.clicks),
    pct(arm.rate),
    interval(arm.interval),
  ];
  return [
    formatTable(
      ["arm", "users", "clicks", "CTR", `${level} Wilson interval (${sided})`],
      [armRow("control", a.control), armRow("treatment", a.treatment)],
    ),
    "",
    formatTable(
      ["effect", "estimate", `${level} interval (${sided})`, "method"],
      [
        [
          "difference",
          points(a.difference.estimate),
          pointsInterval(a.difference.interval),
          "Newcombe hybrid score",
        ],
        [
          "relative lift",
          pct(a.relativeLift.estimate, 1),
          interval(a.relativeLift.interval, 1),
          "delta method",
        ],
      ],
    ),
    "",
    formatTable(
      ["test", "statistic", "p-value"],
      [
        [`pooled z-test (${sided})`, `z = ${a.zTest.z.toFixed(4)}`, p(a.zTest.pValue)],
        ["chi-square (2x2)", `X2 = ${a.chiSquare.statistic.toFixed(4)}`, p(a.chiSquare.pValue)],
        ["chi-square, Yates", `X2 = ${a.chiSquareYates.statistic.toFixed(4)}`, p(a.chiSquareYates.pValue)],
        [
          `Fisher exact (${sided})`,
          `odds ratio ${a.fisherExact.sampleOddsRatio.toFixed(3)}`,
          p(a.fisherExact.pValue),
        ],
        [
          `sequential, always valid (two-sided, N* ${s.tuningParameter})`,
          `CI ${pointsInterval(s.interval)}`,
          p(s.pValue),
        ],
      ],
    ),
    "",
    `Bayesian (Beta(${b.prior.alpha}, ${b.prior.beta}) prior): P(treatment better) = ` +
      `${b.probabilityTreatmentBetter.toFixed(4)}; expected CTR loss choosing treatment ` +
      `${lossPoints(b.expectedLossChoosingTreatment)}, control ${lossPoints(b.expectedLossChoosingControl)}; ` +
      `${Math.round(100 * b.credibleLevel)}% credible interval of the lift ${interval(b.relativeLiftCredibleInterval, 1)}`,
    `Sample ratio: ${srm.observedUsers.join(" vs ")} users, expected ` +
      `${srm.expectedUsers.map((e) => e.toFixed(0)).join(" vs ")}, p = ${p(srm.pValue)}: ` +
      (srm.mismatch ? `MISMATCH (p < ${srm.threshold}), do not trust these results` : "no mismatch"),
    "",
    a.conclusion,
    "",
  ].join("\n");
}

/**
 * CUPED for the per-user CTR (src/results/cuped-ctr.ts), tested with Welch's t as the unadjusted `welchTTest`
 * beside it; undefined when the file has no pre-period columns.
 */
export function cupedOfPerUser(summary: PerUserSummary, alpha: number): CupedCtr | undefined {
  const arm = (role: "control" | "treatment") => {
    const { clicks, impressions, preClicks, preImpressions } = summary[role];
    return preClicks === undefined || preImpressions === undefined
      ? undefined
      : { clicks, impressions, preClicks, preImpressions };
  };
  const control = arm("control");
  const treatment = arm("treatment");
  if (control === undefined || treatment === undefined) return undefined;
  return cupedCtr({ control, treatment }, PER_USER_VARIANTS, alpha);
}

/**
 * The --per-user analysis: every figure of the delta-method comparison, z-test and Welch t-test, and `cuped`
 * (`cupedOfPerUser`) when the file has pre_clicks,pre_impressions.
 */
export function analyzePerUser(file: string, alpha: number) {
  const summary = readPerUserCsv(file);
  const ratioSummaries = {
    control: ratioSummaryFromUsers(
      summary.control.clicks,
      summary.control.impressions,
      PER_USER_VARIANTS.control,
    ),
    treatment: ratioSummaryFromUsers(
      summary.treatment.clicks,
      summary.treatment.impressions,
      PER_USER_VARIANTS.treatment,
    ),
  };
  const z = compareRatioArms(ratioSummaries.control, ratioSummaries.treatment, { alpha, test: "z" });
  const welch = compareRatioArms(ratioSummaries.control, ratioSummaries.treatment, { alpha, test: "welch" });
  const cuped = cupedOfPerUser(summary, alpha);
  const arm = (role: "control" | "treatment", estimate: RatioArm) => ({
    variant: PER_USER_VARIANTS[role],
    users: estimate.users,
    clicks: ratioSummaries[role].numeratorSum,
    impressions: ratioSummaries[role].denominatorSum,
    ctr: estimate.ratio,
    standardError: estimate.standardError,
    perUserDeltaVariance: estimate.perUserVariance,
  });
  return {
    file,
    metric: "CTR per impression (clicks / impressions), delta method, users as the unit",
    alpha,
    prePeriodColumns: summary.hasPrePeriod,
    control: arm("control", z.control),
    treatment: arm("treatment", z.treatment),
    zTest: { difference: z.difference, relativeLift: z.relativeLift },
    welchTTest: { difference: welch.difference, relativeLift: welch.relativeLift },
    ...(cuped === undefined ? {} : { cuped }),
  };
}

/** The readable report of a --per-user analysis. */
export function formatPerUserAnalysis(a: ReturnType<typeof analyzePerUser>): string {
  const level = `${Math.round(100 * (1 - a.alpha))}%`;
  const armRow = (role: string, arm: typeof a.control) => [
    role,
    arm.variant,
    String(arm.users),
    String(arm.clicks),
    String(arm.impressions),
    pct(arm.ctr),
    unsignedPoints(arm.standardError),
  ];
  const effectRow = (
    name: string,
    e: RatioEffect,
    format: (x: number) => string,
    formatSE: (x: number) => string,
  ) => [
    name,
    format(e.estimate),
    formatSE(e.standardError),
    `[${format(e.intervalTwoSided.lower)}, ${format(e.intervalTwoSided.upper)}]`,
    `[${format(e.intervalGreater.lower)}, +inf)`,
    p(e.pValueTwoSided),
    p(e.pValueGreater),
  ];
  const signedPct = (x: number) => `${x >= 0 ? "+" : ""}${pct(x, 1)}`;
  const w = a.welchTTest;
  const effectHeader = (test: string) => [
    `effect (${test})`,
    "estimate",
    "SE",
    `${level} CI (two-sided)`,
    `${level} CI (one-sided)`,
    "p two-sided",
    "p one-sided",
  ];
  const c = "cuped" in a ? a.cuped : undefined;
  const cupedLines =
    c === undefined
      ? []
      : [
          `CUPED (covariate: ${c.covariate}): theta ${c.theta.toFixed(4)}, variance of the difference ` +
            `reduced by ${pct(c.varianceReduction, 1)}; adjusted CTR ${pct(c.control.adjustedCtr)} (baseline), ` +
            `${pct(c.treatment.adjustedCtr)} (challenger); Welch df ${c.difference.degreesOfFreedom.toFixed(2)} adjusted`,
          formatTable(effectHeader("Welch t-test"), [
            effectRow("difference, unadjusted", w.difference, points, unsignedPoints),
            effectRow("difference, CUPED", c.difference, points, unsignedPoints),
            effectRow("relative lift, unadjusted", w.relativeLift, signedPct, (x) => pct(x, 1)),
            effectRow("relative lift, CUPED", c.relativeLift, signedPct, (x) => pct(x, 1)),
          ]),
          "",
        ];
  return [
    `Per-user summary from ${a.file}: ${a.metric}`,
    "",
    formatTable(
      ["arm", "variant", "users", "clicks", "impressions", "CTR", "SE"],
      [armRow("control", a.control), armRow("treatment", a.treatment)],
    ),
    "",
    formatTable(effectHeader("z-test"), [
      effectRow("difference", a.zTest.difference, points, unsignedPoints),
      effectRow("relative lift", a.zTest.relativeLift, signedPct, (x) => pct(x, 1)),
    ]),
    "",
    `Welch t-test (df ${w.difference.degreesOfFreedom.toFixed(2)}): difference p = ${p(w.difference.pValueTwoSided)} ` +
      `two-sided, ${p(w.difference.pValueGreater)} one-sided; relative lift p = ${p(w.relativeLift.pValueTwoSided)} two-sided`,
    "",
    ...cupedLines,
    "One-sided: the alternative is that the challenger's CTR is higher.",
    "",
  ].join("\n");
}

/** The proportions analysis' settings from the options. */
const analysisSettings = (options: AnalyzeOptions) => ({
  alpha: options.alpha,
  alternative: options.oneSided ? ("greater" as const) : ("two-sided" as const),
  allocationRatio: options.ratio,
  sequentialTuningParameter: options.tuning,
});

/**
 * The --prometheus analysis: the proportions analysis of Seldon's counters, printed with the counts and queries
 * it came from (`{ prometheus, ...analysis }` as JSON).
 */
async function analyzeFromPrometheus(url: string, options: AnalyzeOptions): Promise<void> {
  const other = [
    ["--events", options.events],
    ["--control", options.control],
    ["--treatment", options.treatment],
    ["--per-user", options.perUser],
    ["--unit", options.unit],
    ["--user-level", options.userLevel],
  ].find(([, value]) => value !== undefined);
  if (other)
    throw new InputError(
      `give --prometheus without ${String(other[0])}: Seldon's counters are the two arms`,
      {
        field: String(other[0]),
      },
    );
  const counts: SeldonCounts = await readSeldonFeedbackCounts({
    url,
    time: options.time,
    range: options.range,
  });
  const analysis = analyzeCounts(
    twoArmCountsFromSeldon(counts, { control: options.controlVariant, treatment: options.treatmentVariant }),
    analysisSettings(options),
  );
  const source =
    `Counts from Prometheus ${url}${counts.time === undefined ? "" : ` at ${counts.time}`}` +
    `${counts.range === undefined ? "" : ` over ${counts.range}`}: ${counts.queries.join(", ")}; ` +
    'one trial per visit with a feedback ("users" below are visits)\n\n';
  process.stdout.write(
    options.json
      ? JSON.stringify({ prometheus: counts, ...analysis }, null, 2) + "\n"
      : source + formatAnalysis(analysis),
  );
}

/** The two arms from --events or from --control/--treatment (exactly one of the two forms). */
async function countsFromOptions(options: AnalyzeOptions): Promise<TwoArmCounts> {
  if (options.events !== undefined) {
    if (options.control !== undefined || options.treatment !== undefined)
      throw new InputError("give either --events or --control/--treatment, not both", { field: "--events" });
    return twoArmCountsFromEvents(
      await loadVariantCounts(options.events),
      options.unit ?? "visit",
      { control: options.controlVariant, treatment: options.treatmentVariant },
      redactedUrl(options.events),
    );
  }
  if (options.control === undefined || options.treatment === undefined)
    throw new InputError("expected --control and --treatment (CLICKS/UNITS), or --events PATH", {
      field: options.control === undefined ? "--control" : "--treatment",
    });
  return {
    control: parseProportionSummary(options.control, "--control"),
    treatment: parseProportionSummary(options.treatment, "--treatment"),
  };
}

export function register(program: Command): void {
  program
    .command("analyze")
    .description(
      "Analyse the A/B test's clicks: rates and intervals, z / chi-square / Fisher tests, Bayesian, sequential, SRM.",
    )
    .option(
      "--control <clicks/units>",
      'control clicks and units (visits or users), e.g. "79/1124" (or use --events)',
    )
    .option(
      "--treatment <clicks/units>",
      'treatment clicks and units (visits or users), e.g. "124/1124" (or use --events)',
    )
    .option(
      "--events <location>",
      "read both arms from this event store instead of --control/--treatment: an SQLite file, a " +
        "postgresql:// URL (counted on the server), or env for the URL in ABREC_EVENTS_URL",
    )
    .option(
      "--prometheus <url>",
      "read both arms from Seldon's counters in this Prometheus (seldon_api_model_feedback_total = visits with a " +
        "feedback, seldon_api_model_feedback_reward_total = clicks, per model_name): the SeldonDeployment's " +
        "analysis, visit-level only (no per-user sums)",
    )
    .option(
      "--time <time>",
      "with --prometheus: evaluate at this time (RFC 3339 or Unix seconds; default now)",
    )
    .option(
      "--range <duration>",
      "with --prometheus: total the counters' samples over this range (e.g. 7d) across restarts of the model " +
        "servers, instead of their latest values; it must reach back to the servers' first start",
    )
    .addOption(
      new Option(
        "--unit <unit>",
        "with --events: visit (impressions and clicked impressions; random routing, repeat visitors) or user " +
          "(users and users who clicked; sticky routing only)",
      ).choices([...ANALYSIS_UNITS]),
    )
    .option(
      "--user-level",
      "with --events: the report's analysis of a user-randomised experiment (the default for a store with a " +
        "simulated calendar): CTR per impression by the delta method, CUPED on the pre-period, the naive test " +
        "shown as wrong, secondaries with Holm, guardrails, SRM and daily sequential looks",
    )
    .option(
      "--control-variant <name>",
      "with --events: the control's variant name (default: the router's child 0, else baseline)",
    )
    .option(
      "--treatment-variant <name>",
      "with --events: the treatment's variant name (default: the router's child 1, else challenger)",
    )
    .option(
      "--per-user <file.csv>",
      "analyse CTR per impression with the delta method from one row per user: variant,clicks,impressions " +
        "(optionally pre_clicks,pre_impressions, which add CUPED), variants baseline and challenger",
    )
    .option("--one-sided", "one-sided tests and intervals (treatment better) instead of two-sided")
    .option(
      "--alpha <alpha>",
      "significance level, 0..1",
      probabilityOption("--alpha"),
      FUNFLIX_BUSINESS_CASE.alpha,
    )
    .option(
      "--ratio <r>",
      "planned treatment users per control user (for the SRM check)",
      numberOption("--ratio"),
      FUNFLIX_BUSINESS_CASE.allocationRatio,
    )
    .option(
      "--tuning <n>",
      "sequential tuning parameter N*: total users at which the always-valid interval is tightest",
      numberOption("--tuning"),
      5000,
    )
    .option("--json", "print every figure as JSON instead of tables")
    .action(async (options: AnalyzeOptions) => {
      if (options.prometheus !== undefined) {
        await analyzeFromPrometheus(options.prometheus, options);
        return;
      }
      if (options.time !== undefined || options.range !== undefined)
        throw new InputError("--time and --range go with --prometheus URL", {
          field: options.time !== undefined ? "--time" : "--range",
        });
      if (options.perUser !== undefined) {
        if (options.events !== undefined || options.control !== undefined || options.treatment !== undefined)
          throw new InputError("give --per-user alone, without --events or --control/--treatment", {
            field: "--per-user",
          });
        const perUser = analyzePerUser(options.perUser, options.alpha);
        process.stdout.write(
          options.json ? JSON.stringify(perUser, null, 2) + "\n" : formatPerUserAnalysis(perUser),
        );
        return;
      }
      if (options.events !== undefined && options.unit === undefined) {
        const counts = await loadVariantCounts(options.events);
        if (options.userLevel || counts.preDays !== null) {
          if (options.oneSided)
            throw new InputError("the user-level analysis is one-sided already (with two-sided intervals)", {
              field: "--one-sided",
            });
          const userLevel = analyzeUserLevel({
            counts,
            visits: await loadVisitEvents(options.events),
            names: armNames(counts, { control: options.controlVariant, treatment: options.treatmentVariant }),
            alpha: options.alpha,
            sequentialTuningParameter: options.tuning,
            file: redactedUrl(options.events),
          });
          process.stdout.write(
            options.json
              ? JSON.stringify(userLevel, null, 2) + "\n"
              : userLevelMarkdown(userLevel, {
                  dataset: "(from the event store)",
                  seed: Number(counts.settings.routing_seed ?? NaN),
                  transport: "the router",
                  eventsFile: redactedUrl(options.events),
                }),
          );
          return;
        }
      } else if (options.userLevel)
        throw new InputError("--user-level needs --events PATH and no --unit", { field: "--user-level" });
      const analysis = analyzeCounts(await countsFromOptions(options), analysisSettings(options));
      const source =
        options.events === undefined
          ? ""
          : `Counts from ${redactedUrl(options.events)}, one trial per ${options.unit ?? "visit"} ("users" below are ${options.unit ?? "visit"}s)\n\n`;
      process.stdout.write(
        options.json ? JSON.stringify(analysis, null, 2) + "\n" : source + formatAnalysis(analysis),
      );
    });
}
