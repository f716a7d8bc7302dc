/**
 * Choosing hyperparameters on a validation period carved from the end of the training period (never the test
 * period): a pure choice, publishing nothing. The validation metric is NDCG@10 over the users with positives on
 * both sides of the validation cutoff. Retraining on the whole training period with the choice, and publishing
 * the artifacts, is src/pipeline/training.ts.
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

/** Negative-sampling exponents α and popularity weights β crossed in the tuning grid. */
const NEGATIVE_SAMPLING_EXPONENTS = [0, 0.5, 0.75, 1];
const POPULARITY_WEIGHTS = [0, 1, 2, 3];

/**
 * Challenger candidates tried by `abrec train --tune`: the defaults first, every other (α, β) pair, and the
 * defaults with more L2 or recency-weighted positives. The default run trains only the defaults.
 */
export const CHALLENGER_GRID: readonly Partial<ChallengerHyperparameters>[] = [
  {},
  ...NEGATIVE_SAMPLING_EXPONENTS.flatMap((negativeSamplingExponent) =>
    POPULARITY_WEIGHTS.map((popularityWeight) => ({ negativeSamplingExponent, popularityWeight })),
  ).filter(
    (candidate) =>
      candidate.negativeSamplingExponent !== DEFAULT_CHALLENGER.negativeSamplingExponent ||
      candidate.popularityWeight !== DEFAULT_CHALLENGER.popularityWeight,
  ),
  { l2: 1e-3 },
  { recencyHalfLifeDays: 730 },
];
