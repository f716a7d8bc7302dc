/**
 * Novelty of a list: the mean self-information of its first k items (Zhou et al., PNAS 2010),
 *
 *   novelty = (1 / n) Σ_{j < n} −log2 p(rec[j]),  n = min(k, |rec|)
 *
 * where p(i) is the share of users who rated i before the cutoff, smoothed as p(i) = (users(i) + 1) / (nUsers + 1)
 * so never-rated items stay finite. Higher means less mainstream. Empty list -> 0.
 *
 * @example
 * const p = itemPopularityShares(new Map([[7, 3]]), 3); // p(7) = 4/4 = 1, any other item 1/4
 * novelty([7, 8], p, 10); // => (0 + 2) / 2 = 1
 */
export function novelty(recommended: readonly number[], share: (item: number) => number, k: number): number {
  const n = Math.min(k, recommended.length);
  if (n === 0) return 0;
  let sum = 0;
  for (let j = 0; j < n; j++) sum -= Math.log2(share(recommended[j]));
  return sum / n;
}

/** p(i) = (users(i) + 1) / (nUsers + 1), from a map of item -> number of users who rated it. */
export function itemPopularityShares(
  usersPerItem: ReadonlyMap<number, number>,
  nUsers: number,
): (item: number) => number {
  return (item) => ((usersPerItem.get(item) ?? 0) + 1) / (nUsers + 1);
}
