/**
 * Training the project's models, for `abrec train` and the experiment's training stage:
 *
 * - `trainModels` chooses hyperparameters on the validation period (src/evaluation/model-selection.ts, a pure
 *   choice), retrains on the whole training period with the choice, publishes each artifact under the models
 *   folder (src/models/artifact.ts) and records what was asked of it;
 * - `ensureTrainedModels` reuses an artifact when it was trained on this exact prepared dataset
 *   (src/models/trained-models.ts `datasetMismatch`) and asked the same (seed, validation fraction, candidate
 *   hyperparameters, backend), and trains the one(s) that differ.
 *
 * What was asked of each artifact is kept in `<modelsDir>/training-requests.json`: the artifact's own
 * metadata.json holds the hyperparameters chosen on validation (e.g. the early-stopped epoch), not the request.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeJsonAtomic } from "../core/files";
import { DEFAULT_SEED } from "../core/random";
import type { PreparedDataset } from "../data/types";
import {
  DEFAULT_VALIDATION_FRACTION,
  selectBaselineWindow,
  selectChallenger,
  validationSet,
} from "../evaluation/model-selection";
import { publishModel, readModelMetadata } from "../models/artifact";
import {
  DEFAULT_CHALLENGER,
  trainChallenger,
  type ChallengerHyperparameters,
  type EpochRecord,
} from "../models/challenger/train";
import type { TrainingBackend } from "../models/challenger/tensorflow";
import { trainBaseline } from "../models/popularity";
import { datasetMismatch, MODEL_NAMES } from "../models/trained-models";

export const TRAINING_RECORD_FILE = "training-requests.json";
export type ModelName = (typeof MODEL_NAMES)[number];
export type ModelChoice = ModelName | "all";

export interface TrainModelsOptions {
  model: ModelChoice;
  modelsDir: string;
  seed?: number;
  validationFraction?: number;
  /** Challenger candidates (default: DEFAULT_CHALLENGER only). */
  grid?: readonly Partial<ChallengerHyperparameters>[];
  /** Overrides applied to every candidate (e.g. a smaller `maxEpochs` in tests). */
  overrides?: Partial<ChallengerHyperparameters>;
  /** Default "wasm". */
  backend?: TrainingBackend;
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface TrainedModelSummary {
  name: ModelName;
  folder: string;
  version: string;
  trainingSeconds: number;
  hyperparameters: Record<string, unknown>;
  validationNdcg: number;
  /** Challenger only: loss and validation metric per epoch of the selected candidate on the validation split. */
  history?: EpochRecord[];
}

/** What a model was trained from (besides the dataset, which its metadata.json records): compared to decide reuse. */
export interface TrainingRequest {
  /** The challenger's seed (the baseline is deterministic: null). */
  seed: number | null;
  validationFraction: number;
  /** The challenger's candidates before selection (defaults with the candidate and the overrides applied). */
  candidates: Record<string, unknown>[] | null;
  /** The challenger's TensorFlow.js backend. */
  backend: TrainingBackend | null;
}

/** The request `trainModels` makes of each model under `options`. */
export function trainingRequests(
  options: Omit<TrainModelsOptions, "model" | "modelsDir" | "quiet" | "log">,
): Record<ModelName, TrainingRequest> {
  const validationFraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  return {
    baseline: { seed: null, validationFraction, candidates: null, backend: null },
    challenger: {
      seed: options.seed ?? DEFAULT_SEED,
      validationFraction,
      candidates: (options.grid ?? [{}]).map((candidate) => ({
        ...DEFAULT_CHALLENGER,
        ...candidate,
        ...options.overrides,
      })),
      backend: options.backend ?? "wasm",
    },
  };
}

type TrainingRecords = Partial<Record<ModelName, { version: string; request: TrainingRequest }>>;

function readRecords(modelsDir: string): TrainingRecords {
  const file = path.join(modelsDir, TRAINING_RECORD_FILE);
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as TrainingRecords;
  } catch {
    return {}; // an unreadable record only means retraining
  }
}

/**
 * `abrec train`: chooses hyperparameters on the validation period, retrains on the whole training period,
 * publishes each artifact under `modelsDir` and records its request. The baseline's window is always selected,
 * because the challenger adds the same recent popularity to its scores (`popularityWindowDays`).
 */
export async function trainModels(
  dataset: PreparedDataset,
  options: TrainModelsOptions,
): Promise<TrainedModelSummary[]> {
  const log = options.log ?? (() => {});
  const fraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  const validation = validationSet(dataset, fraction);
  log(
    `validation: last ${fraction * 100}% of the training period, ${validation.users.userIds.length} users with positives on both sides`,
  );
  const baselineSelection = selectBaselineWindow(validation);
  const baselineBest = baselineSelection.candidates.find(
    (c) => c.windowDays === baselineSelection.hyperparameters.windowDays,
  )!;
  const summaries: TrainedModelSummary[] = [];
  if (options.model !== "challenger") {
    const started = performance.now();
    const model = trainBaseline(dataset, baselineSelection.hyperparameters);
    const trainingSeconds = (performance.now() - started) / 1000;
    const hyperparameters = { ...baselineSelection.hyperparameters, validationFraction: fraction };
    const { folder, metadata } = await publishModel(options.modelsDir, model.parts, dataset.manifest, {
      hyperparameters,
      seed: null,
      trainingSeconds,
      metrics: {
        validationNdcgAt10: baselineBest.validationNdcg,
        windowCandidates: baselineSelection.candidates,
      },
    });
    log(
      `baseline: window ${baselineSelection.hyperparameters.windowDays ?? "all"} days (validation NDCG@10 ${baselineBest.validationNdcg.toFixed(4)}) -> ${folder}`,
    );
    summaries.push({
      name: "baseline",
      folder,
      version: metadata.version,
      trainingSeconds,
      hyperparameters,
      validationNdcg: baselineBest.validationNdcg,
    });
  }
  if (options.model !== "baseline") {
    const started = performance.now();
    const grid = (options.grid ?? [{}]).map((candidate) => ({
      popularityWindowDays: baselineSelection.hyperparameters.windowDays,
      ...candidate,
      ...options.overrides,
    }));
    const selection = await selectChallenger(validation, grid, {
      seed: options.seed,
      backend: options.backend,
      quiet: options.quiet,
    });
    const best = selection.best;
    log(
      `challenger: ${selection.trials.length} candidate(s) on validation, best NDCG@10 ${best.validationNdcg.toFixed(4)} at epoch ${best.bestEpoch}; retraining on the whole training period`,
    );
    const training = await trainChallenger(dataset, selection.hyperparameters, {
      seed: options.seed,
      backend: options.backend,
      quiet: options.quiet,
    });
    const trainingSeconds = (performance.now() - started) / 1000;
    const hyperparameters = { ...training.hyperparameters, validationFraction: fraction };
    const { folder, metadata } = await publishModel(
      options.modelsDir,
      training.model.parts,
      dataset.manifest,
      {
        hyperparameters,
        seed: training.seed,
        trainingSeconds,
        metrics: {
          validationNdcgAt10: best.validationNdcg,
          finalTrainingSeconds: training.trainingSeconds,
          finalLoss: training.history[training.history.length - 1]?.loss ?? null,
          validationHistory: best.history,
          trials: selection.trials.map((t) => ({
            hyperparameters: t.hyperparameters,
            bestEpoch: t.bestEpoch,
            validationNdcgAt10: t.validationNdcg,
          })),
        },
      },
    );
    log(
      `challenger: trained in ${trainingSeconds.toFixed(1)} s (final fit ${training.trainingSeconds.toFixed(1)} s) -> ${folder}`,
    );
    summaries.push({
      name: "challenger",
      folder,
      version: metadata.version,
      trainingSeconds,
      hyperparameters,
      validationNdcg: best.validationNdcg,
      history: best.history,
    });
  }
  const requests = trainingRequests(options);
  const records = readRecords(options.modelsDir);
  for (const summary of summaries)
    records[summary.name] = { version: summary.version, request: requests[summary.name] };
  writeJsonAtomic(path.join(options.modelsDir, TRAINING_RECORD_FILE), records);
  return summaries;
}

export interface TrainingStageResult {
  /** Per model: reused or trained, with its version and why. */
  models: { name: ModelName; version: string; reused: boolean; reason: string; request: TrainingRequest }[];
}

/** Why the artifact of `name` cannot be reused for `request` on `dataset`, or null when it can. */
export function reuseObstacle(
  modelsDir: string,
  name: ModelName,
  dataset: PreparedDataset,
  request: TrainingRequest,
): string | null {
  const folder = path.join(modelsDir, name);
  if (!fs.existsSync(path.join(folder, "metadata.json"))) return "no artifact";
  let version: string;
  try {
    const metadata = readModelMetadata(folder);
    const mismatch = datasetMismatch(metadata, dataset.manifest);
    if (mismatch) return mismatch;
    version = metadata.version;
  } catch (error) {
    return `unreadable artifact (${(error as Error).message})`;
  }
  const record = readRecords(modelsDir)[name];
  if (!record || record.version !== version) return "no training request recorded for this version";
  if (JSON.stringify(record.request) !== JSON.stringify(request)) return "other seed or hyperparameters";
  return null;
}

/** Reuses or trains both models (see the module comment). */
export async function ensureTrainedModels(
  dataset: PreparedDataset,
  options: Omit<TrainModelsOptions, "model">,
): Promise<TrainingStageResult> {
  const log = options.log ?? (() => {});
  const requests = trainingRequests(options);
  const obstacles = Object.fromEntries(
    MODEL_NAMES.map((name) => [name, reuseObstacle(options.modelsDir, name, dataset, requests[name])]),
  ) as Record<ModelName, string | null>;
  const toTrain = MODEL_NAMES.filter((name) => obstacles[name] !== null);
  for (const name of MODEL_NAMES)
    log(
      obstacles[name] === null ? `${name}: reusing the artifact` : `${name}: training (${obstacles[name]})`,
    );
  if (toTrain.length > 0)
    await trainModels(dataset, { ...options, model: toTrain.length === 2 ? "all" : toTrain[0] });
  return {
    models: MODEL_NAMES.map((name) => ({
      name,
      version: readModelMetadata(path.join(options.modelsDir, name)).version,
      reused: obstacles[name] === null,
      reason: obstacles[name] ?? "same dataset, seed and hyperparameters",
      request: requests[name],
    })),
  };
}
