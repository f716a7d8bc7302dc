/**
 * Recall at k: the share of the relevant items found in the first k recommendations,
 *
 *   R@k = |rec[0..k) ∩ relevant| / |relevant|
 *
 * 0 when there is nothing relevant or nothing recommended.
 *
 * @example
 * recallAtK([1, 2, 3], new Set([2, 9]), 3); // => 0.5
 */
export function recallAtK(recommended: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  for (let j = 0; j < Math.min(k, recommended.length); j++) if (relevant.has(recommended[j])) hits++;
  return hits / relevant.size;
}
