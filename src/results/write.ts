/**
 * Writes the results folder of an experiment run, every file atomically (core/files):
 *
 *   report.md                    the results for people (./report)
 *   analysis.json                the pre-registered and two-sided analyses, coverage, looks (for notebook 05)
 *   events.csv                   one row per visit from the event store (serving/event-store)
 *   figures/ctr-by-variant.*     CTR per variant with Wilson intervals and ground truth
 *   figures/cumulative.*         cumulative CTR and p-values over the course of the experiment
 *   figures/power-curve.*        power against users per group, planned size marked
 *   run.json                     seed, dataset checksum, versions (runEnvironment), stage timings, parameters
 *
 * An interleaving or bandit run (`writeInterleavingResults`, `writeBanditResults`) writes report.md,
 * analysis.json, events.csv and run.json, its `results` headline tagged with the method.
 */
import * as path from "node:path";
import { saveFigure } from "../core/figures";
import { sha256File, writeFileAtomic, writeJsonAtomic } from "../core/files";
import { runEnvironment, type RunEnvironment } from "../core/run-record";
import { powerCurveSpec } from "../stats/figures";
import { readVariantCounts, readVisitEvents, visitEventsCsv } from "../serving/event-store";
import { FUNFLIX_DESIGN } from "../stats/business-case";
import { analyzeResults, type ResultsAnalysis, type ResultsAnalysisInput } from "./analyze-results";
import { ctrByVariantSpec, cumulativeSpec } from "./figures";
import { analyzeBandit, type BanditAnalysis, type BanditAnalysisInput } from "./bandit";
import {
  analyzeInterleaving,
  type InterleavingAnalysis,
  type InterleavingAnalysisInput,
} from "./interleaving";
import {
  banditMarkdown,
  interleavingMarkdown,
  resultsMarkdown,
  userLevelMarkdown,
  type ReportContext,
} from "./report";

/** File names inside the results folder. */
export const RESULTS_FILES = {
  report: "report.md",
  analysis: "analysis.json",
  events: "events.csv",
  run: "run.json",
  figures: "figures",
} as const;

/** What run.json records besides the environment (filled by the caller: src/pipeline or a test). */
export interface RunInfo {
  seed: number;
  dataset: {
    name: string;
    checksum: string;
    inputChecksums?: Record<string, string>;
    /** How the prepared dataset was split (DatasetManifest), and what the split left. */
    split?: string;
    testFraction?: number;
    positiveThreshold?: number;
    counts?: Record<string, number>;
  } | null;
  /** Wall time of each stage, in pipeline order. */
  stageTimingsMs: Record<string, number>;
  /** Every setting of the run (visits, transport, epochs, calibration, routing, ...); paths relative to the project root. */
  parameters: Record<string, unknown>;
  /** Anything else worth keeping (model versions, Prometheus queries, simulation summary). */
  [key: string]: unknown;
}

/** run.json as written; `Results` is the A/B test's headline unless the run used another method. */
export interface RunRecord<Results = AbRunResults> extends RunInfo {
  createdAt: string;
  environment: RunEnvironment;
  /**
   * Headline numbers, so run.json alone says what came out: the decision's analysis (user-level when the store is
   * user-randomised: trials are impressions, CTR per impression, delta-method p-values; else per impression).
   */
  results: Results;
  /** SHA-256 of each file written, by path relative to the results folder. */
  files: Record<string, string>;
}

/** run.json `results` of an A/B test (no `method` field: the shape of every A/B run). */
export interface AbRunResults {
  unit: string;
  control: ArmHeadline;
  treatment: ArmHeadline;
  /** CTR difference treatment - control (absolute, as a fraction) and its standard error. */
  difference: number;
  standardError: number;
  pValueOneSided: number;
  pValueTwoSided: number;
  rejectNull: boolean;
  /** CUPED beside the unadjusted estimate (user-level with a pre-period), else null. */
  cuped: {
    difference: number;
    standardError: number;
    pValueOneSided: number;
    varianceReduction: number;
  } | null;
  /** Bayesian P(treatment better) of the per-impression analysis; null for a user-level decision. */
  probabilityTreatmentBetter: number | null;
}

/** run.json `results` of an interleaving experiment: the sign test's decision and Delta_AB. */
export interface InterleavingRunResults {
  method: "interleaving";
  unit: "user";
  control: string;
  treatment: string;
  impressions: number;
  users: number;
  prefersControl: number;
  prefersTreatment: number;
  /** Delta_AB (positive: the control preferred) and its bootstrap interval. */
  deltaAB: number;
  deltaABInterval: { lower: number; upper: number };
  /** Exact sign test, alternative "the treatment is preferred". */
  pValueOneSided: number;
  pValueTwoSided: number;
  rejectNull: boolean;
  /** The exact Delta_AB per logged user, or null without a simulated truth. */
  groundTruthDeltaAB: number | null;
}

/** run.json `results` of a bandit experiment: allocation, weighted CTRs, posterior and regret. */
export interface BanditRunResults {
  method: "bandit";
  policy: string;
  unit: "impression";
  impressions: number;
  control: BanditArmHeadline;
  treatment: BanditArmHeadline;
  ipwDifference: number;
  probabilityTreatmentBetter: number | null;
  /** Expected clicks lost against serving every impression the better model, or null without a truth. */
  regretClicks: number | null;
}

export interface BanditArmHeadline {
  variant: string;
  impressions: number;
  clicks: number;
  servedShare: number;
  naiveCtr: number;
  ipwCtr: number;
}

/** One arm's headline: trials (impressions, or the unit's count), clicks, CTR, and the users behind them. */
export interface ArmHeadline {
  variant: string;
  trials: number;
  clicks: number;
  ctr: number;
  users: number | null;
}

export interface WriteResultsOptions extends ResultsAnalysisInput {
  resultsDir: string;
  report: Omit<ReportContext, "eventsFile">;
  run: RunInfo;
}

/** analysis.json: everything but the per-visit events (which are in events.csv). */
function analysisJson(r: ResultsAnalysis, aaStudy: ReportContext["aaStudy"]) {
  const { events: _events, ...rest } = r;
  return { ...rest, aaStudy: aaStudy ?? null };
}

/**
 * Analyses the event store and writes the results folder; returns the analysis and the run record. The
 * "results" stage timing is added to the caller's `stageTimingsMs`.
 */
export async function writeResults(
  options: WriteResultsOptions,
): Promise<{ analysis: ResultsAnalysis; run: RunRecord }> {
  const started = Date.now();
  const dir = options.resultsDir;
  const r = analyzeResults(options);
  const eventsFile = path.relative(dir, path.resolve(options.eventsPath)) || options.eventsPath;
  const figures = path.join(dir, RESULTS_FILES.figures);
  const truth = new Map((options.groundTruth ?? []).map((g) => [g.variant, g.ctr]));
  const u = r.userLevel;
  // The decision's intervals: the delta method's when users are the unit, Wilson's per impression otherwise.
  const arm = (role: "control" | "treatment") => {
    const variant = r.names[role];
    const interval = u ? u[role].interval : r.twoSided[role].interval;
    return {
      variant,
      ctr: u ? u[role].ctr : r.twoSided[role].rate,
      lower: interval.lower,
      upper: interval.upper,
      groundTruthCtr: truth.get(variant) ?? null,
    };
  };
  await saveFigure(
    ctrByVariantSpec([arm("control"), arm("treatment")]),
    path.join(figures, "ctr-by-variant"),
  );
  await saveFigure(
    cumulativeSpec(
      r.looks,
      r.names,
      [...truth.entries()].map(([variant, ctr]) => ({ variant, ctr })),
      r.preRegistered.settings.alpha,
    ),
    path.join(figures, "cumulative"),
  );
  await saveFigure(
    powerCurveSpec(options.design ?? FUNFLIX_DESIGN, r.plan.chosen.controlUsers),
    path.join(figures, "power-curve"),
  );
  writeFileAtomic(path.join(dir, RESULTS_FILES.events), visitEventsCsv(r.events));
  writeJsonAtomic(path.join(dir, RESULTS_FILES.analysis), analysisJson(r, options.report.aaStudy));
  writeFileAtomic(
    path.join(dir, RESULTS_FILES.report),
    u
      ? userLevelMarkdown(u, { ...options.report, eventsFile })
      : resultsMarkdown(r, { ...options.report, eventsFile }),
  );
  const files: Record<string, string> = {};
  for (const name of [
    RESULTS_FILES.report,
    RESULTS_FILES.analysis,
    RESULTS_FILES.events,
    ...["ctr-by-variant", "cumulative", "power-curve"].flatMap((f) => [
      `figures/${f}.svg`,
      `figures/${f}.png`,
    ]),
  ])
    files[name] = await sha256File(path.join(dir, name));
  const headline = (role: "control" | "treatment"): ArmHeadline =>
    u
      ? {
          variant: u[role].variant,
          trials: u[role].impressions,
          clicks: u[role].clicks,
          ctr: u[role].ctr,
          users: u[role].users,
        }
      : {
          variant: r.names[role],
          trials: r.twoSided[role].units,
          clicks: r.twoSided[role].clicks,
          ctr: r.twoSided[role].rate,
          users: null,
        };
  const run: RunRecord = {
    ...options.run,
    createdAt: new Date().toISOString(),
    environment: runEnvironment(),
    stageTimingsMs: { ...options.run.stageTimingsMs, results: Date.now() - started },
    results: u
      ? {
          unit: "user",
          control: headline("control"),
          treatment: headline("treatment"),
          difference: u.primary.difference.estimate,
          standardError: u.primary.difference.standardError,
          pValueOneSided: u.primary.pValueOneSided,
          pValueTwoSided: u.primary.difference.pValueTwoSided,
          rejectNull: u.primary.rejectNull,
          cuped: u.cuped.available
            ? {
                difference: u.cuped.difference.estimate,
                standardError: u.cuped.difference.standardError,
                pValueOneSided: u.cuped.pValueOneSided,
                varianceReduction: u.cuped.varianceReduction,
              }
            : null,
          probabilityTreatmentBetter: null,
        }
      : {
          unit: r.unit,
          control: headline("control"),
          treatment: headline("treatment"),
          difference: r.twoSided.difference.estimate,
          standardError: r.twoSided.zTest.standardError,
          pValueOneSided: r.preRegistered.zTest.pValue,
          pValueTwoSided: r.twoSided.zTest.pValue,
          rejectNull: r.rejectNull,
          cuped: null,
          probabilityTreatmentBetter: r.preRegistered.bayesian.probabilityTreatmentBetter,
        },
    files,
  };
  writeJsonAtomic(path.join(dir, RESULTS_FILES.run), run);
  return { analysis: r, run };
}

/** What both method writers take besides their analysis' input. */
interface MethodResultsOptions {
  resultsDir: string;
  eventsPath: string;
  report: Omit<ReportContext, "eventsFile">;
  run: RunInfo;
}

/**
 * The results folder of an interleaving or bandit run: report.md, analysis.json (the analysis), events.csv and
 * run.json; no figures (the A/B test's CTR-by-variant, cumulative and power figures do not apply).
 */
async function writeMethodResults<Results>(
  options: MethodResultsOptions,
  started: number,
  analysis: object,
  markdown: (context: ReportContext) => string,
  results: Results,
): Promise<RunRecord<Results>> {
  const dir = options.resultsDir;
  const eventsFile = path.relative(dir, path.resolve(options.eventsPath)) || options.eventsPath;
  writeFileAtomic(path.join(dir, RESULTS_FILES.events), visitEventsCsv(readVisitEvents(options.eventsPath)));
  writeJsonAtomic(path.join(dir, RESULTS_FILES.analysis), analysis);
  writeFileAtomic(path.join(dir, RESULTS_FILES.report), markdown({ ...options.report, eventsFile }));
  const files: Record<string, string> = {};
  for (const name of [RESULTS_FILES.report, RESULTS_FILES.analysis, RESULTS_FILES.events])
    files[name] = await sha256File(path.join(dir, name));
  const run: RunRecord<Results> = {
    ...options.run,
    createdAt: new Date().toISOString(),
    environment: runEnvironment(),
    stageTimingsMs: { ...options.run.stageTimingsMs, results: Date.now() - started },
    results,
    files,
  };
  writeJsonAtomic(path.join(dir, RESULTS_FILES.run), run);
  return run;
}

export interface WriteInterleavingResultsOptions
  extends MethodResultsOptions, Omit<InterleavingAnalysisInput, "counts" | "file"> {}

/**
 * Analyses an interleaving store (./interleaving) and writes the results folder; returns the analysis and run.json.
 *
 * @example
 * await writeInterleavingResults({ resultsDir: "results", eventsPath, seed: 7, truth, report, run });
 */
export async function writeInterleavingResults(
  options: WriteInterleavingResultsOptions,
): Promise<{ analysis: InterleavingAnalysis; run: RunRecord<InterleavingRunResults> }> {
  const started = Date.now();
  const analysis = analyzeInterleaving({
    ...options,
    counts: readVariantCounts(options.eventsPath),
    file: options.eventsPath,
  });
  const p = analysis.preference;
  const run = await writeMethodResults(
    options,
    started,
    analysis,
    (context) => interleavingMarkdown(analysis, context),
    {
      method: "interleaving",
      unit: "user",
      control: analysis.names.control,
      treatment: analysis.names.treatment,
      impressions: analysis.impressions,
      users: p.users,
      prefersControl: p.prefersA,
      prefersTreatment: p.prefersB,
      deltaAB: p.deltaAB,
      deltaABInterval: p.interval,
      pValueOneSided: p.signTest.pValueBBetter,
      pValueTwoSided: p.signTest.pValueTwoSided,
      rejectNull: analysis.rejectNull,
      groundTruthDeltaAB: analysis.truth?.deltaABPerUser ?? null,
    } satisfies InterleavingRunResults,
  );
  return { analysis, run };
}

export interface WriteBanditResultsOptions
  extends MethodResultsOptions, Omit<BanditAnalysisInput, "counts" | "visits" | "file"> {}

/**
 * Analyses a bandit store (./bandit) and writes the results folder; returns the analysis and run.json.
 *
 * @example
 * await writeBanditResults({ resultsDir: "results", eventsPath, groundTruth, perUserCtr, report, run });
 */
export async function writeBanditResults(
  options: WriteBanditResultsOptions,
): Promise<{ analysis: BanditAnalysis; run: RunRecord<BanditRunResults> }> {
  const started = Date.now();
  const analysis = analyzeBandit({
    ...options,
    counts: readVariantCounts(options.eventsPath),
    visits: readVisitEvents(options.eventsPath),
    file: options.eventsPath,
  });
  const arm = (a: BanditAnalysis["control"]): BanditArmHeadline => ({
    variant: a.variant,
    impressions: a.impressions,
    clicks: a.clicks,
    servedShare: a.servedShare,
    naiveCtr: a.naiveCtr,
    ipwCtr: a.ipwCtr,
  });
  const run = await writeMethodResults(
    options,
    started,
    analysis,
    (context) => banditMarkdown(analysis, context),
    {
      method: "bandit",
      policy: analysis.policy,
      unit: "impression",
      impressions: analysis.impressions,
      control: arm(analysis.control),
      treatment: arm(analysis.treatment),
      ipwDifference: analysis.ipwDifference,
      probabilityTreatmentBetter: analysis.probabilityChallengerBetter,
      regretClicks: analysis.regret?.clicksLost ?? null,
    } satisfies BanditRunResults,
  );
  return { analysis, run };
}
