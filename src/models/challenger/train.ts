/**
 * The challenger: an implicit-feedback factor model with movie side features, defined and trained with
 * TensorFlow.js, ranking loss BPR (Rendle et al., UAI 2009). For user u and movie i:
 *
 *   q_i      = E[i] + F[i] · W                 (movie embedding + embedding of its genres and year bucket)
 *   b_i      = c[i] + F[i] · v                 (movie bias + bias of its features)
 *   s(u, i)  = P[u] · q_i + b_i
 *   loss     = Σ_(u,i,j) w_ui · softplus(−(s(u,i) − s(u,j))) / N  +  λ (‖P[u]‖² + ‖q_i‖² + ‖q_j‖²) / N
 *
 * over positives (u, i) before the cutoff and negatives j drawn uniformly from the catalogue by a seeded Random.
 * softplus(−x) is −log σ(x) (tfjs's logSigmoid gradient fails on intermediate tensors). w_ui optionally
 * weights recent positives more: w = 2^(−age / halfLife), age measured back from the cutoff. Adam optimiser;
 * early stopping on a validation metric supplied by the caller. After training the model is exported to plain
 * Float32Arrays (q_i and b_i precomputed) and served by `FactorRecommender`, without TensorFlow.js.
 */
import * as tf from "@tensorflow/tfjs";
import type { PreparedDataset } from "../../data/types";
import { Random, DEFAULT_SEED } from "../../core/random";
import { createProgress } from "../../core/progress";
import { FactorRecommender, type FactorModelParts } from "../factor-recommender";
import { catalogueMovieIds, knownUsers } from "../known-users";
import { popularityScores, SECONDS_PER_DAY } from "../popularity";
import { movieFeatures } from "./features";
import { gatherRows, useBackend, type TrainingBackend } from "./tensorflow";

export interface ChallengerHyperparameters {
  /** Embedding width. */
  dim: number;
  /** Adam learning rate. */
  learningRate: number;
  /** λ, L2 penalty on the embeddings used in each batch. */
  l2: number;
  /** Negatives sampled per positive. */
  negatives: number;
  batchSize: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation metric (ignored without a validator). */
  patience: number;
  /** Half-life (days before the cutoff) of the recency weight of positives; null weighs all equally. */
  recencyHalfLifeDays: number | null;
  /**
   * Weight of the baseline's recent popularity, log(1 + count in the last `popularityWindowDays`), added to
   * every movie's score; 0 disables it. Lets the model combine "what this user likes" with "what is watched now".
   */
  popularityWeight: number;
  popularityWindowDays: number | null;
}

export const DEFAULT_CHALLENGER: ChallengerHyperparameters = {
  dim: 32,
  learningRate: 0.01,
  l2: 1e-4,
  negatives: 4,
  batchSize: 1024,
  maxEpochs: 30,
  patience: 3,
  recencyHalfLifeDays: null,
  // Chosen on the ml-latest-small validation period among 0, 1, 2 (README, "Models and offline evaluation");
  // `abrec train` sets the window to the one the baseline chose.
  popularityWeight: 1,
  popularityWindowDays: 365,
};

export interface EpochRecord {
  epoch: number;
  loss: number;
  seconds: number;
  /** The validation metric after this epoch (when a validator was given). */
  validation?: number;
}

export interface ChallengerTraining {
  model: FactorRecommender;
  history: EpochRecord[];
  /** Epoch whose parameters were kept (best validation, or the last one). */
  bestEpoch: number;
  bestValidation: number | null;
  trainingSeconds: number;
  hyperparameters: ChallengerHyperparameters;
  seed: number;
}

export interface ChallengerOptions {
  seed?: number;
  backend?: TrainingBackend;
  /** Scores the exported model after each epoch (higher is better), for early stopping and the progress bar. */
  validate?: (model: FactorRecommender) => number;
  /** Name shown next to the validation value, e.g. "val ndcg@10". */
  validationLabel?: string;
  quiet?: boolean;
  /** Called after every epoch (training curves). */
  onEpoch?: (record: EpochRecord) => void;
  /** Benchmarks only: stop each epoch after this many batches (the record then covers part of an epoch). */
  maxBatchesPerEpoch?: number;
}

/** Positives before the cutoff with their recency weights. */
function trainingPairs(dataset: PreparedDataset, halfLifeDays: number | null) {
  const { train, manifest } = dataset;
  const rows: number[] = [];
  for (let row = 0; row < train.length; row++)
    if (train.rating[row] >= manifest.positiveThreshold) rows.push(row);
  const users = Int32Array.from(rows, (row) => train.userIndex[row]);
  const items = Int32Array.from(rows, (row) => train.movieIndex[row]);
  const weights = Float32Array.from(rows, (row) =>
    halfLifeDays === null
      ? 1
      : Math.pow(2, -(manifest.cutoffTimestamp - train.timestamp[row]) / (halfLifeDays * SECONDS_PER_DAY)),
  );
  return { users, items, weights, length: rows.length };
}

/** Trains the challenger on `dataset.train` (every positive before the dataset's cutoff). */
export async function trainChallenger(
  dataset: PreparedDataset,
  hyperparameters: Partial<ChallengerHyperparameters> = {},
  options: ChallengerOptions = {},
): Promise<ChallengerTraining> {
  const hp = { ...DEFAULT_CHALLENGER, ...hyperparameters };
  const seed = options.seed ?? DEFAULT_SEED;
  await useBackend(options.backend ?? "wasm");
  const started = performance.now();
  const rng = new Random(seed);
  const initRng = rng.fork();
  const sampleRng = rng.fork();

  const nUsers = dataset.userIds.length;
  const nMovies = dataset.movies.length;
  const features = movieFeatures(dataset.movies);
  const nFeatures = features.names.length;
  const pairs = trainingPairs(dataset, hp.recencyHalfLifeDays);
  if (pairs.length === 0) throw new RangeError("no positive ratings before the cutoff to train on");

  const normal = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => initRng.normal() * scale);
  const P = tf.variable<tf.Rank.R2>(tf.tensor2d(normal(nUsers * hp.dim, 0.01), [nUsers, hp.dim]), true, "P");
  const E = tf.variable<tf.Rank.R2>(
    tf.tensor2d(normal(nMovies * hp.dim, 0.01), [nMovies, hp.dim]),
    true,
    "E",
  );
  const W = tf.variable<tf.Rank.R2>(
    tf.tensor2d(normal(nFeatures * hp.dim, 0.01), [nFeatures, hp.dim]),
    true,
    "W",
  );
  const c = tf.variable<tf.Rank.R2>(tf.zeros([nMovies, 1]), true, "c");
  const v = tf.variable<tf.Rank.R2>(tf.zeros([nFeatures, 1]), true, "v");
  const F = tf.tensor2d(features.matrix, [nMovies, nFeatures]);
  const optimizer = tf.train.adam(hp.learningRate);

  const popularity = popularityScores(dataset.train, nMovies, {
    windowDays: hp.popularityWindowDays,
    endTimestamp: dataset.manifest.cutoffTimestamp,
    positiveThreshold: dataset.manifest.positiveThreshold,
  }).map((score) => Math.log1p(Math.floor(score)));
  const known = knownUsers(dataset);
  const movieIds = catalogueMovieIds(dataset);
  const fallbackScores = popularityScores(dataset.train, nMovies, {
    windowDays: hp.popularityWindowDays,
    endTimestamp: dataset.manifest.cutoffTimestamp,
    positiveThreshold: dataset.manifest.positiveThreshold,
  });

  /** Current parameters as plain arrays (item vectors and biases with features folded in). */
  const exportModel = (): FactorModelParts => {
    const [itemFactors, itemBias] = tf.tidy(() => [
      Float32Array.from(E.add(tf.matMul(F, W)).dataSync()),
      Float32Array.from(c.add(tf.matMul(F, v)).dataSync()),
    ]);
    {
      for (let i = 0; i < nMovies; i++) itemBias[i] += hp.popularityWeight * popularity[i];
      const allUsers = P.dataSync() as Float32Array;
      const userFactors = new Float32Array(known.userIndex.length * hp.dim);
      known.userIndex.forEach((u, r) =>
        userFactors.set(allUsers.subarray(u * hp.dim, (u + 1) * hp.dim), r * hp.dim),
      );
      return {
        name: "challenger",
        version: "untrained",
        dim: hp.dim,
        userIds: known.userIds,
        movieIds,
        userFactors,
        itemFactors,
        itemBias,
        fallbackScores,
        seen: known.seen,
      };
    }
  };

  const order = Int32Array.from({ length: pairs.length }, (_, j) => j);
  const history: EpochRecord[] = [];
  let best: { epoch: number; value: number; parts: FactorModelParts } | null = null;
  const progress = createProgress({
    label: "challenger",
    total: hp.maxEpochs,
    unit: "epochs",
    quiet: options.quiet,
  });
  const label = options.validationLabel ?? "val";
  try {
    for (let epoch = 1; epoch <= hp.maxEpochs; epoch++) {
      const epochStart = performance.now();
      for (let j = order.length - 1; j > 0; j--) {
        const swap = sampleRng.int(j + 1);
        const tmp = order[j];
        order[j] = order[swap];
        order[swap] = tmp;
      }
      let lossSum = 0;
      let batches = 0;
      const maxBatches = options.maxBatchesPerEpoch ?? Infinity;
      for (let start = 0; start < order.length && batches < maxBatches; start += hp.batchSize) {
        const size = Math.min(hp.batchSize, order.length - start);
        const users = new Int32Array(size);
        const positives = new Int32Array(size);
        const weights = new Float32Array(size);
        const negatives = new Int32Array(size * hp.negatives);
        for (let b = 0; b < size; b++) {
          const pair = order[start + b];
          users[b] = pairs.users[pair];
          positives[b] = pairs.items[pair];
          weights[b] = pairs.weights[pair];
        }
        for (let b = 0; b < negatives.length; b++) negatives[b] = sampleRng.int(nMovies);
        const loss = tf.tidy(() => {
          const u = tf.tensor1d(users, "int32");
          const pos = tf.tensor1d(positives, "int32");
          const neg = tf.tensor1d(negatives, "int32");
          const w = tf.tensor2d(weights, [size, 1]);
          return optimizer.minimize(() => {
            const userVectors = gatherRows(P, u);
            const itemVector = (index: tf.Tensor1D) =>
              gatherRows(E, index).add(tf.matMul(tf.gather(F, index), W)) as tf.Tensor2D;
            const itemBias = (index: tf.Tensor1D) =>
              gatherRows(c, index).add(tf.matMul(tf.gather(F, index), v)) as tf.Tensor2D;
            const posVectors = itemVector(pos);
            const negVectors = itemVector(neg).reshape([size, hp.negatives, hp.dim]);
            const posScore = userVectors.mul(posVectors).sum(1, true).add(itemBias(pos)); // [size, 1]
            const negScore = userVectors
              .expandDims(1)
              .mul(negVectors)
              .sum(2)
              .add(itemBias(neg).reshape([size, hp.negatives])); // [size, negatives]
            const bpr = tf
              .softplus(tf.neg(posScore.sub(negScore)))
              .mul(w)
              .mean();
            const penalty = tf
              .addN([userVectors.square().sum(), posVectors.square().sum(), negVectors.square().sum()])
              .mul(hp.l2 / size);
            return bpr.add(penalty) as tf.Scalar;
          }, true) as tf.Scalar;
        });
        lossSum += (await loss.data())[0];
        loss.dispose();
        batches++;
      }
      const record: EpochRecord = {
        epoch,
        loss: lossSum / batches,
        seconds: (performance.now() - epochStart) / 1000,
      };
      let parts: FactorModelParts | null = null;
      if (options.validate) {
        parts = exportModel();
        record.validation = options.validate(new FactorRecommender(parts));
        if (!best || record.validation > best.value) best = { epoch, value: record.validation, parts };
      }
      history.push(record);
      options.onEpoch?.(record);
      progress.update(epoch, {
        loss: record.loss.toFixed(4),
        ...(record.validation !== undefined ? { [label]: record.validation.toFixed(4) } : {}),
      });
      if (best && epoch - best.epoch >= hp.patience) break;
    }
    const parts = best ? best.parts : exportModel();
    return {
      model: new FactorRecommender(parts),
      history,
      bestEpoch: best ? best.epoch : history.length,
      bestValidation: best ? best.value : null,
      trainingSeconds: (performance.now() - started) / 1000,
      hyperparameters: hp,
      seed,
    };
  } finally {
    progress.stop();
    tf.dispose([P, E, W, c, v, F]);
    optimizer.dispose();
  }
}
