/**
 * Hit rate at k for one user: 1 when at least one of the first k recommendations is relevant, else 0. Its mean
 * over users is HR@k.
 *
 * @example
 * hitRateAtK([1, 2, 3], new Set([3]), 2); // => 0
 */
export function hitRateAtK(recommended: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  for (let j = 0; j < Math.min(k, recommended.length); j++) if (relevant.has(recommended[j])) return 1;
  return 0;
}
