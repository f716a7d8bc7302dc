/**
 * The experiment's training stage: reuse the model artifacts in the models folder when they were trained on this
 * exact dataset with this seed and these hyperparameter settings, else (re)train the one(s) that differ with the
 * project's training pipeline (src/evaluation/model-selection.ts `trainSelectedModels`).
 *
 * What was asked of each artifact is kept in `<modelsDir>/experiment-training.json` (the artifact's own
 * metadata.json holds the hyperparameters chosen on validation, e.g. the early-stopped epoch, not the request), and
 * an artifact is reused only when that record, its version and its metadata's dataset checksum all match.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeJsonAtomic } from "../core/files";
import { MODEL_NAMES } from "../models/trained-models";
import type { PreparedDataset, SplitName } from "../data/types";
import { datasetChecksum, readModelMetadata } from "../models/artifact";
import { DEFAULT_CHALLENGER, type ChallengerHyperparameters } from "../models/challenger/train";
import {
  DEFAULT_VALIDATION_FRACTION,
  trainSelectedModels,
  type ModelChoice,
} from "../evaluation/model-selection";

export const TRAINING_RECORD_FILE = "experiment-training.json";
export type ModelName = (typeof MODEL_NAMES)[number];

/** What a model was trained from: compared field by field to decide reuse. */
export interface TrainingRequest {
  datasetChecksum: string;
  split: SplitName;
  cutoffTimestamp: number;
  /** The challenger's seed (the baseline is deterministic: null). */
  seed: number | null;
  validationFraction: number;
  /** The challenger's hyperparameters before selection (defaults with the overrides applied). */
  hyperparameters: Record<string, unknown> | null;
}

export interface TrainingStageResult {
  /** Per model: reused or trained, with its version and why. */
  models: { name: ModelName; version: string; reused: boolean; reason: string; request: TrainingRequest }[];
}

/** The request for each model given the dataset, seed and challenger overrides. */
export function trainingRequests(
  dataset: PreparedDataset,
  seed: number,
  overrides: Partial<ChallengerHyperparameters>,
): Record<ModelName, TrainingRequest> {
  const common = {
    datasetChecksum: datasetChecksum(dataset.manifest.inputChecksums),
    split: dataset.manifest.split,
    cutoffTimestamp: dataset.manifest.cutoffTimestamp,
    validationFraction: DEFAULT_VALIDATION_FRACTION,
  };
  return {
    baseline: { ...common, seed: null, hyperparameters: null },
    challenger: { ...common, seed, hyperparameters: { ...DEFAULT_CHALLENGER, ...overrides } },
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

/** Why the artifact of `name` cannot be reused for `request`, or null when it can. */
export function reuseObstacle(modelsDir: string, name: ModelName, request: TrainingRequest): string | null {
  const folder = path.join(modelsDir, name);
  if (!fs.existsSync(path.join(folder, "metadata.json"))) return "no artifact";
  let version: string;
  try {
    const metadata = readModelMetadata(folder);
    if (metadata.dataset.checksum !== request.datasetChecksum) return "trained on another dataset";
    version = metadata.version;
  } catch (error) {
    return `unreadable artifact (${(error as Error).message})`;
  }
  const record = readRecords(modelsDir)[name];
  if (!record || record.version !== version) return "not trained by abrec experiment (no matching record)";
  if (JSON.stringify(record.request) !== JSON.stringify(request)) return "other seed or hyperparameters";
  return null;
}

/** Reuses or trains both models (see the module comment). */
export async function ensureTrainedModels(
  dataset: PreparedDataset,
  options: {
    modelsDir: string;
    seed: number;
    overrides?: Partial<ChallengerHyperparameters>;
    quiet?: boolean;
    log?: (line: string) => void;
  },
): Promise<TrainingStageResult> {
  const log = options.log ?? (() => {});
  const requests = trainingRequests(dataset, options.seed, options.overrides ?? {});
  const obstacles = Object.fromEntries(
    MODEL_NAMES.map((name) => [name, reuseObstacle(options.modelsDir, name, requests[name])]),
  ) as Record<ModelName, string | null>;
  const toTrain = MODEL_NAMES.filter((name) => obstacles[name] !== null);
  for (const name of MODEL_NAMES)
    log(
      obstacles[name] === null ? `${name}: reusing the artifact` : `${name}: training (${obstacles[name]})`,
    );
  if (toTrain.length > 0) {
    const choice: ModelChoice = toTrain.length === 2 ? "all" : toTrain[0];
    const trained = await trainSelectedModels(dataset, {
      model: choice,
      modelsDir: options.modelsDir,
      seed: options.seed,
      overrides: options.overrides,
      quiet: options.quiet,
      log,
    });
    const records = readRecords(options.modelsDir);
    for (const summary of trained) {
      const name = summary.name as ModelName;
      records[name] = { version: summary.version, request: requests[name] };
    }
    writeJsonAtomic(path.join(options.modelsDir, TRAINING_RECORD_FILE), records);
  }
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
