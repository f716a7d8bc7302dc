/**
 * Average precision at k (the per-user term of MAP@k):
 *
 *   AP@k = (1 / min(k, |relevant|)) Σ_{j < k, rec[j] ∈ relevant} P@(j + 1)
 *
 * where P@(j+1) is the precision of the first j+1 recommendations. 0 when nothing is relevant. MAP@k is its mean
 * over users.
 *
 * @example
 * averagePrecisionAtK([1, 2, 3], new Set([1, 3]), 3); // => (1/1 + 2/3) / 2 ≈ 0.8333
 */
export function averagePrecisionAtK(
  recommended: readonly number[],
  relevant: ReadonlySet<number>,
  k: number,
): number {
  if (relevant.size === 0 || k <= 0) return 0;
  let hits = 0;
  let sum = 0;
  for (let j = 0; j < Math.min(k, recommended.length); j++)
    if (relevant.has(recommended[j])) {
      hits++;
      sum += hits / (j + 1);
    }
  return sum / Math.min(k, relevant.size);
}
