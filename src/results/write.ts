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
import { resultsMarkdown, type ReportContext } from "./report";

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
  /** Headline numbers, so run.json alone says what came out. */
  results: {
    unit: string;
    control: { variant: string; trials: number; clicks: number; ctr: number };
    treatment: { variant: string; trials: number; clicks: number; ctr: number };
    pValueOneSided: number;
    pValueTwoSided: number;
    rejectNull: boolean;
    probabilityTreatmentBetter: number;
  };
  /** SHA-256 of each file written, by path relative to the results folder. */
  files: Record<string, string>;
}

export interface WriteResultsOptions extends ResultsAnalysisInput {
  resultsDir: string;
  report: Omit<ReportContext, "eventsFile">;
  run: RunInfo;
}

/** analysis.json: everything but the per-visit events (which are in events.csv). */
function analysisJson(r: ResultsAnalysis) {
  const { events: _events, ...rest } = r;
  return rest;
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
  const arm = (variant: string, result: ResultsAnalysis["twoSided"]["control"]) => ({
    variant,
    ctr: result.rate,
    lower: result.interval.lower,
    upper: result.interval.upper,
    groundTruthCtr: truth.get(variant) ?? null,
  });
  await saveFigure(
    ctrByVariantSpec([
      arm(r.names.control, r.twoSided.control),
      arm(r.names.treatment, r.twoSided.treatment),
    ]),
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
  writeJsonAtomic(path.join(dir, RESULTS_FILES.analysis), analysisJson(r));
  writeFileAtomic(
    path.join(dir, RESULTS_FILES.report),
    resultsMarkdown(r, { ...options.report, eventsFile }),
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
  const summary = (variant: string, result: ResultsAnalysis["twoSided"]["control"]) => ({
    variant,
    trials: result.units,
    clicks: result.clicks,
    ctr: result.rate,
  });
  const run: RunRecord = {
    ...options.run,
    createdAt: new Date().toISOString(),
    environment: runEnvironment(),
    stageTimingsMs: { ...options.run.stageTimingsMs, results: Date.now() - started },
    results: {
      unit: r.unit,
      control: summary(r.names.control, r.twoSided.control),
      treatment: summary(r.names.treatment, r.twoSided.treatment),
      pValueOneSided: r.preRegistered.zTest.pValue,
      pValueTwoSided: r.twoSided.zTest.pValue,
      rejectNull: r.rejectNull,
      probabilityTreatmentBetter: r.preRegistered.bayesian.probabilityTreatmentBetter,
    },
    files,
  };
  writeJsonAtomic(path.join(dir, RESULTS_FILES.run), run);
  return { analysis: r, run };
}
