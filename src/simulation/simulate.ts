/**
 * A simulation run with its records, as `abrec simulate` makes it: the calibrated click model and ground truth
 * (`click-model.json`), the resumable journal (`journal.jsonl`), one CSV row per finished visit (`visits.csv`) and
 * the summary with the run environment (`summary.json`), all in one output folder.
 */
import * as path from "node:path";
import { csvTable } from "../core/csv";
import { writeFileAtomic, writeJsonAtomic } from "../core/files";
import { runEnvironment } from "../core/run-record";
import type { GroundTruth } from "./ground-truth";
import { readJournal, type VisitRecord } from "./journal";
import type { TestPopulation } from "./population";
import {
  runSimulation,
  type SimulationOptions,
  type SimulationSummary,
  type VisitTransport,
} from "./visit-loop";

/** File names inside a simulation's output folder. */
export const SIMULATION_FILES = {
  clickModel: "click-model.json",
  journal: "journal.jsonl",
  visits: "visits.csv",
  summary: "summary.json",
} as const;

export interface SimulateOptions {
  population: TestPopulation;
  /** The calibrated click model and each model's exact CTR (`groundTruth`). */
  truth: GroundTruth;
  transport: VisitTransport;
  /** Visitors drawn uniformly (no calendar); ignored with `calendar`. */
  visits?: number;
  /** Visits follow this calendar through `throughDay` (see `SimulationOptions.calendar`). */
  calendar?: SimulationOptions["calendar"];
  seed: number;
  outDir: string;
  concurrency?: number;
  signal?: AbortSignal;
  quiet?: boolean;
}

/** What summary.json holds. */
export interface SimulationRecord {
  summary: SimulationSummary;
  /** Exact expected CTR per model (ground truth) beside the measured CTR per variant. */
  groundTruth: GroundTruth["models"];
  clickModel: GroundTruth["calibration"];
  environment: ReturnType<typeof runEnvironment>;
}

/** The visits as CSV: one row per finished visit, `clicked` 0/1, ordered by visit number. */
export function visitsCsv(visits: readonly VisitRecord[]): string {
  const header = [
    "visit",
    "visit_id",
    "user_id",
    "day",
    "variant",
    "request_id",
    "clicked",
    "clicked_position",
    "clicked_movie_id",
    "expected_ctr",
    "finished_at_ms",
  ];
  const rows = visits.map((v) => {
    const clicked = v.clickedPosition >= 0;
    return [
      v.visit,
      v.visitId,
      v.userId,
      v.day,
      v.variant,
      v.requestId,
      clicked ? 1 : 0,
      clicked ? v.clickedPosition : null,
      clicked ? v.movieIds[v.clickedPosition] : null,
      v.expectedCtr,
      v.finishedAtMs,
    ];
  });
  return csvTable(header, rows);
}

/** Runs (or resumes) the simulation and writes its records into `outDir`. */
export async function simulate(options: SimulateOptions): Promise<SimulationRecord> {
  const { outDir, truth } = options;
  writeJsonAtomic(path.join(outDir, SIMULATION_FILES.clickModel), truth);
  const journalFile = path.join(outDir, SIMULATION_FILES.journal);
  const summary = await runSimulation({
    population: options.population,
    parameters: truth.calibration.parameters,
    visits: options.visits,
    calendar: options.calendar,
    seed: options.seed,
    transport: options.transport,
    journalFile,
    concurrency: options.concurrency,
    signal: options.signal,
    quiet: options.quiet,
  });
  writeFileAtomic(path.join(outDir, SIMULATION_FILES.visits), visitsCsv(readJournal(journalFile).visits));
  const record: SimulationRecord = {
    summary,
    groundTruth: truth.models,
    clickModel: truth.calibration,
    environment: runEnvironment(),
  };
  writeJsonAtomic(path.join(outDir, SIMULATION_FILES.summary), record);
  return record;
}
