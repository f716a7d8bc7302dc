/**
 * Top-k selection over a whole catalogue without sorting it: a size-k min-heap keeps the best k seen so far, so
 * one pass over n items costs O(n log k). Shared by every recommender's scoring loop.
 */

/** A reusable top-k accumulator (allocate once per recommender, reuse per request). */
export class TopK {
  private readonly heapItems: Int32Array;
  private readonly heapScores: Float64Array;
  private size = 0;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    this.heapItems = new Int32Array(k);
    this.heapScores = new Float64Array(k);
  }

  reset(): void {
    this.size = 0;
  }

  /** The score an item must beat to enter (−Infinity while fewer than k are held). */
  threshold(): number {
    return this.size < this.k ? -Infinity : this.heapScores[0];
  }

  /**
   * Offers an item. Ties keep the earlier-offered item (lower index when offered in order), so results are
   * deterministic.
   */
  push(item: number, score: number): void {
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.less(score, item, this.heapScores[parent], this.heapItems[parent])) break;
        this.heapItems[i] = this.heapItems[parent];
        this.heapScores[i] = this.heapScores[parent];
        i = parent;
      }
      this.heapItems[i] = item;
      this.heapScores[i] = score;
    } else if (this.k > 0 && score > this.heapScores[0]) {
      this.siftDownFromRoot(item, score);
    }
  }

  /** The held items, best first, with their scores. */
  result(): { items: number[]; scores: number[] } {
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) =>
      this.less(this.heapScores[a], this.heapItems[a], this.heapScores[b], this.heapItems[b]) ? 1 : -1,
    );
    return {
      items: order.map((i) => this.heapItems[i]),
      scores: order.map((i) => this.heapScores[i]),
    };
  }

  /** Heap order: a is "worse" than b (lower score, or equal score and higher item index). */
  private less(scoreA: number, itemA: number, scoreB: number, itemB: number): boolean {
    return scoreA < scoreB || (scoreA === scoreB && itemA > itemB);
  }

  private siftDownFromRoot(item: number, score: number): void {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      let child = left;
      if (
        right < this.size &&
        this.less(this.heapScores[right], this.heapItems[right], this.heapScores[left], this.heapItems[left])
      )
        child = right;
      if (!this.less(this.heapScores[child], this.heapItems[child], score, item)) break;
      this.heapItems[i] = this.heapItems[child];
      this.heapScores[i] = this.heapScores[child];
      i = child;
    }
    this.heapItems[i] = item;
    this.heapScores[i] = score;
  }
}

/**
 * The k highest-scoring indices of `scores`, best first, skipping indices in `excluded`.
 *
 * @example
 * topK(new Float32Array([0.1, 0.9, 0.5]), 2, new Set([1])); // => { items: [2, 0], scores: [0.5, 0.1] }
 */
export function topK(
  scores: ArrayLike<number>,
  k: number,
  excluded: ReadonlySet<number> = new Set(),
): { items: number[]; scores: number[] } {
  const heap = new TopK(k);
  for (let i = 0; i < scores.length; i++) if (!excluded.has(i)) heap.push(i, scores[i]);
  return heap.result();
}
