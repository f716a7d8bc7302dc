/**
 * Per-user item lists in compressed sparse row (CSR) form, built once from interaction columns: the items a user
 * rated (to exclude them from recommendations) or liked (positives, for training and evaluation). CSR keeps 25M
 * interactions in two typed arrays instead of millions of small JavaScript arrays.
 */
import type { InteractionColumns } from "../data/types";

/** Items of user u are `items[offsets[u] .. offsets[u + 1])`, sorted ascending and without duplicates. */
export interface UserItems {
  nUsers: number;
  offsets: Int32Array;
  items: Int32Array;
}

/**
 * Groups the interactions that pass `keep` by user (counting sort, O(n + nUsers)), then sorts and de-duplicates
 * each user's items.
 *
 * @example
 * userItems(columns, 610, (row) => columns.rating[row] >= 4); // the positives of each user
 */
export function userItems(
  columns: InteractionColumns,
  nUsers: number,
  keep: (row: number) => boolean = () => true,
): UserItems {
  const counts = new Int32Array(nUsers + 1);
  for (let row = 0; row < columns.length; row++) if (keep(row)) counts[columns.userIndex[row] + 1]++;
  for (let u = 0; u < nUsers; u++) counts[u + 1] += counts[u];
  const cursor = counts.slice(0, nUsers);
  const raw = new Int32Array(counts[nUsers]);
  for (let row = 0; row < columns.length; row++)
    if (keep(row)) raw[cursor[columns.userIndex[row]]++] = columns.movieIndex[row];
  // Sort and de-duplicate each user's slice, compacting in place.
  const offsets = new Int32Array(nUsers + 1);
  let write = 0;
  for (let u = 0; u < nUsers; u++) {
    const slice = raw.subarray(counts[u], counts[u + 1]).sort();
    offsets[u] = write;
    for (let j = 0; j < slice.length; j++) if (j === 0 || slice[j] !== slice[j - 1]) raw[write++] = slice[j];
  }
  offsets[nUsers] = write;
  return { nUsers, offsets, items: raw.slice(0, write) };
}

/** The items of user `u` (a view, not a copy). */
export function itemsOf(lists: UserItems, u: number): Int32Array {
  return lists.items.subarray(lists.offsets[u], lists.offsets[u + 1]);
}

/** Rows of `columns` whose rating is at least `threshold` (the positive implicit feedback). */
export function positiveRows(columns: InteractionColumns, threshold: number): (row: number) => boolean {
  return (row) => columns.rating[row] >= threshold;
}
