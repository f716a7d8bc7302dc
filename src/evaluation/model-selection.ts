/**
 * Choosing hyperparameters on a validation period carved from the end of the training period (never the test
 * period), then retraining on the whole training period with the choice. The validation metric is NDCG@10 over
 * the users with positives on both sides of the validation cutoff.
 */
import type { PreparedDataset } from "../data/types";
import { trainBaseline, type BaselineHyperparameters } from "../models/popularity";
import {
  DEFAULT_CHALLENGER,
  trainChallenger,
  type ChallengerHyperparameters,
  type ChallengerTraining,
  type EpochRecord,
} from "../models/challenger/train";
import type { TrainingBackend } from "../models/challenger/tensorflow";
import { validationSplit } from "../models/validation-split";
import type { Recommender } from "../models/recommender";
import { evaluateRecommender, evaluationUsers, type EvaluationUsers } from "./evaluate";
import { InputError } from "../core/errors";
import { publishModel } from "../models/artifact";

/** The validation period's share of the training period's ratings. */
export const DEFAULT_VALIDATION_FRACTION = 0.2;
/** Candidate baseline windows (days before the cutoff; null = all history). */
export const BASELINE_WINDOWS: readonly (number | null)[] = [7, 30, 90, 180, 365, 730, null];

/** The windows that fit the dataset's split: all of them, or all history alone under user-temporal (popularity.ts). */
export function baselineWindows(dataset: PreparedDataset): readonly (number | null)[] {
  return dataset.manifest.split === "user-temporal" ? [null] : BASELINE_WINDOWS;
}

export interface ValidationSet {
  dataset: PreparedDataset;
  users: EvaluationUsers;
  k: number;
}

/** Carves the validation set and its evaluation users. */
export function validationSet(
  dataset: PreparedDataset,
  fraction = DEFAULT_VALIDATION_FRACTION,
  k = 10,
): ValidationSet {
  const validation = validationSplit(dataset, fraction);
  const users = evaluationUsers(validation);
  if (users.userIds.length === 0)
    throw new InputError(
      `no user has positives on both sides of the validation cutoff (validation fraction ${fraction}); try a larger one`,
      { field: "validationFraction" },
    );
  return { dataset: validation, users, k };
}

/** NDCG@k of `model` on the validation set (no bootstrap). */
export function validationNdcg(model: Recommender, validation: ValidationSet): number {
  return evaluateRecommender(model, validation.dataset, { k: validation.k, resamples: 0 }, validation.users)
    .metrics.ndcg.estimate;
}

export interface BaselineSelection {
  hyperparameters: BaselineHyperparameters;
  /** Validation NDCG@10 of every candidate window. */
  candidates: { windowDays: number | null; validationNdcg: number }[];
}

/** Picks the popularity window with the best validation NDCG (ties: the longer, steadier window). */
export function selectBaselineWindow(
  validation: ValidationSet,
  windows: readonly (number | null)[] = baselineWindows(validation.dataset),
): BaselineSelection {
  const candidates = windows.map((windowDays) => ({
    windowDays,
    validationNdcg: validationNdcg(trainBaseline(validation.dataset, { windowDays }), validation),
  }));
  let best = candidates[0];
  for (const candidate of candidates) if (candidate.validationNdcg >= best.validationNdcg) best = candidate;
  return { hyperparameters: { windowDays: best.windowDays }, candidates };
}

export interface ChallengerTrial {
  hyperparameters: ChallengerHyperparameters;
  bestEpoch: number;
  validationNdcg: number;
  history: EpochRecord[];
}

export interface ChallengerSelection {
  /** The winning hyperparameters with `maxEpochs` set to its best validation epoch. */
  hyperparameters: ChallengerHyperparameters;
  /** The winning trial. */
  best: ChallengerTrial;
  trials: ChallengerTrial[];
}

export interface ChallengerSelectionOptions {
  seed?: number;
  backend?: TrainingBackend;
  quiet?: boolean;
  onEpoch?: (trial: number, record: EpochRecord) => void;
}

/**
 * Trains each candidate on the validation set's training part with early stopping on validation NDCG@10 and
 * returns the best, its epoch count fixed to the epoch where it peaked.
 */
export async function selectChallenger(
  validation: ValidationSet,
  grid: readonly Partial<ChallengerHyperparameters>[] = [{}],
  options: ChallengerSelectionOptions = {},
): Promise<ChallengerSelection> {
  const trials: ChallengerTrial[] = [];
  for (const [index, candidate] of grid.entries()) {
    const training: ChallengerTraining = await trainChallenger(
      validation.dataset,
      { ...DEFAULT_CHALLENGER, ...candidate },
      {
        seed: options.seed,
        backend: options.backend,
        quiet: options.quiet,
        validate: (model) => validationNdcg(model, validation),
        validationLabel: `val ndcg@${validation.k}`,
        onEpoch: (record) => options.onEpoch?.(index, record),
      },
    );
    trials.push({
      hyperparameters: training.hyperparameters,
      bestEpoch: training.bestEpoch,
      validationNdcg: training.bestValidation ?? NaN,
      history: training.history,
    });
  }
  let best = trials[0];
  for (const trial of trials) if (trial.validationNdcg > best.validationNdcg) best = trial;
  return { hyperparameters: { ...best.hyperparameters, maxEpochs: best.bestEpoch }, best, trials };
}

/** Challenger candidates tried by `abrec train --tune`; the default run trains only the first. */
export const CHALLENGER_GRID: readonly Partial<ChallengerHyperparameters>[] = [
  {},
  { popularityWeight: 0 },
  { popularityWeight: 2 },
  { l2: 1e-3 },
  { recencyHalfLifeDays: 730 },
];

export type ModelChoice = "baseline" | "challenger" | "all";

export interface TrainModelsOptions {
  model: ModelChoice;
  modelsDir: string;
  seed?: number;
  validationFraction?: number;
  /** Challenger candidates (default: DEFAULT_CHALLENGER only). */
  grid?: readonly Partial<ChallengerHyperparameters>[];
  /** Overrides applied to every candidate (e.g. a smaller `maxEpochs` in tests). */
  overrides?: Partial<ChallengerHyperparameters>;
  backend?: TrainingBackend;
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface TrainedModelSummary {
  name: string;
  folder: string;
  version: string;
  trainingSeconds: number;
  hyperparameters: Record<string, unknown>;
  validationNdcg: number;
  /** Challenger only: loss and validation metric per epoch of the selected candidate on the validation split. */
  history?: EpochRecord[];
}

/**
 * `abrec train`: chooses hyperparameters on the validation period, retrains on the whole training period and
 * publishes each artifact under `modelsDir`. The baseline's window is always selected, because the challenger
 * adds the same recent popularity to its scores (`popularityWindowDays`).
 */
export async function trainSelectedModels(
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
  return summaries;
}
