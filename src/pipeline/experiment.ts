/**
 * `abrec experiment` end to end, as one tested function. Stages, in order, each timed (run.json) and announced:
 *
 *  1. data          raw MovieLens files ensured and preprocessed (src/data/ensure), loaded;
 *  2. training      both models reused when trained on this dataset with this seed and settings, else trained
 *                   (./training);
 *  3. evaluation    offline comparison on the test period (offline-metrics.json, figures/offline-comparison.*);
 *  4. design        the plan (1124 per group for the business case) and the number of visits (2 x per group);
 *  5. calibration   the test population, the click model calibrated on the baseline, both models' ground truth;
 *                   before serving because the routing depends on it: visitors drawn with replacement (a user may
 *                   come back) need per-request randomisation (`random` routing, unit = visit), distinct visitors
 *                   keep Seldon-style `sticky` routing (visit = user);
 *  6. serving       the whole serving tier in process (`startServing`, role all) on a free 127.0.0.1 port, its
 *                   event store in the run folder; Prometheus beside it when installed;
 *  7. simulation    the visits, in headless Chromium through the mock site (default) or over HTTP, resumable;
 *  8. results       analysis of the event store and the results folder (src/results/write).
 *
 * The run folder `<resultsDir>/runs/<dataset>-seed<seed>-<transport>-<visits>-models-<hash>/` (journal, event store,
 * click model, simulation summary) is stable for given settings and model versions, so an interrupted run continues
 * where it stopped when the same command is run again (the simulation's journal; the event store already holds the
 * earlier visits), while retrained models start a run of their own instead of mixing with the old models' visits.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { launchBrowser } from "../core/browser";
import { InputError } from "../core/errors";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_RESULTS_DIR } from "../core/paths";
import { DEFAULT_SEED } from "../core/random";
import { projectRelativePath } from "../core/run-record";
import { ensurePreparedDataset } from "../data/ensure";
import { loadPreparedDataset } from "../data/load";
import type { DatasetName, PreparedDataset, SplitName } from "../data/types";
import { offlineComparison, writeOfflineReport } from "../evaluation/offline-report";
import type { DesignSettings } from "../stats/design";
import { planExperiment } from "../stats/plan";
import { datasetChecksum } from "../models/artifact";
import { FUNFLIX_DESIGN } from "../stats/business-case";
import type { ChallengerHyperparameters } from "../models/challenger/train";
import type { Recommender } from "../models/recommender";
import { type RunRecord, writeResults } from "../results/write";
import type { ResultsAnalysis } from "../results/analyze-results";
import { startServing, type RunningServer } from "../deployment/serve";
import { loadTrainedModels, MODEL_NAMES } from "../models/trained-models";
import type { RoutingSettings } from "../serving/assignment";
import { browserTransport } from "../simulation/browser";
import { DEFAULT_CALIBRATION_SETTINGS, type CalibrationSettings } from "../simulation/click-model";
import { groundTruth, type GroundTruth } from "../simulation/ground-truth";
import { httpTransport } from "../simulation/http";
import { testPopulation, visitorSampling, type TestPopulation } from "../simulation/population";
import type { VisitTransport } from "../simulation/visit-loop";
import { simulate, type SimulationRecord } from "../simulation/simulate";
import {
  CTR_PER_MODEL_QUERY,
  prometheusAvailable,
  startPrometheus,
  type RunningPrometheus,
} from "./prometheus";
import { ensureTrainedModels, type TrainingStageResult } from "./training";

export type TrafficTransport = "browser" | "http";

export interface ExperimentOptions {
  dataset?: DatasetName;
  /** Default: DEFAULT_SPLITS[dataset] (src/data/prepare.ts). */
  split?: SplitName;
  /** Planned visits; default 2 x the design's users per group (2248 for the business case). */
  visits?: number;
  /** "browser" (default): headless Chromium on the mock site; "http": the router's API, no browser. */
  transport?: TrafficTransport;
  seed?: number;
  resultsDir?: string;
  dataDir?: string;
  modelsDir?: string;
  /** Where a read-only ml-latest-small copy may be (tests); default SHARED_DATA_DIR. */
  sharedDataDir?: string;
  /** The challenger's maximum training epochs (early stopping may stop sooner). */
  epochs?: number;
  /** Default: the Funflix business case. */
  design?: DesignSettings;
  calibration?: Partial<CalibrationSettings>;
  /** Start Prometheus beside the server; default: when /usr/bin/prometheus exists. */
  prometheus?: boolean;
  /** Visits in flight at once over HTTP (the browser makes one at a time). Default 4. */
  httpConcurrency?: number;
  /** Aborting stops the simulation after the visits in flight; the run can be continued later. */
  signal?: AbortSignal;
  quiet?: boolean;
  /** Stage announcements and timings (default: stderr unless quiet). */
  log?: (line: string) => void;
}

export interface ExperimentOutcome {
  /** False when the simulation was interrupted: no results were written; re-run to continue. */
  complete: boolean;
  resultsDir: string;
  runDir: string;
  eventsPath: string;
  stageTimingsMs: Record<string, number>;
  simulation: SimulationRecord;
  /** Present when complete. */
  run?: RunRecord;
  analysis?: ResultsAnalysis;
}

/**
 * The run folder name for these settings and model versions (stable, so a re-run with the same models resumes);
 * the models enter as the first 8 hex digits of the SHA-256 of their `name:version` pairs.
 *
 * @example
 * runFolderName("ml-latest-small", 1, "browser", 2248, { baseline: "v1", challenger: "v2" });
 * // => "ml-latest-small-seed1-browser-2248-models-" + 8 hex digits
 */
export function runFolderName(
  dataset: string,
  seed: number,
  transport: string,
  visits: number,
  modelVersions: Record<string, string>,
): string {
  const models = Object.entries(modelVersions)
    .map(([name, version]) => `${name}:${version}`)
    .sort()
    .join("\n");
  const hash = crypto.createHash("sha256").update(models).digest("hex").slice(0, 8);
  return `${dataset}-seed${seed}-${transport}-${visits}-models-${hash}`;
}

/** Prometheus' CTR (and counts) per model at the end of the simulation, for run.json. */
async function prometheusReadings(prometheus: RunningPrometheus, since: number) {
  await prometheus.waitForScrape(since);
  const read = async (query: string) => ({
    query,
    byModel: Object.fromEntries(
      (await prometheus.query(query)).map((s) => [s.metric.model_name ?? "", Number(s.value[1])]),
    ),
  });
  return {
    ctrPerModel: await read(CTR_PER_MODEL_QUERY),
    impressions: await read("model_name:abrec_impressions:sum"),
    clicks: await read("model_name:abrec_clicks:sum"),
  };
}

/** Runs the experiment end to end (see the module comment). */
export async function runExperiment(options: ExperimentOptions = {}): Promise<ExperimentOutcome> {
  const dataset = options.dataset ?? "ml-latest-small";
  const transportKind = options.transport ?? "browser";
  const seed = options.seed ?? DEFAULT_SEED;
  const resultsDir = path.resolve(options.resultsDir ?? DEFAULT_RESULTS_DIR);
  const modelsDir = path.resolve(options.modelsDir ?? DEFAULT_MODELS_DIR);
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const design = options.design ?? FUNFLIX_DESIGN;
  const calibrationSettings = { ...DEFAULT_CALIBRATION_SETTINGS, ...options.calibration };
  const log = options.log ?? (options.quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`));
  const overrides: Partial<ChallengerHyperparameters> =
    options.epochs === undefined ? {} : { maxEpochs: options.epochs };
  if (options.epochs !== undefined && !(Number.isInteger(options.epochs) && options.epochs >= 1))
    throw new InputError(`expected a positive integer, got ${options.epochs}`, { field: "epochs" });
  if (options.visits !== undefined && !(Number.isInteger(options.visits) && options.visits >= 2))
    throw new InputError(`expected an integer >= 2, got ${options.visits}`, { field: "visits" });

  const stageTimingsMs: Record<string, number> = {};
  const started = Date.now();
  const STAGES = [
    "data",
    "training",
    "evaluation",
    "design",
    "calibration",
    "serving",
    "simulation",
    "results",
  ];
  async function stage<T>(name: string, work: () => Promise<T> | T): Promise<T> {
    const index = STAGES.indexOf(name) + 1;
    log(`[${index}/${STAGES.length}] ${name} ...`);
    const t0 = Date.now();
    const value = await work();
    stageTimingsMs[name] = Date.now() - t0;
    log(`[${index}/${STAGES.length}] ${name} done in ${(stageTimingsMs[name] / 1000).toFixed(1)} s`);
    return value;
  }
  const interrupted = () => options.signal?.aborted === true;

  const data: PreparedDataset = await stage("data", async () => {
    const { dir } = await ensurePreparedDataset({
      dataset,
      dataDir,
      sharedDataDir: options.sharedDataDir,
      split: options.split,
      seed,
      quiet: options.quiet,
    });
    return loadPreparedDataset(dir);
  });
  const checksum = datasetChecksum(data.manifest.inputChecksums);

  const training: TrainingStageResult = await stage("training", () =>
    ensureTrainedModels(data, { modelsDir, seed, overrides, quiet: options.quiet, log }),
  );
  const [baseline, challenger]: Recommender[] = await loadTrainedModels(
    modelsDir,
    MODEL_NAMES,
    data.manifest,
  );

  const offline = await stage("evaluation", async () => {
    const { report } = offlineComparison(data, [baseline, challenger], { seed });
    await writeOfflineReport(resultsDir, report);
    return report;
  });

  const plan = await stage("design", () => planExperiment(design));
  const visits = options.visits ?? plan.chosen.totalUsers;

  const { population, truth }: { population: TestPopulation; truth: GroundTruth } = await stage(
    "calibration",
    () => {
      const population = testPopulation(data);
      return { population, truth: groundTruth(population, baseline, [challenger], calibrationSettings) };
    },
  );
  const sampling = visitorSampling(visits, population.userIds.length);
  const routing: RoutingSettings = {
    mode: sampling === "with-replacement" ? "random" : "sticky",
    ratioA: 1 / (1 + (design.allocationRatio ?? 1)),
    seed,
  };
  log(
    `${visits} visits from a test population of ${population.userIds.length} users (${sampling}): ` +
      `${routing.mode} routing, unit of analysis = visit`,
  );

  const modelVersions = { [baseline.name]: baseline.version, [challenger.name]: challenger.version };
  const runDir = path.join(
    resultsDir,
    "runs",
    runFolderName(dataset, seed, transportKind, visits, modelVersions),
  );
  fs.mkdirSync(runDir, { recursive: true });
  const eventsPath = path.join(runDir, "events.sqlite");
  let server: RunningServer | undefined;
  let prometheus: RunningPrometheus | undefined;
  let transport: VisitTransport | undefined;
  let simulation: SimulationRecord;
  let prometheusRecord: unknown = { enabled: false, reason: "not installed (/usr/bin/prometheus)" };
  try {
    server = await stage("serving", async () => {
      const running = await startServing({
        role: "all",
        port: 0,
        eventsPath,
        recommenders: [baseline, challenger],
        movies: data.movies,
        routing,
      });
      log(`serving on ${running.url} (event store ${eventsPath})`);
      const wanted = options.prometheus ?? prometheusAvailable();
      if (wanted) {
        prometheus = await startPrometheus(`127.0.0.1:${running.port}`);
        log(`prometheus on ${prometheus.url}, scraping ${running.url}/metrics`);
      } else if (options.prometheus === false) prometheusRecord = { enabled: false, reason: "disabled" };
      return running;
    });
    const simulationStarted = Date.now();
    simulation = await stage("simulation", async () => {
      if (transportKind === "browser") {
        const browser = await launchBrowser({ pageLoadStrategy: "eager" });
        transport = browserTransport({
          driver: browser.driver,
          siteUrl: server!.url,
          onClose: () => browser.quit(),
        });
      } else {
        transport = httpTransport({ routerUrl: server!.url, slateLength: calibrationSettings.slateLength });
      }
      return simulate({
        population,
        truth,
        transport,
        visits,
        seed,
        outDir: runDir,
        concurrency: transportKind === "browser" ? 1 : (options.httpConcurrency ?? 4),
        signal: options.signal,
        quiet: options.quiet,
      });
    });
    if (prometheus) {
      try {
        prometheusRecord = { enabled: true, ...(await prometheusReadings(prometheus, Date.now())) };
      } catch (error) {
        prometheusRecord = { enabled: true, error: (error as Error).message };
      }
      prometheusRecord = {
        ...(prometheusRecord as object),
        simulationStartedAt: new Date(simulationStarted).toISOString(),
      };
    }
  } finally {
    await (transport as VisitTransport | undefined)?.close();
    await prometheus?.stop();
    await server?.close();
  }

  if (!simulation.summary.complete || interrupted()) {
    log(
      `interrupted after ${simulation.summary.completedVisits}/${visits} visits: run the same command again to continue`,
    );
    return { complete: false, resultsDir, runDir, eventsPath, stageTimingsMs, simulation };
  }

  const outcome = await stage("results", () =>
    writeResults({
      resultsDir,
      eventsPath,
      design,
      groundTruth: truth.models.map((m) => ({ variant: m.model, ctr: m.expectedCtr })),
      report: {
        dataset,
        seed,
        transport:
          transportKind === "browser" ? "headless Chromium on the mock site" : "the router's HTTP API",
        modelVersions,
      },
      run: {
        seed,
        dataset: {
          name: dataset,
          checksum,
          inputChecksums: data.manifest.inputChecksums,
          split: data.manifest.split,
          testFraction: data.manifest.testFraction,
          positiveThreshold: data.manifest.positiveThreshold,
          counts: data.manifest.counts,
        },
        stageTimingsMs: { ...stageTimingsMs },
        parameters: {
          dataset,
          visits,
          transport: transportKind,
          seed,
          epochs: options.epochs ?? null,
          design,
          calibration: calibrationSettings,
          routing,
          sampling,
          unit: "visit",
          resultsDir: projectRelativePath(resultsDir),
          modelsDir: projectRelativePath(modelsDir),
          dataDir: projectRelativePath(dataDir),
        },
        runFolder: path.relative(resultsDir, runDir),
        models: training.models,
        clickModel: truth.calibration,
        groundTruth: truth.models,
        simulation: {
          ...simulation.summary,
          journalFile: projectRelativePath(simulation.summary.journalFile),
        },
        offlineEvaluation: { file: "offline-metrics.json", evaluatedUsers: offline.evaluatedUsers },
        prometheus: prometheusRecord,
        totalMs: Date.now() - started,
      },
    }),
  );
  stageTimingsMs.results = outcome.run.stageTimingsMs.results;
  log(
    `experiment done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path.join(resultsDir, "report.md")}`,
  );
  return {
    complete: true,
    resultsDir,
    runDir,
    eventsPath,
    stageTimingsMs,
    simulation,
    run: outcome.run,
    analysis: outcome.analysis,
  };
}
