/**
 * `abrec analyze`: the full analysis of the experiment's clicks (src/stats/analysis.ts `analyzeCounts`) from
 * "CLICKS/UNITS" counts per arm (units: visits or users), or from an event store file (`--events PATH`, counted per visit or per user by
 * src/results/counts.ts), as readable tables or `--json`.
 */
import { Command, Option } from "commander";
import { InputError } from "../../core/errors";
import { analyzeCounts, type ExperimentAnalysis } from "../../stats/analysis";
import { FUNFLIX_BUSINESS_CASE } from "../../stats/business-case";
import type { Interval } from "../../stats/intervals";
import { parseProportionSummary, type TwoArmCounts } from "../../stats/summary";
import { ANALYSIS_UNITS, type AnalysisUnit, twoArmCountsFromEvents } from "../../results/counts";
import { readVariantCounts } from "../../serving/event-store";
import { numberOption, probabilityOption } from "../number-option";
import { formatTable } from "../table";

interface AnalyzeOptions {
  control?: string;
  treatment?: string;
  events?: string;
  unit: AnalysisUnit;
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

/** The two arms from --events or from --control/--treatment (exactly one of the two forms). */
function countsFromOptions(options: AnalyzeOptions): TwoArmCounts {
  if (options.events !== undefined) {
    if (options.control !== undefined || options.treatment !== undefined)
      throw new InputError("give either --events or --control/--treatment, not both", { field: "--events" });
    return twoArmCountsFromEvents(
      readVariantCounts(options.events),
      options.unit,
      { control: options.controlVariant, treatment: options.treatmentVariant },
      options.events,
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
      "--events <path>",
      "read both arms from this event store (SQLite) instead of --control/--treatment",
    )
    .addOption(
      new Option(
        "--unit <unit>",
        "with --events: visit (impressions and clicked impressions; random routing, repeat visitors) or user " +
          "(users and users who clicked; sticky routing only)",
      )
        .choices([...ANALYSIS_UNITS])
        .default("visit"),
    )
    .option(
      "--control-variant <name>",
      "with --events: the control's variant name (default: the router's child 0, else baseline)",
    )
    .option(
      "--treatment-variant <name>",
      "with --events: the treatment's variant name (default: the router's child 1, else challenger)",
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
    .action((options: AnalyzeOptions) => {
      const analysis = analyzeCounts(countsFromOptions(options), {
        alpha: options.alpha,
        alternative: options.oneSided ? "greater" : "two-sided",
        allocationRatio: options.ratio,
        sequentialTuningParameter: options.tuning,
      });
      const source =
        options.events === undefined
          ? ""
          : `Counts from ${options.events}, one trial per ${options.unit} ("users" below are ${options.unit}s)\n\n`;
      process.stdout.write(
        options.json ? JSON.stringify(analysis, null, 2) + "\n" : source + formatAnalysis(analysis),
      );
    });
}
