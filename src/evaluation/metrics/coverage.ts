/**
 * Catalogue coverage: the share of the catalogue that appears in at least one user's top-k list,
 *
 *   coverage = |∪_u rec_u[0..k)| / catalogueSize
 *
 * @example
 * catalogueCoverage([[1, 2], [2, 3]], 2, 10); // => 0.3
 */
export function catalogueCoverage(
  lists: readonly (readonly number[])[],
  k: number,
  catalogueSize: number,
): number {
  if (catalogueSize <= 0) throw new RangeError(`catalogueSize must be positive, got ${catalogueSize}`);
  const seen = new Set<number>();
  for (const list of lists) for (let j = 0; j < Math.min(k, list.length); j++) seen.add(list[j]);
  return seen.size / catalogueSize;
}
