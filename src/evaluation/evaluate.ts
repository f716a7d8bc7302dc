/**
 * Offline evaluation on the temporal split: for every user with positives both before and after the cutoff, the
 * model ranks the catalogue (minus what the user rated before the cutoff) and its top k is scored against the
 * user's positives after the cutoff. Per-user metrics are averaged, with percentile-bootstrap 95% intervals over
 * users; catalogue coverage and novelty describe the lists themselves.
 */
import type { PreparedDataset } from "../data/types";
import type { Recommender } from "../models/recommender";
import { itemsOf, positiveRows, userItems } from "../models/interactions";
import { Random, DEFAULT_SEED } from "../core/random";
import {
  averagePrecisionAtK,
  catalogueCoverage,
  hitRateAtK,
  itemPopularityShares,
  ndcgAtK,
  novelty,
  precisionAtK,
  recallAtK,
} from "./metrics";
import { bootstrapSamples, meanAt, percentileInterval, type Interval } from "./bootstrap";

/** Users evaluated and what counts as relevant for each (MovieLens ids). */
export interface EvaluationUsers {
  userIds: number[];
  /** Positives after the cutoff that the user had not rated before it. */
  relevant: Set<number>[];
}

/** Users with positives in both periods, and their relevant (test-period positive) movies. */
export function evaluationUsers(dataset: PreparedDataset): EvaluationUsers {
  const nUsers = dataset.userIds.length;
  const threshold = dataset.manifest.positiveThreshold;
  const trainPositives = userItems(dataset.train, nUsers, positiveRows(dataset.train, threshold));
  const seen = userItems(dataset.train, nUsers);
  const testPositives = userItems(dataset.test, nUsers, positiveRows(dataset.test, threshold));
  const result: EvaluationUsers = { userIds: [], relevant: [] };
  for (let u = 0; u < nUsers; u++) {
    if (itemsOf(trainPositives, u).length === 0) continue;
    const seenItems = new Set(itemsOf(seen, u));
    const relevant = new Set<number>();
    for (const i of itemsOf(testPositives, u)) if (!seenItems.has(i)) relevant.add(dataset.movies[i].movieId);
    if (relevant.size === 0) continue;
    result.userIds.push(dataset.userIds[u]);
    result.relevant.push(relevant);
  }
  return result;
}

export const PER_USER_METRICS = ["precision", "recall", "ndcg", "map", "hitRate", "novelty"] as const;
export type PerUserMetric = (typeof PER_USER_METRICS)[number];
export type MetricName = PerUserMetric | "coverage";

export interface EvaluationOptions {
  k: number;
  resamples: number;
  confidence: number;
  seed: number;
}

export const DEFAULT_EVALUATION: EvaluationOptions = {
  k: 10,
  resamples: 1000,
  confidence: 0.95,
  seed: DEFAULT_SEED,
};

export interface ModelEvaluation {
  model: string;
  version: string;
  k: number;
  nUsers: number;
  /** Mean over users (coverage: over the lists of all evaluated users) with its bootstrap interval. */
  metrics: Record<MetricName, Interval>;
  /** Per-user values in `users` order, for paired comparisons. */
  perUser: Record<PerUserMetric, Float64Array>;
  /** Each user's top k (MovieLens ids), same order. */
  lists: number[][];
}

/**
 * Evaluates `recommender` on `dataset`'s test period. The bootstrap resamples come from `options.seed`, so two
 * models evaluated with the same seed are resampled on the same users (paired).
 */
export function evaluateRecommender(
  recommender: Recommender,
  dataset: PreparedDataset,
  options: Partial<EvaluationOptions> = {},
  users: EvaluationUsers = evaluationUsers(dataset),
): ModelEvaluation {
  const { k, resamples, confidence, seed } = { ...DEFAULT_EVALUATION, ...options };
  const n = users.userIds.length;
  const lists = recommender.recommendBatch(users.userIds, k).map((rec) => rec.movieIds);
  const share = itemPopularityShares(usersPerMovie(dataset), dataset.userIds.length);
  const perUser = Object.fromEntries(
    PER_USER_METRICS.map((metric) => [metric, new Float64Array(n)]),
  ) as Record<PerUserMetric, Float64Array>;
  for (let j = 0; j < n; j++) {
    const list = lists[j];
    const relevant = users.relevant[j];
    perUser.precision[j] = precisionAtK(list, relevant, k);
    perUser.recall[j] = recallAtK(list, relevant, k);
    perUser.ndcg[j] = ndcgAtK(list, relevant, k);
    perUser.map[j] = averagePrecisionAtK(list, relevant, k);
    perUser.hitRate[j] = hitRateAtK(list, relevant, k);
    perUser.novelty[j] = novelty(list, share, k);
  }
  const samples = bootstrapSamples(n, resamples, new Random(seed));
  const metrics = {} as Record<MetricName, Interval>;
  for (const metric of PER_USER_METRICS)
    metrics[metric] = percentileInterval(n, (idx) => meanAt(perUser[metric], idx), samples, confidence);
  const nMovies = dataset.movies.length;
  metrics.coverage = percentileInterval(
    n,
    (idx) =>
      catalogueCoverage(
        Array.from(idx, (j) => lists[j]),
        k,
        nMovies,
      ),
    samples,
    confidence,
    { biasCorrected: true },
  );
  return { model: recommender.name, version: recommender.version, k, nUsers: n, metrics, perUser, lists };
}

/** MovieLens movie id -> number of distinct users who rated it before the cutoff. */
function usersPerMovie(dataset: PreparedDataset): Map<number, number> {
  const lists = userItems(dataset.train, dataset.userIds.length);
  const counts = new Map<number, number>();
  for (let j = 0; j < lists.items.length; j++) {
    const id = dataset.movies[lists.items[j]].movieId;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Relative lift of `challenger` over `baseline` on a per-user metric, mean(challenger)/mean(baseline) − 1, with a
 * paired bootstrap interval (both resampled on the same users). Both must be evaluated on the same users.
 */
export function relativeLift(
  challenger: ModelEvaluation,
  baseline: ModelEvaluation,
  metric: PerUserMetric,
  options: Partial<EvaluationOptions> = {},
): Interval {
  const { resamples, confidence, seed } = { ...DEFAULT_EVALUATION, ...options };
  if (challenger.nUsers !== baseline.nUsers) throw new RangeError("evaluations cover different users");
  const samples = bootstrapSamples(challenger.nUsers, resamples, new Random(seed + 1));
  const a = challenger.perUser[metric];
  const b = baseline.perUser[metric];
  return percentileInterval(
    challenger.nUsers,
    (idx) => meanAt(a, idx) / meanAt(b, idx) - 1,
    samples,
    confidence,
  );
}
