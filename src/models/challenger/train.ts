/**
 * The challenger: an implicit-feedback factor model with movie side features, defined and trained with
 * TensorFlow.js, ranking loss BPR (Rendle et al., UAI 2009). For user u and movie i:
 *
 *   q_i      = E[i] + F[i] · W                 (movie embedding + embedding of its genres and year bucket)
 *   b_i      = c[i] + F[i] · v                 (movie bias + bias of its features)
 *   s(u, i)  = P[u] · q_i + b_i
 *   loss     = Σ_(u,i,j) w_ui · softplus(−(s(u,i) − s(u,j))) / (N · negatives)  +  λ (‖P[u]‖² + ‖q_i‖² + ‖q_j‖²) / N
 *
 * over positives (u, i) before the cutoff and negatives j drawn from the catalogue by a seeded Random, uniformly or
 * in proportion to (positives of j + 1)^α (`negativeSamplingExponent`, ./negative-sampler.ts).
 * softplus(−x) is −log σ(x) (tfjs's logSigmoid gradient fails on intermediate tensors). w_ui optionally
 * weights recent positives more: w = 2^(−age / halfLife), age measured back from the cutoff (global split) or from
 * the user's own latest training rating (user-temporal split, where each user's test starts at their own time).
 *
 * Training: each batch gathers the rows of P, E and c it touches, TensorFlow.js computes the loss and its
 * gradients with respect to those rows and the small dense W and v (./bpr-loss.ts), and Adam updates only the
 * touched rows in place (sparse "lazy" Adam as in TensorFlow's LazyAdamOptimizer and PyTorch's SparseAdam,
 * ./lazy-adam.ts; W and v get a dense Adam step). A batch therefore costs O(batch x dim), not O(table size),
 * which is what lets an epoch at 25M ratings fit in minutes. Early stopping on a validation metric supplied by
 * the caller. After training the model is exported to plain
 * Float32Arrays (q_i and b_i precomputed) and served by `FactorRecommender`, without TensorFlow.js.
 */
import * as tf from "@tensorflow/tfjs";
import type { PreparedDataset } from "../../data/types";
import { Random, DEFAULT_SEED } from "../../core/random";
import { createProgress } from "../../core/progress";
import { FactorRecommender, type FactorModelParts } from "../factor-recommender";
import { catalogueMovieIds, knownUsers } from "../known-users";
import { checkWindowFitsSplit, popularityScores, SECONDS_PER_DAY } from "../popularity";
import { activeFeatures, featureRows, movieFeatures } from "./features";
import { joinColumns, splitColumns } from "./columns";
import { useBackend, type TrainingBackend } from "./tensorflow";
import { bprLossAndGradients } from "./bpr-loss";
import { negativeSampler } from "./negative-sampler";
import {
  adamTable,
  denseAdamStep,
  gatherTableRows,
  lazyAdamStep,
  sumDuplicateRows,
  tableValues,
  TFJS_ADAM_DEFAULTS,
  type AdamSettings,
} from "./lazy-adam";

export interface ChallengerHyperparameters {
  /** Embedding width. */
  dim: number;
  /** Adam learning rate. */
  learningRate: number;
  /** λ, L2 penalty on the embeddings used in each batch. */
  l2: number;
  /** Negatives sampled per positive. */
  negatives: number;
  /**
   * α: negatives are drawn with probability ∝ (training positives of the movie + 1)^α; 0 is uniform
   * (./negative-sampler.ts).
   */
  negativeSamplingExponent: number;
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
  /** Must be null (all history) under the user-temporal split, as the baseline's window (../popularity.ts). */
  popularityWindowDays: number | null;
}

export const DEFAULT_CHALLENGER: ChallengerHyperparameters = {
  dim: 32,
  learningRate: 0.02,
  l2: 1e-4,
  negatives: 4,
  // α 1 and β 2 (below): the best mean validation NDCG@10 of `--tune`'s grid over seeds 20261128 and 1-3 on
  // ml-latest-small's per-user split, 0.129 against 0.115 for uniform negatives with β 1 (docs/models.md, History).
  negativeSamplingExponent: 1,
  // Batch 2048 with learning rate 0.02 (twice 1024 and 0.01: the linear scaling rule, Goyal et al. 2017) halves
  // the number of batches, each of which pays a fixed TensorFlow.js cost (~135 kernel calls). Mean validation
  // NDCG@10 over seeds 1-5 on ml-latest-small: 0.208, against 0.214 for 1024/0.01 (paired difference 0.006,
  // standard error 0.008) and 0.193 for 2048/0.01 (docs/models.md, "Challenger: BPR with features").
  batchSize: 2048,
  maxEpochs: 30,
  patience: 3,
  recencyHalfLifeDays: null,
  // Chosen with α among 0, 1, 2, 3 (see negativeSamplingExponent); `abrec train` sets the window to the one the
  // baseline chose.
  popularityWeight: 2,
  popularityWindowDays: 365,
};

export interface EpochRecord {
  epoch: number;
  loss: number;
  /** Wall time of the epoch: the shuffle of all positives, then the batches. */
  seconds: number;
  /** Of which the shuffle of the positives (the rest is the batches). */
  shuffleSeconds: number;
  /** Batches trained in this epoch. */
  batches: number;
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
}

/**
 * When each user's training period ends, for recency weights: the cutoff for everyone (global split), or each
 * user's latest training rating (user-temporal).
 */
function trainingEnds(dataset: PreparedDataset): (userIndex: number) => number {
  const { train, manifest } = dataset;
  if (manifest.split !== "user-temporal") return () => manifest.cutoffTimestamp;
  const latest = new Float64Array(dataset.userIds.length).fill(-Infinity);
  for (let row = 0; row < train.length; row++)
    latest[train.userIndex[row]] = Math.max(latest[train.userIndex[row]], train.timestamp[row]);
  return (userIndex) => latest[userIndex];
}

/** Positives before the cutoff with their recency weights. */
function trainingPairs(dataset: PreparedDataset, halfLifeDays: number | null) {
  const { train, manifest } = dataset;
  const end = trainingEnds(dataset);
  let length = 0;
  for (let row = 0; row < train.length; row++) if (train.rating[row] >= manifest.positiveThreshold) length++;
  const users = new Int32Array(length);
  const items = new Int32Array(length);
  const weights = new Float32Array(length).fill(1);
  for (let row = 0, k = 0; row < train.length; row++) {
    if (train.rating[row] < manifest.positiveThreshold) continue;
    users[k] = train.userIndex[row];
    items[k] = train.movieIndex[row];
    if (halfLifeDays !== null)
      weights[k] = Math.pow(
        2,
        -(end(train.userIndex[row]) - train.timestamp[row]) / (halfLifeDays * SECONDS_PER_DAY),
      );
    k++;
  }
  return { users, items, weights, length };
}

/** Trains the challenger on `dataset.train` (every positive before the dataset's cutoff). */
export async function trainChallenger(
  dataset: PreparedDataset,
  hyperparameters: Partial<ChallengerHyperparameters> = {},
  options: ChallengerOptions = {},
): Promise<ChallengerTraining> {
  const hp = { ...DEFAULT_CHALLENGER, ...hyperparameters };
  checkWindowFitsSplit(dataset, "popularityWindowDays", hp.popularityWindowDays);
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

  const normal = (n: number, scale: number) => {
    const values = new Float32Array(n);
    for (let k = 0; k < n; k++) values[k] = initRng.normal() * scale;
    return values;
  };
  // Parameters live in Float32Arrays with their Adam moments (./lazy-adam.ts); TensorFlow.js computes each batch's
  // loss and gradients from the rows the batch gathers (./bpr-loss.ts). A movie's row holds E[i] then c[i].
  // A user's row holds P[u] then a constant 1 that meets the movie bias (./bpr-loss.ts; its gradient is 0).
  const P = adamTable(
    joinColumns(normal(nUsers * hp.dim, 0.01), hp.dim, new Float32Array(nUsers).fill(1), 1),
    hp.dim + 1,
  );
  const movieTable = adamTable(
    joinColumns(normal(nMovies * hp.dim, 0.01), hp.dim, new Float32Array(nMovies), 1),
    hp.dim + 1,
  );
  // A feature's row holds its embedding W[f] then its bias v[f] (small: dense Adam).
  const featureTable = adamTable(
    joinColumns(normal(nFeatures * hp.dim, 0.01), hp.dim, new Float32Array(nFeatures), 1),
    hp.dim + 1,
  );
  const active = activeFeatures(features);
  const adam: AdamSettings = { ...TFJS_ADAM_DEFAULTS, learningRate: hp.learningRate };
  const userSlots = new Int32Array(nUsers).fill(-1);
  const movieSlots = new Int32Array(nMovies).fill(-1);
  let step = 0;

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
    // [q_i, b_i] = [E[i], c[i]] + F[i] · [W, v]. The tidy returns a tensor, read afterwards: tf.tidy walks every
    // element of a returned typed array.
    const full = tf.tidy(() =>
      tf
        .tensor2d(tableValues(movieTable), [nMovies, hp.dim + 1])
        .add(
          tf.matMul(
            tf.tensor2d(features.matrix, [nMovies, nFeatures]),
            tf.tensor2d(tableValues(featureTable), [nFeatures, hp.dim + 1]),
          ),
        ),
    );
    const [itemFactors, itemBias] = splitColumns(full.dataSync() as Float32Array, hp.dim + 1, hp.dim);
    full.dispose();
    for (let i = 0; i < nMovies; i++) itemBias[i] += hp.popularityWeight * popularity[i];
    const [userFactors] = splitColumns(gatherTableRows(P, known.userIndex), hp.dim + 1, hp.dim);
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
  };

  const positivesPerMovie = new Int32Array(nMovies);
  for (let k = 0; k < pairs.length; k++) positivesPerMovie[pairs.items[k]]++;
  const drawNegative = negativeSampler(sampleRng, positivesPerMovie, hp.negativeSamplingExponent);
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
      const shuffleSeconds = (performance.now() - epochStart) / 1000;
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < order.length; start += hp.batchSize) {
        const size = Math.min(hp.batchSize, order.length - start);
        const users = new Int32Array(size);
        // The batch's items: its N positives, then N x negatives negatives.
        const items = new Int32Array(size * (1 + hp.negatives));
        const weights = new Float32Array(size);
        for (let b = 0; b < size; b++) {
          const pair = order[start + b];
          users[b] = pairs.users[pair];
          items[b] = pairs.items[pair];
          weights[b] = pairs.weights[pair];
        }
        for (let b = size; b < items.length; b++) items[b] = drawNegative();
        const gradients = bprLossAndGradients({
          size,
          negatives: hp.negatives,
          dim: hp.dim,
          nFeatures,
          userRows: gatherTableRows(P, users),
          itemRows: gatherTableRows(movieTable, items),
          featureRows: featureRows(active, items),
          weights,
          featureWeights: tableValues(featureTable),
          l2: hp.l2,
        });
        step++;
        lazyAdamStep(
          P,
          sumDuplicateRows({ indices: users, rows: gradients.userRows }, hp.dim + 1, userSlots),
          step,
          adam,
        );
        lazyAdamStep(
          movieTable,
          sumDuplicateRows({ indices: items, rows: gradients.itemRows }, hp.dim + 1, movieSlots),
          step,
          adam,
        );
        denseAdamStep(featureTable, gradients.featureWeights, step, adam);
        lossSum += gradients.loss;
        batches++;
      }
      const record: EpochRecord = {
        epoch,
        loss: lossSum / batches,
        seconds: (performance.now() - epochStart) / 1000,
        shuffleSeconds,
        batches,
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
  }
}
