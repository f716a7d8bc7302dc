/**
 * Precision at k: the share of the first k recommendations that are relevant,
 *
 *   P@k = |rec[0..k) ∩ relevant| / k
 *
 * (denominator k even when fewer than k were recommended, so a short list is not rewarded). Empty list -> 0.
 *
 * @example
 * precisionAtK([1, 2, 3], new Set([2, 9]), 2); // => 0.5
 */
export function precisionAtK(
  recommended: readonly number[],
  relevant: ReadonlySet<number>,
  k: number,
): number {
  if (k <= 0) return 0;
  let hits = 0;
  for (let j = 0; j < Math.min(k, recommended.length); j++) if (relevant.has(recommended[j])) hits++;
  return hits / k;
}
