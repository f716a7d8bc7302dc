/**
 * The scoring side of both recommenders, with no TensorFlow.js: a score per (user, movie) of
 *
 *   score(u, i) = itemBias[i] + dot(userFactors[u], itemFactors[i])
 *
 * evaluated for the whole catalogue by a WebAssembly SIMD kernel over the Float32Array factors (`ScoringKernel`),
 * then one pass keeps the top k. The popularity baseline is the special case `dim = 0` (the bias is the popularity
 * score, the same for every user): its ranking is sorted once and each request walks it past the user's seen
 * movies. The challenger's learned embeddings, side-feature contributions included, are folded into `itemFactors`
 * and `itemBias` at export time.
 */
import type { Recommendation, Recommender } from "./recommender";
import { ScoringKernel } from "./scoring-kernel";
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
  /** dim = 0: per-catalogue-item flag reused across calls to skip seen movies without allocating. */
  private readonly excluded: Uint8Array;
  private readonly fallbackCache = new Map<number, Recommendation>();
  /** dim > 0: the catalogue scorer. */
  private readonly kernel: ScoringKernel | null;
  /** dim = 0: catalogue indices by descending item score, ties by lower index (TopK's order). */
  private readonly byScore: Int32Array | null;

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
    this.kernel = dim > 0 ? new ScoringKernel(itemFactors, itemBias, dim) : null;
    this.byScore =
      dim > 0 ? null : Int32Array.from(movieIds.keys()).sort((a, b) => itemBias[b] - itemBias[a] || a - b);
  }

  /** True when the model knows `userId` (it had ratings before the cutoff). */
  knows(userId: number): boolean {
    return this.userRow.has(userId);
  }

  recommend(userId: number, k: number): Recommendation {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    const row = this.userRow.get(userId);
    if (row === undefined) return this.fallback(k);
    const seenItems = itemsOf(this.parts.seen, row);
    const top =
      this.kernel === null ? this.walkRanking(seenItems, k) : this.scoreCatalogue(row, seenItems, k);
    return { movieIds: top.items.map((i) => this.parts.movieIds[i]), scores: top.scores, fallback: false };
  }

  /** dim > 0: score every movie with the kernel, then keep the best k the user has not seen. */
  private scoreCatalogue(
    row: number,
    seenItems: Int32Array,
    k: number,
  ): { items: number[]; scores: number[] } {
    const { dim, userFactors } = this.parts;
    const kernel = this.kernel!;
    const heap = new TopK(k);
    if (k === 0) return heap.result();
    const scores = kernel.score(userFactors.subarray(row * dim, row * dim + dim));
    for (let j = 0; j < seenItems.length; j++) scores[seenItems[j]] = -Infinity;
    // Only a score that beats the current k-th one reaches the heap (ties keep the lower index).
    for (let i = kernel.firstAbove(0, -Infinity); i < scores.length;) {
      heap.push(i, scores[i]);
      i = kernel.firstAbove(i + 1, heap.threshold());
    }
    return heap.result();
  }

  /** dim = 0: the first k movies of the fixed ranking that the user has not seen. */
  private walkRanking(seenItems: Int32Array, k: number): { items: number[]; scores: number[] } {
    const { excluded } = this;
    const order = this.byScore!;
    for (let j = 0; j < seenItems.length; j++) excluded[seenItems[j]] = 1;
    const items: number[] = [];
    for (let j = 0; j < order.length && items.length < k; j++)
      if (excluded[order[j]] === 0) items.push(order[j]);
    for (let j = 0; j < seenItems.length; j++) excluded[seenItems[j]] = 0;
    return { items, scores: items.map((i) => this.parts.itemBias[i]) };
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
