/**
 * report.md: the experiment's results for people, from a `ResultsAnalysis` (./analyze-results): design, observed
 * CTRs with intervals, p-values, the decision against the pre-registered hypothesis, lift, sample ratio, Bayesian
 * and sequential readings, and the comparison with the ground truth of the click model.
 */
import type { Interval } from "../stats/intervals";
import type { Coverage, ResultsAnalysis } from "./analyze-results";

const pct = (x: number, digits = 2) =>
  Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : x > 0 ? "+inf" : "-inf";
const range = (i: Interval, digits = 2) => `[${pct(i.lower, digits)}, ${pct(i.upper, digits)}]`;
const pts = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} pts` : "inf");
const ptsRange = (i: Interval) => `[${pts(i.lower)}, ${pts(i.upper)}]`;
/** A p-value with 4 decimals, or 3 significant digits when small. */
export const formatP = (x: number) =>
  x >= 0.01 ? x.toFixed(4) : x >= 1e-5 ? x.toPrecision(3) : x.toExponential(2);
const yesNo = (c: Coverage | null) => (c === null ? "n/a" : c.covered ? "yes" : "**no**");

/** What report.md says about the run itself (filled by the caller). */
export interface ReportContext {
  dataset: string;
  seed: number;
  transport: string;
  /** Where the counts came from, relative to the results folder. */
  eventsFile: string;
  /** Model versions by variant. */
  modelVersions?: Record<string, string>;
}

/** The report as Markdown. */
export function resultsMarkdown(r: ResultsAnalysis, context: ReportContext): string {
  const a = r.preRegistered;
  const t = r.twoSided;
  const d = r.plan.design;
  const { control: c, treatment: tr } = r.names;
  const alpha = a.settings.alpha;
  const unit = r.unit === "visit" ? "visits" : "users";
  const total = a.control.units + a.treatment.units;
  const b = a.bayesian;
  const srm = a.sampleRatioMismatch;
  const s = t.sequential;
  const truthRow = (variant: string, cov: Coverage | null, arm: typeof t.control) => [
    variant,
    cov ? pct(cov.truth) : "n/a",
    pct(arm.rate),
    range(arm.interval),
    yesNo(cov),
  ];
  const table = (head: string[], rows: string[][]) =>
    [
      `| ${head.join(" | ")} |`,
      `| ${head.map(() => "---").join(" | ")} |`,
      ...rows.map((row) => `| ${row.join(" | ")} |`),
    ].join("\n");
  const version = (v: string) => (context.modelVersions?.[v] ? ` (${context.modelVersions[v]})` : "");
  const decision = r.rejectNull
    ? `**Reject H0.** The challenger's CTR is higher than the baseline's (one-sided p = ${formatP(a.zTest.pValue)} < ${alpha}). Ship the challenger.`
    : `**Do not reject H0.** The data do not show that the challenger's CTR is higher (one-sided p = ${formatP(a.zTest.pValue)} >= ${alpha}). Keep the baseline.`;
  return [
    "# A/B test results: baseline vs challenger recommender",
    "",
    `Dataset ${context.dataset}, seed ${context.seed}, traffic through ${context.transport}; counts from ` +
      `\`${context.eventsFile}\` (the event store), one trial per ${r.unit}. Control = \`${c}\`${version(c)}, ` +
      `treatment = \`${tr}\`${version(tr)}. Figures in \`figures/\`, every visit in \`events.csv\`, the run record in \`run.json\`.`,
    "",
    "## Design",
    "",
    `Baseline CTR ${pct(d.baselineRate)}, minimum detectable effect ${pts(d.absoluteEffect)} (CTR ${pct(d.treatmentRate)}), ` +
      `alpha ${d.alpha}, power ${d.power}, sized ${d.oneSided ? "one" : "two"}-sided with ${r.plan.method}: ` +
      `**${r.plan.chosen.controlUsers} per group, ${r.plan.chosen.totalUsers} in all**. Observed: ${a.control.units} + ` +
      `${a.treatment.units} = ${total} ${unit}.`,
    "",
    `Pre-registered hypothesis: H0: CTR(${tr}) <= CTR(${c}) against **H1: CTR(${tr}) > CTR(${c})**, pooled two-proportion ` +
      `z-test, **one-sided, alpha ${alpha}**, decided once at the planned sample size. The two-sided test is ` +
      `reported beside it for reference only. (The sample size was computed two-sided, which is conservative: the ` +
      `one-sided test has power ${r.oneSidedPowerAtPlannedSize.toFixed(3)} at that size.)`,
    "",
    "## Observed CTRs",
    "",
    table(
      [
        "variant",
        unit,
        "clicks",
        "CTR",
        "95% Wilson interval (two-sided)",
        `${Math.round(100 * (1 - alpha))}% one-sided lower bound`,
      ],
      [
        [
          c,
          String(t.control.units),
          String(t.control.clicks),
          pct(t.control.rate),
          range(t.control.interval),
          pct(a.control.interval.lower),
        ],
        [
          tr,
          String(t.treatment.units),
          String(t.treatment.clicks),
          pct(t.treatment.rate),
          range(t.treatment.interval),
          pct(a.treatment.interval.lower),
        ],
      ],
    ),
    "",
    "![CTR per variant](figures/ctr-by-variant.svg)",
    "",
    "## Tests and decision",
    "",
    table(
      ["test", "statistic", "p-value"],
      [
        ["pooled z-test, one-sided (pre-registered)", `z = ${a.zTest.z.toFixed(4)}`, formatP(a.zTest.pValue)],
        ["pooled z-test, two-sided", `z = ${t.zTest.z.toFixed(4)}`, formatP(t.zTest.pValue)],
        [
          "Fisher exact, one-sided",
          `odds ratio ${a.fisherExact.sampleOddsRatio.toFixed(3)}`,
          formatP(a.fisherExact.pValue),
        ],
        [
          "chi-square with Yates (two-sided)",
          `X2 = ${t.chiSquareYates.statistic.toFixed(4)}`,
          formatP(t.chiSquareYates.pValue),
        ],
      ],
    ),
    "",
    `Decision: ${decision}`,
    "",
    `Difference ${pts(t.difference.estimate)}, 95% interval ${ptsRange(t.difference.interval)} (Newcombe). ` +
      `Relative lift ${pct(t.relativeLift.estimate, 1)}, 95% interval ${range(t.relativeLift.interval, 1)} (delta method); ` +
      `one-sided ${Math.round(100 * (1 - alpha))}% lower bound ${pct(a.relativeLift.interval.lower, 1)}.`,
    "",
    "## Sample ratio check",
    "",
    `${srm.observedUsers.join(" vs ")} ${unit}, expected ${srm.expectedUsers.map((e) => e.toFixed(1)).join(" vs ")} ` +
      `under a 50/50 split: chi-square ${srm.chiSquare.toFixed(3)}, p = ${formatP(srm.pValue)} -> ` +
      (srm.mismatch
        ? `**sample ratio mismatch** (p < ${srm.threshold}): do not trust the results before finding the cause.`
        : `no mismatch (threshold p < ${srm.threshold}).`) +
      (r.counts.usersInSeveralVariants > 0
        ? ` ${r.counts.usersInSeveralVariants} users were served by both variants (per-request randomisation; ` +
          `the unit is the visit).`
        : ""),
    "",
    "## Bayesian reading",
    "",
    `Beta(${b.prior.alpha}, ${b.prior.beta}) priors: P(${tr} better) = **${b.probabilityTreatmentBetter.toFixed(4)}**; ` +
      `expected loss choosing ${tr} ${pct(b.expectedLossChoosingTreatment, 4)} of CTR, choosing ${c} ` +
      `${pct(b.expectedLossChoosingControl, 4)}; ${Math.round(100 * t.bayesian.credibleLevel)}% credible interval ` +
      `of the lift ${range(t.bayesian.relativeLiftCredibleInterval, 1)}.`,
    "",
    "## Sequential analysis",
    "",
    `Always-valid (mixture sequential probability ratio) analysis, tuning N* = ${s.tuningParameter} (the planned total): ` +
      `difference interval ${ptsRange(s.interval)} at the end; always-valid p = ` +
      // The always-valid p-value is the running minimum over the looks (what analysis.json's looks record),
      // not the single-look value at the end, which can be larger.
      `${formatP(r.looks.length > 0 ? r.looks[r.looks.length - 1].alwaysValidPValue : s.pValue)}` +
      (r.firstAlwaysValidRejectionVisit === null
        ? `; it never fell below ${alpha} at any of ${r.looks.length} looks.`
        : `; it first fell below ${alpha} after ${r.firstAlwaysValidRejectionVisit} ${unit}, where the experiment ` +
          `could have stopped with its error rate intact.`) +
      " Fixed-sample p-values at intermediate looks (figure) are shown to illustrate peeking; they are not valid " +
      "for stopping early.",
    "",
    "![Cumulative CTR and p-values](figures/cumulative.svg)",
    "",
    "## Ground truth",
    "",
    "The simulated visitors click according to the calibrated cascade click model, so each model's exact " +
      "expected CTR over the test population is known. Does each 95% interval cover it?",
    "",
    table(
      ["quantity", "ground truth", "measured", "95% interval", "covered"],
      [
        truthRow(c, r.coverage.control, t.control),
        truthRow(tr, r.coverage.treatment, t.treatment),
        [
          "difference",
          r.coverage.difference ? pts(r.coverage.difference.truth) : "n/a",
          pts(t.difference.estimate),
          ptsRange(t.difference.interval),
          yesNo(r.coverage.difference),
        ],
        [
          "relative lift",
          r.coverage.relativeLift ? pct(r.coverage.relativeLift.truth, 1) : "n/a",
          pct(t.relativeLift.estimate, 1),
          range(t.relativeLift.interval, 1),
          yesNo(r.coverage.relativeLift),
        ],
      ],
    ),
    "",
    "## Power",
    "",
    "![Power curve](figures/power-curve.svg)",
    "",
  ].join("\n");
}
