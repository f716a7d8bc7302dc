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
 */
import * as path from "node:path";
import { saveFigure } from "../core/figures";
import { sha256File, writeFileAtomic, writeJsonAtomic } from "../core/files";
import { runEnvironment, type RunEnvironment } from "../core/run-record";
import { powerCurveSpec } from "../stats/figures";
import { visitEventsCsv } from "../serving/event-store";
import { FUNFLIX_DESIGN } from "../stats/business-case";
import { analyzeResults, type ResultsAnalysis, type ResultsAnalysisInput } from "./analyze-results";
import { ctrByVariantSpec, cumulativeSpec } from "./figures";
import { resultsMarkdown, userLevelMarkdown, type ReportContext } from "./report";

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

/** run.json as written. */
export interface RunRecord extends RunInfo {
  createdAt: string;
  environment: RunEnvironment;
  /**
   * Headline numbers, so run.json alone says what came out: the decision's analysis (user-level when the store is
   * user-randomised: trials are impressions, CTR per impression, delta-method p-values; else per impression).
   */
  results: {
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
  };
  /** SHA-256 of each file written, by path relative to the results folder. */
  files: Record<string, string>;
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
