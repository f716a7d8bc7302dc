/**
 * report.md: the experiment's results for people, from a `ResultsAnalysis` (./analyze-results): design, observed
 * CTRs with intervals, p-values, the decision against the pre-registered hypothesis, lift, sample ratio, Bayesian
 * and sequential readings, and the comparison with the ground truth of the click model. `userLevelMarkdown`
 * renders the user-level analysis of a sticky-routed experiment on a calendar (./user-level).
 */
import type { Interval } from "../stats/intervals";
import type { Coverage, ResultsAnalysis } from "./analyze-results";
import type { CalendarAaStudy, CalendarScenario } from "../simulation/aa-study";
import type { UserLevelAnalysis } from "./user-level";
import type { InterleavingAnalysis } from "./interleaving";
import type { BanditAnalysis } from "./bandit";

const pct = (x: number, digits = 2) =>
  Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : x > 0 ? "+inf" : "-inf";
const range = (i: Interval, digits = 2) => `[${pct(i.lower, digits)}, ${pct(i.upper, digits)}]`;
const pts = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} pts` : "inf");
const ptsRange = (i: Interval) => `[${pts(i.lower)}, ${pts(i.upper)}]`;
/** A p-value with 4 decimals, or 3 significant digits when small. */
export const formatP = (x: number) =>
  x >= 0.01 ? x.toFixed(4) : x >= 1e-5 ? x.toPrecision(3) : x.toExponential(2);
const yesNo = (c: Coverage | null) => (c === null ? "n/a" : c.covered ? "yes" : "**no**");
/** An unsigned size in percentage points (a standard error). */
const ptsSize = (x: number) => `${(100 * x).toFixed(2)} pts`;
const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");

/** What report.md says about the run itself (filled by the caller). */
export interface ReportContext {
  dataset: string;
  seed: number;
  transport: string;
  /** Where the counts came from, relative to the results folder. */
  eventsFile: string;
  /** Model versions by variant. */
  modelVersions?: Record<string, string>;
  /** How the experiment's length was chosen (the calendar run's design from its pre-period). */
  experimentLength?: ReportedExperimentLength;
  /** The seeded A/A and power study on the run's own calendar and population (src/simulation/aa-study.ts). */
  aaStudy?: CalendarAaStudy;
}

/** The A/A study's section: type-I error, power and coverage of each test on this run's calendar. */
function aaStudySection(study: CalendarAaStudy | undefined): string[] {
  if (!study) return [];
  const o = study.options;
  const rate = (r: { rate: number; standardError: number }) => `${pct(r.rate)} ± ${pct(r.standardError)}`;
  const scenarios: [string, CalendarScenario | null][] = [
    ["A/A (both arms the baseline)", study.aa],
    ["the real challenger", study.challenger],
    [`+${(100 * (o.lift ?? 0)).toFixed(0)} points on every user`, study.lift],
  ];
  const rows = scenarios
    .flatMap(([name, sc]) => (sc === null ? [] : [[name, sc] as const]))
    .map(([name, sc]) => [
      name,
      pts(sc.trueDifference),
      rate(sc.rejections.naive),
      rate(sc.rejections.deltaMethod),
      rate(sc.rejections.cuped),
      rate(sc.coverage),
      pct(sc.meanCupedVarianceReduction, 1),
    ]);
  return [
    "## A/A and power study on this calendar",
    "",
    `${o.experiments} simulated experiments (seed ${o.seed}) on this run's users, visit rates and exact per-user CTRs, ` +
      `${o.preDays} pre-period days and ${o.experimentDays} experiment days, users split 50/50 at random each time, ` +
      `one-sided alpha ${o.alpha}. The rejection rate is the type-I error in the A/A row and the power in the others ` +
      `(± one binomial standard error).`,
    "",
    table(
      [
        "scenario",
        "true difference",
        "naive z-test rejects",
        "delta method rejects",
        "CUPED rejects",
        "delta-method 95% CI covers the truth",
        "mean CUPED variance reduction",
      ],
      rows,
    ),
    "",
  ];
}

/** The experiment's length as the report states it (src/pipeline/experiment.ts `ExperimentLength`). */
export interface ReportedExperimentLength {
  days: number;
  chosenBy: "design" | "fixed";
  powerAtLength: number | null;
  design: {
    requiredDays: number | null;
    lift: number;
    targetPower: number;
    alpha: number;
    model: { population: number; baselineRatio: number; impressionsPerUserPerDay: number };
  } | null;
}

/** The design paragraph: the days the pre-period asked for, the cap, and the power the length gives. */
function lengthParagraph(length: ReportedExperimentLength | undefined): string[] {
  if (!length) return [];
  const d = length.design;
  const fit = d
    ? `From the pre-period (${d.model.population} users, CTR ${pct(d.model.baselineRatio)}, ` +
      `${d.model.impressionsPerUserPerDay.toFixed(3)} impressions per user per day), the delta method's variance ` +
      `gives ${d.requiredDays === null ? "no length within reach" : `${d.requiredDays} days`} for ` +
      `${pct(d.targetPower, 0)} power at +${(100 * d.lift).toFixed(1)} points (one-sided alpha ${d.alpha}). `
    : "";
  const chosen =
    length.chosenBy === "fixed"
      ? `The length was fixed at ${length.days} days`
      : d?.requiredDays === null || (d && d.requiredDays > length.days)
        ? `Capped at ${length.days} days (the default run's time budget)`
        : `Rounded up to whole weeks: ${length.days} days (every weekday equally in both arms)`;
  const power =
    d && length.powerAtLength !== null
      ? `, which give ${pct(length.powerAtLength, 1)} power at that effect.`
      : ".";
  return ["## Design", "", `${fit}${chosen}${power}`, ""];
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

/**
 * The user-level analysis (./user-level `analyzeUserLevel`) as Markdown: the decision first, then the primary's
 * arms and effects, CUPED, the naive test shown as the wrong analysis, the secondaries with adjusted p-values,
 * guardrails, the sample ratio check on users and the daily sequential looks.
 *
 * @example
 * userLevelMarkdown(analyzeUserLevel({ counts, visits, names }), { dataset: "ml-latest-small", seed: 7,
 *   transport: "HTTP", eventsFile: "events.sqlite" }); // => "# User-level A/B test results ..."
 */
export function userLevelMarkdown(u: UserLevelAnalysis, context: ReportContext): string {
  const { primary: p, alpha } = u;
  const { control: c, treatment: t } = u.names;
  const level = `${Math.round(100 * (1 - alpha))}%`;
  const version = (v: string) => (context.modelVersions?.[v] ? ` (${context.modelVersions[v]})` : "");
  const g = u.guardrails;
  const guardrailRows = [
    ["prediction latency p99", g.latencyP99],
    ["fallback share", g.fallbackShare],
    ["error rate", g.errorRate],
  ] as const;
  const failed = guardrailRows.filter(([, row]) => row.status === "fail").map(([name]) => name);
  const notRecorded = guardrailRows.filter(([, row]) => row.status === "not recorded").map(([name]) => name);
  const cal = u.calendar;
  const interim = cal.reachedPlannedEnd === false;
  const decision = [
    p.rejectNull
      ? `**Reject H0.** CTR per impression is higher with ${t} than with ${c}: one-sided p = ${formatP(p.pValueOneSided)} < ${alpha} ` +
        `(delta method, users as the unit).`
      : `**Do not reject H0.** The data do not show a higher CTR per impression with ${t}: one-sided p = ` +
        `${formatP(p.pValueOneSided)} >= ${alpha} (delta method, users as the unit).`,
    failed.length > 0
      ? `Guardrail failed: ${failed.join(", ")}; do not ship ${t} whatever the primary says.`
      : `Guardrails: no recorded guardrail failed${notRecorded.length > 0 ? ` (not recorded: ${notRecorded.join(", ")})` : ""}.`,
    p.rejectNull && failed.length === 0 && !u.srm.mismatch && !interim
      ? `Ship ${t}.`
      : p.rejectNull
        ? `Do not ship yet.`
        : `Keep ${c}.`,
    u.srm.mismatch
      ? `**Sample ratio mismatch** (p = ${formatP(u.srm.pValue)}): do not trust these results before finding the cause.`
      : "",
    interim
      ? `Interim: ${cal.experimentDays} of ${cal.plannedDays} planned days; the fixed-horizon decision is taken at the planned end ` +
        `(only the always-valid sequential p below may be read now).`
      : "",
  ]
    .filter(Boolean)
    .join(" ");
  const truth = p.coverage;
  const armRow = (arm: UserLevelAnalysis["control"], cov: Coverage | null) => [
    `${arm.variant}${version(arm.variant)}`,
    String(arm.users),
    String(arm.impressions),
    String(arm.clicks),
    pct(arm.ctr),
    ptsSize(arm.standardError),
    range(arm.interval),
    ...(truth ? [pct(cov!.truth), yesNo(cov)] : []),
  ];
  const effectRow = (
    name: string,
    e: UserLevelAnalysis["primary"]["difference"],
    format: (x: number) => string,
    formatSE: (x: number) => string,
    cov: Coverage | null,
  ) => [
    name,
    format(e.estimate),
    formatSE(e.standardError),
    `[${format(e.intervalTwoSided.lower)}, ${format(e.intervalTwoSided.upper)}]`,
    format(e.intervalGreater.lower),
    formatP(e.pValueGreater),
    formatP(e.pValueTwoSided),
    ...(truth ? [format(cov!.truth), yesNo(cov)] : []),
  ];
  const signedPct = (x: number) => `${x >= 0 ? "+" : ""}${pct(x, 1)}`;
  const truthHead = truth ? ["ground truth", `covered by the ${level} interval`] : [];

  const cu = u.cuped;
  const cupedSection = cu.available
    ? [
        `Covariate: each user's ${cu.covariate}; theta = ${cu.theta.toFixed(4)} (gbstats' ratio regression adjustment). ` +
          `Adjusted CTR ${pct(cu.control.adjustedCtr)} (${c}), ${pct(cu.treatment.adjustedCtr)} (${t}).`,
        "",
        table(
          ["difference", "estimate", "SE", `${level} CI (two-sided)`, "p one-sided"],
          [
            [
              "unadjusted (delta method, z)",
              pts(p.difference.estimate),
              ptsSize(cu.unadjustedStandardError),
              ptsRange(p.difference.intervalTwoSided),
              formatP(p.pValueOneSided),
            ],
            [
              `CUPED (Welch t, df ${cu.difference.degreesOfFreedom.toFixed(1)})`,
              pts(cu.difference.estimate),
              ptsSize(cu.difference.standardError),
              ptsRange(cu.difference.intervalTwoSided),
              formatP(cu.pValueOneSided),
            ],
          ],
        ),
        "",
        `Variance of the difference reduced by **${pct(cu.varianceReduction, 1)}**. Users without pre-period ` +
          `impressions (${cu.usersWithoutPrePeriod.control} in ${c}, ${cu.usersWithoutPrePeriod.treatment} in ${t}) ` +
          `stay in the analysis unadjusted: their pre-period term is 0.`,
      ]
    : [`CUPED not available: ${cu.reason}.`];

  const n = u.naive;
  const sq = u.sequential;
  const sequentialSection = sq.available
    ? [
        `Daily looks at the users so far, delta-method difference, always-valid p-value (asymptotic confidence ` +
          `sequence, tuning N* = ${sq.tuningParameter} users; running minimum over the looks). ` +
          (sq.firstSignificantDay === null
            ? `It never fell below ${alpha} in ${sq.looks.length} daily looks.`
            : `It first fell below ${alpha} on day ${sq.firstSignificantDay}, where the experiment could have ` +
              `stopped with its error rate intact.`) +
          (sq.daysBeforeFirstLook.length > 0
            ? ` No look before day ${sq.looks[0]?.day ?? "-"} (too few users or no clicks yet).`
            : "") +
          " The fixed-sample p-values are shown to illustrate peeking; they are not valid for stopping early.",
        "",
        table(
          [
            "day",
            "experiment day",
            `users ${c} + ${t}`,
            `CTR ${c}`,
            `CTR ${t}`,
            "difference",
            "SE",
            "fixed-sample p one-sided",
            "always-valid p",
            "always-valid interval (running)",
          ],
          sq.looks.map((look) => [
            String(look.day),
            String(look.experimentDay),
            `${look.controlUsers} + ${look.treatmentUsers}`,
            pct(look.controlCtr),
            pct(look.treatmentCtr),
            pts(look.difference),
            ptsSize(look.standardError),
            formatP(look.fixedSamplePValueOneSided),
            formatP(look.alwaysValidPValue),
            ptsRange(look.runningInterval),
          ]),
        ),
      ]
    : [`Sequential looks not available: ${sq.reason}.`];

  const shareCell = (share: number | null, counts: [number, number] | null) =>
    share === null || counts === null ? "not recorded" : `${pct(share)} (${counts[0]} of ${counts[1]})`;
  const latencyCell = (ms: number | null, count: number) =>
    ms === null ? "not recorded" : `${ms.toFixed(1)} ms (${count} visits)`;
  const status = (s: string) => (s === "fail" ? "**fail**" : s);

  return [
    "# User-level A/B test results: baseline vs challenger recommender",
    "",
    `Dataset ${context.dataset}, seed ${context.seed}, traffic through ${context.transport}; records from ` +
      `\`${context.eventsFile}\` (the event store). Randomised by user (sticky routing): control = \`${c}\`${version(c)}, ` +
      `treatment = \`${t}\`${version(t)}. Calendar: ${cal.preDays === null ? "no pre-period" : `${cal.preDays}-day pre-period`}, ` +
      `${cal.experimentDays ?? "unknown"} experiment days` +
      `${cal.plannedDays === null ? "" : ` of ${cal.plannedDays} planned`}.`,
    "",
    ...lengthParagraph(context.experimentLength),
    "## Decision",
    "",
    `Pre-registered: H0: CTR(${t}) <= CTR(${c}) against H1: CTR(${t}) > CTR(${c}), CTR per impression, ` +
      `delta method on per-user sums, one-sided, alpha ${alpha}, decided at the planned end.`,
    "",
    decision,
    "",
    "## Primary: CTR per impression (delta method)",
    "",
    table(
      [
        "variant",
        "users",
        "impressions",
        "clicks",
        "CTR",
        "SE (delta method)",
        `${level} interval`,
        ...truthHead,
      ],
      [armRow(u.control, truth?.control ?? null), armRow(u.treatment, truth?.treatment ?? null)],
    ),
    "",
    table(
      [
        "effect",
        "estimate",
        "SE",
        `${level} CI (two-sided)`,
        `${level} one-sided lower bound`,
        "p one-sided",
        "p two-sided",
        ...truthHead,
      ],
      [
        effectRow("difference", p.difference, pts, ptsSize, truth?.difference ?? null),
        effectRow("relative lift", p.relativeLift, signedPct, (x) => pct(x, 1), truth?.relativeLift ?? null),
      ],
    ),
    "",
    "## CUPED (pre-period covariate)",
    "",
    ...cupedSection,
    "",
    "## The wrong analysis: naive per-impression z-test",
    "",
    `${n.label}. Pooled z-test on ${u.control.impressions} + ${u.treatment.impressions} impressions: ` +
      `z = ${n.zTest.z.toFixed(4)}, one-sided p = ${formatP(n.zTest.pValue)}, SE ${ptsSize(n.zTest.standardError)} ` +
      `against the delta method's ${ptsSize(n.deltaMethodStandardError)} (variance ratio ` +
      `${n.varianceRatio.toFixed(3)}). Design effect (delta-method variance over the binomial variance of the same ` +
      `impressions): ${n.designEffect.control.toFixed(3)} (${c}), ${n.designEffect.treatment.toFixed(3)} (${t}).`,
    "",
    ...aaStudySection(context.aaStudy),
    "## Secondary metrics",
    "",
    table(
      [
        "metric",
        c,
        t,
        "difference",
        "test",
        "statistic",
        "p one-sided",
        "Holm-adjusted p",
        "BH-adjusted p",
        `significant (Holm, ${alpha})`,
      ],
      u.secondaries.map((s) => [
        s.name,
        s.name === "clicks per user" ? s.control.toFixed(3) : pct(s.control),
        s.name === "clicks per user" ? s.treatment.toFixed(3) : pct(s.treatment),
        s.name === "clicks per user"
          ? `${s.difference >= 0 ? "+" : ""}${s.difference.toFixed(3)}`
          : pts(s.difference),
        s.method,
        s.statistic.toFixed(4),
        formatP(s.pValueOneSided),
        formatP(s.holmAdjustedP),
        formatP(s.bhAdjustedP),
        s.significant ? "yes" : "no",
      ]),
    ),
    "",
    "Holm decides (it bounds the chance of any false claim among the secondaries, whatever their dependence); " +
      "Benjamini-Hochberg (false discovery rate) is shown beside it.",
    "",
    "## Guardrails",
    "",
    table(
      ["guardrail", c, t, "threshold", "status"],
      [
        [
          "prediction latency p99 (nearest rank)",
          latencyCell(g.latencyP99.controlP99Ms, g.latencyP99.controlCount),
          latencyCell(g.latencyP99.treatmentP99Ms, g.latencyP99.treatmentCount),
          g.latencyP99.threshold,
          status(g.latencyP99.status),
        ],
        [
          "fallback share",
          shareCell(g.fallbackShare.control, g.fallbackShare.controlCounts),
          shareCell(g.fallbackShare.treatment, g.fallbackShare.treatmentCounts),
          g.fallbackShare.threshold,
          status(g.fallbackShare.status),
        ],
        [
          "error rate",
          shareCell(g.errorRate.control, g.errorRate.controlCounts),
          shareCell(g.errorRate.treatment, g.errorRate.treatmentCounts),
          g.errorRate.threshold,
          status(g.errorRate.status),
        ],
      ],
    ),
    "",
    "## Sample ratio check (users)",
    "",
    `${u.srm.observedUsers.join(" vs ")} users, expected ${u.srm.expectedUsers.map((e) => e.toFixed(1)).join(" vs ")} ` +
      `under the planned ${pct(u.srm.plannedControlShare, 0)} / ${pct(1 - u.srm.plannedControlShare, 0)} split: ` +
      `chi-square ${u.srm.chiSquare.toFixed(3)}, p = ${formatP(u.srm.pValue)} -> ` +
      (u.srm.mismatch
        ? `**sample ratio mismatch** (p < ${u.srm.threshold}).`
        : `no mismatch (threshold p < ${u.srm.threshold}).`),
    "",
    "## Sequential analysis on users (daily looks)",
    "",
    ...sequentialSection,
    "",
  ].join("\n");
}

/** The run's context lines shared by the method reports: dataset, seed, transport, counts' source, versions. */
function contextLines(context: ReportContext, names: { control: string; treatment: string }): string[] {
  const version = (v: string) => (context.modelVersions?.[v] ? ` (${context.modelVersions[v]})` : "");
  return [
    `Dataset ${context.dataset}, seed ${context.seed}, traffic from ${context.transport}; counts from ` +
      `\`${context.eventsFile}\`. Models: ${names.control}${version(names.control)} (A, the baseline), ` +
      `${names.treatment}${version(names.treatment)} (B, the challenger).`,
    "",
  ];
}

/** The length of an interleaving or bandit run is the A/B test's design's, so the methods see the same days. */
function sameDaysNote(length: ReportedExperimentLength | undefined): string[] {
  return length ? ["The length is the A/B test's, so the methods are compared on the same days.", ""] : [];
}

/**
 * report.md of an interleaving experiment (./interleaving): the decision (the one-sided sign test "challenger
 * preferred"), then the per-user preferences, Delta_AB with its bootstrap interval, and the exact truth.
 *
 * @example
 * interleavingMarkdown(analyzeInterleaving({ counts, seed: 7 }), { dataset: "ml-latest-small", seed: 7,
 *   transport: "HTTP", eventsFile: "events.sqlite" }); // => "# Interleaving experiment results ..."
 */
export function interleavingMarkdown(a: InterleavingAnalysis, context: ReportContext): string {
  const { control: c, treatment: t } = a.names;
  const p = a.preference;
  const level = `${Math.round(100 * (1 - a.alpha))}%`;
  const decision = a.rejectNull
    ? `**Reject H0.** Users prefer ${t} to ${c}: ${p.prefersB} of the ${p.signTest.trials} users with a preference ` +
      `preferred ${t}, exact sign test one-sided p = ${formatP(p.signTest.pValueBBetter)} < ${a.alpha}. Ship ${t}.`
    : `**Do not reject H0.** The data do not show that users prefer ${t}: ${p.prefersB} of the ${p.signTest.trials} ` +
      `users with a preference preferred ${t}, exact sign test one-sided p = ${formatP(p.signTest.pValueBBetter)} ` +
      `>= ${a.alpha}. Keep ${c}.`;
  const truth = a.truth;
  return [
    "# Interleaving experiment results",
    "",
    decision,
    "",
    ...contextLines(context, a.names),
    ...lengthParagraph(context.experimentLength),
    ...sameDaysNote(context.experimentLength),
    "## Method",
    "",
    "Every experiment-phase visit was shown one team-draft slate of both models' top 10 (Radlinski, Kurup & " +
      "Joachims 2008); a click credits the model that contributed the clicked movie, a visit without a click is a " +
      "tie. Each user prefers the model with more credited clicks over their visits; the unit is the user " +
      "(Chapelle et al. 2012's Delta_AB with the user in place of the query). H0: users are as likely to prefer " +
      `either model; H1: they prefer ${t} (one-sided, alpha ${a.alpha}).`,
    "",
    "## Impressions",
    "",
    table(
      ["impressions", `won by ${c}`, `won by ${t}`, "ties (no click)"],
      [[String(a.impressions), String(a.wins.control), String(a.wins.treatment), String(a.ties)]],
    ),
    "",
    "## Users",
    "",
    table(
      ["users", `prefer ${c}`, `prefer ${t}`, "no preference"],
      [[String(p.users), String(p.prefersA), String(p.prefersB), String(p.ties)]],
    ),
    "",
    `Delta_AB = (prefer ${c} + no preference / 2) / users - 1/2 = ${p.deltaAB.toFixed(4)}, ${level} percentile ` +
      `bootstrap interval over users [${p.interval.lower.toFixed(4)}, ${p.interval.upper.toFixed(4)}] ` +
      `(negative: ${t} preferred). Sign test over the ${p.signTest.trials} users with a preference: one-sided ` +
      `p = ${formatP(p.signTest.pValueBBetter)}, two-sided p = ${formatP(p.signTest.pValueTwoSided)}.`,
    "",
    ...(truth
      ? [
          "## Ground truth",
          "",
          `Exact under the click model over ${truth.days} days: one impression is won by ${c} with probability ` +
            `${pct(truth.impression.a)}, by ${t} with ${pct(truth.impression.b)}, tied with ${pct(truth.impression.tie)} ` +
            `(users weighted by their visit rates); Delta_AB per impression ${truth.deltaABPerImpression.toFixed(4)}, ` +
            `per logged user ${truth.deltaABPerUser.toFixed(4)}: ${a.truthCovered ? "covered" : "**not covered**"} ` +
            `by the ${level} interval.`,
          "",
        ]
      : []),
  ].join("\n");
}

/**
 * report.md of a bandit experiment (./bandit): the posterior and the weighted estimates first (a bandit
 * experiment has no fixed-n test), then the served shares, the naive CTRs labelled as biased, and the regret.
 *
 * @example
 * banditMarkdown(analyzeBandit({ counts, visits }), { dataset: "ml-latest-small", seed: 7,
 *   transport: "HTTP", eventsFile: "events.sqlite" }); // => "# Bandit experiment results ..."
 */
export function banditMarkdown(b: BanditAnalysis, context: ReportContext): string {
  const { control: c, treatment: t } = b.names;
  const prob = b.probabilityChallengerBetter;
  const ahead = b.ipwDifference > 0 ? t : c;
  const decision =
    `**${prob === null ? "No posterior (an arm was never served)" : `P(${t} better) = ${pct(prob, 1)}`}** ` +
    `(Beta(1, 1) priors on the clicks per impression). The inverse-propensity-weighted CTRs put ${ahead} ahead by ` +
    `${pts(Math.abs(b.ipwDifference))}. A bandit's allocation adapts to the clicks, so no fixed-n test is read here: ` +
    `the naive CTRs below are biased, and the weighted ones are the estimates of each model's CTR.`;
  const row = (arm: BanditAnalysis["control"]) => [
    arm.variant,
    String(arm.impressions),
    pct(arm.servedShare, 1),
    String(arm.clicks),
    pct(arm.naiveCtr),
    pct(arm.ipwCtr),
    arm.truthOnImpressions === null ? "n/a" : pct(arm.truthOnImpressions),
    arm.populationTruth === null ? "n/a" : pct(arm.populationTruth),
  ];
  const r = b.regret;
  return [
    "# Bandit experiment results",
    "",
    decision,
    "",
    ...contextLines(context, b.names),
    ...lengthParagraph(context.experimentLength),
    ...sameDaysNote(context.experimentLength),
    "## Method",
    "",
    `Every experiment-phase visit was routed by ${b.policy === "thompson" ? "Thompson sampling" : "epsilon-greedy"} ` +
      `(Seldon Core's router) over each model's experiment-phase impressions and clicks, with the probability ` +
      `pi_i of the chosen model stored with each impression. Over the N = ${b.impressions} experiment impressions, ` +
      `the weighted (Horvitz-Thompson) CTR of model m is (1 / N) sum_i 1[served m] clicked_i / pi_i (Horvitz & ` +
      `Thompson 1952; Li et al. 2011): unbiased for the CTR had every impression been served m, however the ` +
      `allocation moved. The naive CTR clicks / impressions of each model is biased under adaptive allocation ` +
      `(Nie et al. 2018).`,
    "",
    table(
      [
        "model",
        "impressions",
        "served share",
        "clicks",
        "naive CTR (biased)",
        "weighted CTR (IPW)",
        "truth on these impressions",
        "population truth",
      ],
      [row(b.control), row(b.treatment)],
    ),
    "",
    `Difference ${t} - ${c}: naive ${pts(b.naiveDifference)}, weighted ${pts(b.ipwDifference)}.`,
    "",
    ...(r
      ? [
          "## Regret",
          "",
          `Expected clicks of the impressions as served ${r.expectedClicks.toFixed(2)}; had every impression been served ` +
            `${r.better} (the better model over the population) ${r.expectedClicksServingBetter.toFixed(2)}: ` +
            `${r.clicksLost.toFixed(2)} expected clicks lost (${pts(r.perImpression)} per impression), from each ` +
            `user's exact CTR per model under the click model, not the drawn clicks.`,
          "",
        ]
      : []),
  ].join("\n");
}
