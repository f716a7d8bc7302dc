/**
 * Normalised discounted cumulative gain at k with binary relevance (Järvelin & Kekäläinen 2002):
 *
 *   DCG@k  = Σ_{j < k, rec[j] ∈ relevant} 1 / log2(j + 2)        (j is the 0-based rank)
 *   IDCG@k = Σ_{j < min(k, |relevant|)} 1 / log2(j + 2)
 *   NDCG@k = DCG@k / IDCG@k, and 0 when nothing is relevant.
 *
 * @example
 * ndcgAtK([5, 7], new Set([7]), 10); // => (1 / log2 3) / 1 ≈ 0.6309
 */
export function ndcgAtK(recommended: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0 || k <= 0) return 0;
  let dcg = 0;
  for (let j = 0; j < Math.min(k, recommended.length); j++)
    if (relevant.has(recommended[j])) dcg += 1 / Math.log2(j + 2);
  let idcg = 0;
  for (let j = 0; j < Math.min(k, relevant.size); j++) idcg += 1 / Math.log2(j + 2);
  return dcg / idcg;
}
