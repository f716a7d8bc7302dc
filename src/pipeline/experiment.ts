/**
 * `abrec experiment` end to end, as one tested function. Stages, in order, each timed (run.json) and announced:
 *
 *  1. data          raw MovieLens files ensured and preprocessed (src/data/ensure), loaded;
 *  2. training      both models reused when trained on this dataset with this seed and settings, else trained
 *                   (./training);
 *  3. evaluation    offline comparison on the test period (offline-metrics.json, figures/offline-comparison.*);
 *  4. calibration   the test population, each user's daily visit rate (src/simulation/calendar), the click model
 *                   calibrated so that the baseline's CTR per impression is 7%, both models' exact ground truth;
 *  5. serving       the whole serving tier in process (`startServing`, role all) on a free 127.0.0.1 port, with a
 *                   simulated calendar (pre-period on the baseline, then sticky routing by user) and its event
 *                   store in the run folder; Prometheus beside it when installed;
 *  6. pre-period    the pre-period's days of visits (everyone on the baseline, the production model), in headless
 *                   Chromium through the mock site (default) or over HTTP, resumable;
 *  7. design        the experiment's length from the pre-period as a real team would size it: the days for 90%
 *                   power at +4 points on the measured CTR, with the delta method's variance measured in the
 *                   pre-period (src/simulation/experiment-length), capped so the default run stays short;
 *  8. experiment    the experiment's days of visits, users randomised by a salted hash (sticky), resumable;
 *  9. results       user-level analysis of the event store and the results folder (src/results/write).
 *
 * `method` chooses what the experiment phase does with the same calendar, pre-period and design (so the methods
 * are compared on the same days): "ab" (default) the sticky A/B test above; "interleaving" a team-draft slate of
 * both models on every visit (routing mode interleave), analysed per user by the sign test with the exact truth
 * under the click model (src/results/interleaving); "bandit" Thompson sampling or epsilon-greedy routing,
 * analysed by served share, weighted CTRs, posterior and regret (src/results/bandit).
 *
 * The run folder `<resultsDir>/runs/<dataset>-seed<seed>-<transport>-calendar-<hash>/` (journal, event store,
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
import { writeJsonAtomic } from "../core/files";
import { projectRelativePath } from "../core/run-record";
import { ensurePreparedDataset } from "../data/ensure";
import { loadPreparedDataset } from "../data/load";
import type { DatasetName, PreparedDataset, SplitName } from "../data/types";
import { offlineComparison, writeOfflineReport } from "../evaluation/offline-report";
import type { DesignSettings } from "../stats/design";
import { chooseExperimentLength, type ExperimentLength } from "../stats/experiment-length";
import { datasetChecksum } from "../models/artifact";
import { FUNFLIX_DESIGN } from "../stats/business-case";
import type { ChallengerHyperparameters } from "../models/challenger/train";
import type { Recommender } from "../models/recommender";
import {
  type BanditRunResults,
  type InterleavingRunResults,
  type RunRecord,
  writeBanditResults,
  writeInterleavingResults,
  writeResults,
} from "../results/write";
import type { ResultsAnalysis } from "../results/analyze-results";
import type { BanditAnalysis } from "../results/bandit";
import { interleavingTruth, type InterleavingAnalysis } from "../results/interleaving";
import { startServing, type RunningServer } from "../deployment/serve";
import { loadTrainedModels, MODEL_NAMES } from "../models/trained-models";
import type { RoutingSettings } from "../serving/assignment";
import { browserTransport } from "../simulation/browser";
import { DEFAULT_CALIBRATION_SETTINGS, type CalibrationSettings } from "../simulation/click-model";
import { groundTruth, type GroundTruth } from "../simulation/ground-truth";
import { httpTransport } from "../simulation/http";
import { testPopulation, type TestPopulation } from "../simulation/population";
import { calendarAaStudy } from "../simulation/aa-study";
import { describeCalendar, seededCalendar, type VisitRateSettings } from "../simulation/calendar";
import { SimulatedCalendar } from "../serving/simulated-calendar";
import { readVisitEvents, type VisitEvent } from "../serving/event-store";
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

/** What the experiment phase runs: the A/B test, interleaving, or a bandit (see the module comment). */
export type ExperimentMethod = "ab" | "interleaving" | "bandit";
export const EXPERIMENT_METHODS: readonly ExperimentMethod[] = ["ab", "interleaving", "bandit"];
export type BanditPolicy = "thompson" | "epsilon-greedy";
export const BANDIT_POLICIES: readonly BanditPolicy[] = ["thompson", "epsilon-greedy"];

/** The default run's calendar: a week of pre-period, then at most two weeks of experiment. */
export const DEFAULT_CALENDAR = {
  /** Days of pre-period: enough for each user's pre-period CTR (CUPED's covariate) and the design's variance. */
  preDays: 7,
  /**
   * The cap on the experiment's length. With the default visit rates (1/3 visit per user per day) ml-latest-small's
   * 592 users make about 197 visits a day, so 7 + 14 days are about 4,150 browser visits: about 8 minutes at the
   * 8.5 visits/s measured on 2 cores (docs/simulation.md), inside the 15-minute budget of the default run.
   */
  maxExperimentDays: 14,
} as const;

/** Simulated experiments of the run's A/A and power study (about 1 s on 592 users and 19 days). */
export const AA_STUDY_EXPERIMENTS = 2000;

export interface ExperimentOptions {
  dataset?: DatasetName;
  /** Default: DEFAULT_SPLITS[dataset] (src/data/prepare.ts). */
  split?: SplitName;
  /** Days of pre-period (everyone on the baseline), >= 1. Default DEFAULT_CALENDAR.preDays. */
  preDays?: number;
  /** The experiment's length in days; default: sized from the pre-period (see the module comment). */
  experimentDays?: number;
  /** The cap on a sized length. Default DEFAULT_CALENDAR.maxExperimentDays. */
  maxExperimentDays?: number;
  /** The users' visit rates (src/simulation/calendar.ts); default mean 1/3 per day, Beta(0.5, 1). */
  visitRates?: VisitRateSettings;
  /** Default "ab". */
  method?: ExperimentMethod;
  /** The bandit method's policy; default "thompson". */
  bandit?: BanditPolicy;
  /** Exploration probability of epsilon-greedy in [0, 1]; default Seldon's 0.1. */
  epsilon?: number;
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
  /** The experiment's length and how it was chosen (absent when interrupted in the pre-period). */
  length?: ExperimentLength;
  method: ExperimentMethod;
  /** Present when complete: run.json (its `results` carry `method` unless the method is "ab"). */
  run?: RunRecord | RunRecord<InterleavingRunResults> | RunRecord<BanditRunResults>;
  analysis?: ResultsAnalysis | InterleavingAnalysis | BanditAnalysis;
}

/**
 * The run folder name for these settings and model versions (stable, so a re-run with the same models resumes);
 * the models and the calendar's settings enter as the first 8 hex digits of the SHA-256 of their description.
 *
 * @example
 * runFolderName("ml-latest-small", 1, "browser", { preDays: 7 }, { baseline: "v1", challenger: "v2" });
 * // => "ml-latest-small-seed1-browser-calendar-" + 8 hex digits
 */
export function runFolderName(
  dataset: string,
  seed: number,
  transport: string,
  calendar: Record<string, unknown>,
  modelVersions: Record<string, string>,
): string {
  const models = Object.entries(modelVersions)
    .map(([name, version]) => `${name}:${version}`)
    .sort()
    .join("\n");
  const hash = crypto
    .createHash("sha256")
    .update(`${models}\n${JSON.stringify(calendar)}`)
    .digest("hex")
    .slice(0, 8);
  return `${dataset}-seed${seed}-${transport}-calendar-${hash}`;
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

/**
 * Each user's pre-period impressions and clicks, aligned with `userIds` (0 for users who did not visit: they are
 * part of the population the design sizes).
 */
export function prePeriodPerUser(
  visits: readonly VisitEvent[],
  userIds: readonly number[],
): { impressions: number[]; clicks: number[] } {
  const index = new Map(userIds.map((userId, i) => [userId, i]));
  const impressions = new Array<number>(userIds.length).fill(0);
  const clicks = new Array<number>(userIds.length).fill(0);
  for (const visit of visits) {
    if (visit.phase !== "pre") continue;
    const i = index.get(visit.userId);
    if (i === undefined)
      throw new InputError(`pre-period visit of user ${visit.userId}, who is not in the test population`, {
        field: "userId",
      });
    impressions[i]++;
    clicks[i] += visit.clicked;
  }
  return { impressions, clicks };
}

/** One line for the log: the length and where it came from. */
function describeExperimentLength(length: ExperimentLength): string {
  const d = length.design;
  const power =
    d && length.powerAtLength !== null
      ? `, power ${(100 * length.powerAtLength).toFixed(1)}% at +${(100 * d.lift).toFixed(1)} points`
      : "";
  if (length.chosenBy === "fixed") return `experiment length fixed at ${length.days} days${power}`;
  const needs = `the design needs ${d!.requiredDays ?? "more than any number of"} days`;
  return d!.requiredDays === null || d!.requiredDays > length.days
    ? `${needs}; capped at ${length.days}${power}`
    : `${needs}; ${length.days} in whole weeks${power}`;
}

/** Per-model failed experiment-phase predictions of every process that served this run, summed. */
export const PREDICTION_ERRORS_FILE = "prediction-errors.json";

/**
 * Adds this process's failed predictions (the router's counter, which lives in memory) to those of the earlier
 * processes of the run, kept in `file`, and returns the sum: an interrupted and resumed run counts each process's
 * failures once. The requests they divide are the store's impressions plus these failures, durable either way.
 * A process killed before this point loses its count of failures (its stored impressions are kept).
 */
export function accumulatePredictionErrors(
  file: string,
  errors: Record<string, number>,
): Record<string, number> {
  const sum: Record<string, number> = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, number>)
    : {};
  for (const [model, count] of Object.entries(errors)) sum[model] = (sum[model] ?? 0) + count;
  writeJsonAtomic(file, sum);
  return sum;
}

function requireDays(value: number | undefined, field: string, minimum: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= minimum))
    throw new InputError(`expected an integer >= ${minimum}, got ${value}`, { field });
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
  const preDays = options.preDays ?? DEFAULT_CALENDAR.preDays;
  const maxExperimentDays = options.maxExperimentDays ?? DEFAULT_CALENDAR.maxExperimentDays;
  requireDays(preDays, "preDays", 1);
  requireDays(options.experimentDays, "experimentDays", 1);
  requireDays(maxExperimentDays, "maxExperimentDays", 1);
  const method = options.method ?? "ab";
  if (!EXPERIMENT_METHODS.includes(method))
    throw new InputError(`expected one of ${EXPERIMENT_METHODS.join(", ")}, got "${method}"`, {
      field: "method",
    });
  const banditPolicy = options.bandit ?? "thompson";
  if (!BANDIT_POLICIES.includes(banditPolicy))
    throw new InputError(`expected one of ${BANDIT_POLICIES.join(", ")}, got "${banditPolicy}"`, {
      field: "bandit",
    });
  if (options.epsilon !== undefined && !(method === "bandit" && banditPolicy === "epsilon-greedy"))
    throw new InputError("epsilon applies to the bandit method with the epsilon-greedy policy only", {
      field: "epsilon",
    });

  const stageTimingsMs: Record<string, number> = {};
  const started = Date.now();
  const STAGES = [
    "data",
    "training",
    "evaluation",
    "calibration",
    "serving",
    "pre-period",
    "design",
    "experiment",
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

  const scheduledExperimentDays = Math.max(options.experimentDays ?? 0, maxExperimentDays);
  const { population, rates, schedule, truth } = await stage("calibration", () => {
    const population: TestPopulation = testPopulation(data);
    const { rates, schedule } = seededCalendar(population.userIds, {
      preDays,
      experimentDays: scheduledExperimentDays,
      visitRates: options.visitRates,
      seed,
    });
    const truth: GroundTruth = groundTruth(
      population,
      baseline,
      [challenger],
      calibrationSettings,
      rates.rates,
    );
    return { population, rates, schedule, truth };
  });
  const ratioA = 1 / (1 + (design.allocationRatio ?? 1));
  const routing: RoutingSettings =
    method === "ab"
      ? { mode: "sticky", ratioA, seed }
      : method === "interleaving"
        ? { mode: "interleave", ratioA, seed }
        : {
            mode: banditPolicy,
            ratioA,
            seed,
            ...(options.epsilon === undefined ? {} : { epsilon: options.epsilon }),
          };
  const routingDescription = {
    ab: "sticky routing by user, unit of analysis = user",
    interleaving: "a team-draft interleaved slate on every visit, unit of analysis = user",
    bandit: `${banditPolicy} routing of every visit, unit of analysis = impression`,
  }[method];
  log(
    `${population.userIds.length} users visit at their own rates (mean ${rates.settings.meanVisitsPerDay.toFixed(3)} ` +
      `a day): ${preDays} days of pre-period on the baseline, then ${routingDescription}`,
  );

  const modelVersions = { [baseline.name]: baseline.version, [challenger.name]: challenger.version };
  const calendarKey = {
    preDays,
    experimentDays: options.experimentDays ?? null,
    maxExperimentDays,
    visitRates: rates.settings,
    calibration: calibrationSettings,
    // The A/B run's key (and folder) stay as they were; another method's visits get a folder of their own.
    ...(method === "ab" ? {} : { method, routing }),
  };
  const methodLabel = method === "ab" ? "" : `-${method === "bandit" ? banditPolicy : method}`;
  const runDir = path.join(
    resultsDir,
    "runs",
    runFolderName(dataset, seed, `${transportKind}${methodLabel}`, calendarKey, modelVersions),
  );
  fs.mkdirSync(runDir, { recursive: true });
  const eventsPath = path.join(runDir, "events.sqlite");
  let server: RunningServer | undefined;
  let prometheus: RunningPrometheus | undefined;
  let transport: VisitTransport | undefined;
  let simulation: SimulationRecord;
  let length: ExperimentLength | undefined;
  let prometheusRecord: unknown = { enabled: false, reason: "not installed (/usr/bin/prometheus)" };
  let predictionErrors: Record<string, number> | undefined;
  try {
    server = await stage("serving", async () => {
      const running = await startServing({
        role: "all",
        port: 0,
        eventsPath,
        recommenders: [baseline, challenger],
        movies: data.movies,
        routing,
        calendar: new SimulatedCalendar(preDays),
      });
      log(`serving on ${running.url} (event store ${eventsPath})`);
      const wanted = options.prometheus ?? prometheusAvailable();
      if (wanted) {
        prometheus = await startPrometheus(`127.0.0.1:${running.port}`);
        log(`prometheus on ${running.url}/metrics scraped by ${prometheus.url}`);
      } else if (options.prometheus === false) prometheusRecord = { enabled: false, reason: "disabled" };
      return running;
    });
    const simulationStarted = Date.now();
    if (transportKind === "browser") {
      const browser = await launchBrowser({ pageLoadStrategy: "eager" });
      transport = browserTransport({
        driver: browser.driver,
        siteUrl: server.url,
        onClose: () => browser.quit(),
      });
    } else {
      transport = httpTransport({ routerUrl: server.url, slateLength: calibrationSettings.slateLength });
    }
    const simulateThrough = (throughDay: number) =>
      simulate({
        population,
        truth,
        transport: transport!,
        calendar: { rates, schedule, throughDay },
        seed,
        outDir: runDir,
        concurrency: transportKind === "browser" ? 1 : (options.httpConcurrency ?? 4),
        signal: options.signal,
        quiet: options.quiet,
      });
    simulation = await stage("pre-period", () => simulateThrough(preDays - 1));
    if (simulation.summary.complete && !interrupted()) {
      length = await stage("design", () => {
        const chosen = chooseExperimentLength(
          prePeriodPerUser(readVisitEvents(eventsPath), population.userIds),
          { preDays, maxDays: maxExperimentDays, design, fixedDays: options.experimentDays },
        );
        log(describeExperimentLength(chosen));
        return chosen;
      });
      simulation = await stage("experiment", () => simulateThrough(preDays + length!.days - 1));
    }
    predictionErrors = accumulatePredictionErrors(
      path.join(runDir, PREDICTION_ERRORS_FILE),
      await server.metrics.experimentPredictionErrors(),
    );
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

  if (!length || !simulation.summary.complete || interrupted()) {
    log(
      `interrupted after ${simulation.summary.completedVisits} visits: run the same command again to continue`,
    );
    return { complete: false, method, resultsDir, runDir, eventsPath, stageTimingsMs, simulation, length };
  }
  const experimentLength = length;

  const outcome = await stage("results", async () => {
    const report = {
      dataset,
      seed,
      transport: transportKind === "browser" ? "headless Chromium on the mock site" : "the router's HTTP API",
      modelVersions,
      experimentLength,
    };
    const run = {
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
        transport: transportKind,
        seed,
        epochs: options.epochs ?? null,
        design,
        calibration: calibrationSettings,
        routing,
        calendar: {
          ...describeCalendar(rates, schedule),
          experimentDays: experimentLength.days,
          maxExperimentDays,
        },
        ...(method === "ab"
          ? { unit: "user" }
          : { method, unit: method === "bandit" ? "impression" : "user" }),
        resultsDir: projectRelativePath(resultsDir),
        modelsDir: projectRelativePath(modelsDir),
        dataDir: projectRelativePath(dataDir),
      },
      runFolder: path.relative(resultsDir, runDir),
      models: training.models,
      clickModel: truth.calibration,
      groundTruth: truth.models,
      experimentLength,
      simulation: {
        ...simulation.summary,
        journalFile: projectRelativePath(simulation.summary.journalFile),
      },
      predictionErrors: predictionErrors ?? null,
      offlineEvaluation: { file: "offline-metrics.json", evaluatedUsers: offline.evaluatedUsers },
      prometheus: prometheusRecord,
      totalMs: Date.now() - started,
    };
    if (method === "interleaving") {
      // The exact truth: each user's team-draft outcome of the two models' slates under the calibrated click model.
      const slateLength = calibrationSettings.slateLength;
      const [rankingsA, rankingsB] = [baseline, challenger].map((model) =>
        model.recommendBatch(population.userIds, slateLength),
      );
      const exact = interleavingTruth(
        population.userIds.map((userId, u) => ({
          rate: rates.rates[u],
          rankingA: rankingsA[u].movieIds,
          rankingB: rankingsB[u].movieIds,
          relevant: population.relevant.get(userId)!,
        })),
        truth.calibration.parameters,
        experimentLength.days,
      );
      return writeInterleavingResults({
        resultsDir,
        eventsPath,
        alpha: design.alpha ?? 0.05,
        seed,
        truth: exact,
        report,
        run: { ...run, interleavingTruth: exact },
      });
    }
    if (method === "bandit") {
      const perUserCtr = new Map(
        Object.entries(truth.perUserCtr).map(([model, ctrs]) => [
          model,
          new Map(truth.userIds.map((userId, u) => [userId, ctrs[u]])),
        ]),
      );
      return writeBanditResults({
        resultsDir,
        eventsPath,
        groundTruth: Object.fromEntries(truth.models.map((m) => [m.model, m.expectedCtr])),
        perUserCtr,
        report,
        run,
      });
    }
    // The wrong analysis measured, not asserted: the naive and delta-method tests on this run's own calendar.
    const aaStudy = calendarAaStudy({
      rates: rates.rates,
      baselineCtr: truth.perUserCtr[baseline.name],
      challengerCtr: truth.perUserCtr[challenger.name],
      preDays,
      experimentDays: experimentLength.days,
      experiments: AA_STUDY_EXPERIMENTS,
      alpha: design.alpha ?? 0.05,
      lift: design.minimumDetectableEffect,
      seed,
    });
    return writeResults({
      resultsDir,
      eventsPath,
      design,
      groundTruth: truth.models.map((m) => ({ variant: m.model, ctr: m.expectedCtr })),
      plannedDays: experimentLength.days,
      predictionErrors,
      report: { ...report, aaStudy },
      run,
    });
  });
  stageTimingsMs.results = outcome.run.stageTimingsMs.results;
  log(
    `experiment done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path.join(resultsDir, "report.md")}`,
  );
  return {
    complete: true,
    method,
    resultsDir,
    runDir,
    eventsPath,
    stageTimingsMs,
    simulation,
    length: experimentLength,
    run: outcome.run,
    analysis: outcome.analysis,
  };
}
