/**
 * The scoring side of both recommenders, with no TensorFlow.js: a score per (user, movie) of
 *
 *   score(u, i) = itemBias[i] + dot(userFactors[u], itemFactors[i])
 *
 * evaluated as one tight Float32Array loop over the catalogue with a running top-k. The popularity baseline is
 * the special case `dim = 0` (the bias is the popularity score); the challenger's learned embeddings, side-feature
 * contributions included, are folded into `itemFactors` and `itemBias` at export time.
 */
import type { Recommendation, Recommender } from "./recommender";
import { TopK } from "./top-k";
import { itemsOf, type UserItems } from "./interactions";

/** Everything a factor recommender needs; this is exactly what an artifact folder stores. */
export interface FactorModelParts {
  name: string;
  version: string;
  /** Embedding width; 0 for a pure item-score model (the popularity baseline). */
  dim: number;
  /** MovieLens user ids of the users the model knows (row order of `userFactors` and `seen`). */
  userIds: Int32Array;
  /** MovieLens movie ids of the catalogue (row order of `itemFactors`, `itemBias`, `fallbackScores`). */
  movieIds: Int32Array;
  /** nUsers * dim, row-major. */
  userFactors: Float32Array;
  /** nMovies * dim, row-major. */
  itemFactors: Float32Array;
  /** nMovies. */
  itemBias: Float32Array;
  /** Scores of the fallback list for unknown users: the popularity of positives before the cutoff. */
  fallbackScores: Float32Array;
  /** Catalogue indices each known user rated before the cutoff (never recommended to them again). */
  seen: UserItems;
}

export class FactorRecommender implements Recommender {
  readonly name: string;
  readonly version: string;
  private readonly userRow = new Map<number, number>();
  /** Per-catalogue-item flag reused across calls to skip seen movies without allocating. */
  private readonly excluded: Uint8Array;
  private readonly fallbackCache = new Map<number, Recommendation>();
  /** Item factors widened to float64 once, so the scoring loop does no float32 -> float64 conversions. */
  private readonly itemFactors64: Float64Array;

  constructor(readonly parts: FactorModelParts) {
    const { dim, userIds, movieIds, userFactors, itemFactors, itemBias, fallbackScores, seen } = parts;
    const nUsers = userIds.length;
    const nMovies = movieIds.length;
    if (userFactors.length !== nUsers * dim)
      throw new RangeError(`userFactors must have ${nUsers * dim} values`);
    if (itemFactors.length !== nMovies * dim)
      throw new RangeError(`itemFactors must have ${nMovies * dim} values`);
    if (itemBias.length !== nMovies || fallbackScores.length !== nMovies)
      throw new RangeError(`itemBias and fallbackScores must have ${nMovies} values`);
    if (seen.nUsers !== nUsers) throw new RangeError(`seen must list ${nUsers} users`);
    this.name = parts.name;
    this.version = parts.version;
    userIds.forEach((id, row) => this.userRow.set(id, row));
    this.excluded = new Uint8Array(nMovies);
    this.itemFactors64 = Float64Array.from(itemFactors);
  }

  /** True when the model knows `userId` (it had ratings before the cutoff). */
  knows(userId: number): boolean {
    return this.userRow.has(userId);
  }

  recommend(userId: number, k: number): Recommendation {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    const row = this.userRow.get(userId);
    if (row === undefined) return this.fallback(k);
    const { dim, userFactors, itemBias, movieIds, seen } = this.parts;
    const itemFactors = this.itemFactors64;
    const seenItems = itemsOf(seen, row);
    for (let j = 0; j < seenItems.length; j++) this.excluded[seenItems[j]] = 1;
    const heap = new TopK(k);
    const excluded = this.excluded;
    const nMovies = movieIds.length;
    if (dim === 0) {
      for (let i = 0; i < nMovies; i++) if (excluded[i] === 0) heap.push(i, itemBias[i]);
    } else {
      const u = Float64Array.from(userFactors.subarray(row * dim, row * dim + dim));
      let threshold = -Infinity;
      // Four independent accumulators (dims in steps of 4, then the remainder) let the CPU overlap the
      // multiply-adds; this loop is the whole cost of serving a request.
      const dim4 = dim - (dim % 4);
      for (let i = 0, base = 0; i < nMovies; i++, base += dim) {
        if (excluded[i] !== 0) continue;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let f = 0;
        for (; f < dim4; f += 4) {
          s0 += u[f] * itemFactors[base + f];
          s1 += u[f + 1] * itemFactors[base + f + 1];
          s2 += u[f + 2] * itemFactors[base + f + 2];
          s3 += u[f + 3] * itemFactors[base + f + 3];
        }
        for (; f < dim; f++) s0 += u[f] * itemFactors[base + f];
        const score = itemBias[i] + (s0 + s1 + (s2 + s3));
        // Scores are accumulated in float64; only a candidate that beats the current k-th score is pushed.
        if (score > threshold) {
          heap.push(i, score);
          threshold = heap.threshold();
        }
      }
    }
    for (let j = 0; j < seenItems.length; j++) this.excluded[seenItems[j]] = 0;
    const top = heap.result();
    return { movieIds: top.items.map((i) => movieIds[i]), scores: top.scores, fallback: false };
  }

  recommendBatch(userIds: readonly number[], k: number): Recommendation[] {
    return userIds.map((userId) => this.recommend(userId, k));
  }

  /** The documented fallback for unknown users: the most popular movies before the cutoff. */
  private fallback(k: number): Recommendation {
    let cached = this.fallbackCache.get(k);
    if (!cached) {
      const heap = new TopK(k);
      const { fallbackScores, movieIds } = this.parts;
      for (let i = 0; i < fallbackScores.length; i++) heap.push(i, fallbackScores[i]);
      const top = heap.result();
      cached = { movieIds: top.items.map((i) => movieIds[i]), scores: top.scores, fallback: true };
      this.fallbackCache.set(k, cached);
    }
    return { movieIds: [...cached.movieIds], scores: [...cached.scores], fallback: true };
  }
}
