/**
 * The users a trained model knows: those with at least one rating before the cutoff. Everyone else (new users,
 * users whose first rating is in the test period) is unknown and gets the popularity fallback.
 */
import type { PreparedDataset } from "../data/types";
import { userItems, type UserItems } from "./interactions";

export interface KnownUsers {
  /** Dataset user indices of the known users, ascending; row r of a model is dataset user `userIndex[r]`. */
  userIndex: Int32Array;
  /** MovieLens ids of the known users, same order. */
  userIds: Int32Array;
  /** Movies each known user rated before the cutoff (any rating), by model row. */
  seen: UserItems;
}

/** Known users of `dataset.train` and the movies each has seen. */
export function knownUsers(dataset: PreparedDataset): KnownUsers {
  const nUsers = dataset.userIds.length;
  const all = userItems(dataset.train, nUsers);
  const rows: number[] = [];
  for (let u = 0; u < nUsers; u++) if (all.offsets[u + 1] > all.offsets[u]) rows.push(u);
  const userIndex = Int32Array.from(rows);
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((u, r) => (offsets[r + 1] = offsets[r] + all.offsets[u + 1] - all.offsets[u]));
  const items = new Int32Array(offsets[rows.length]);
  rows.forEach((u, r) => items.set(all.items.subarray(all.offsets[u], all.offsets[u + 1]), offsets[r]));
  return {
    userIndex,
    userIds: Int32Array.from(rows, (u) => dataset.userIds[u]),
    seen: { nUsers: rows.length, offsets, items },
  };
}

/** MovieLens ids of the catalogue in movie-index order. */
export function catalogueMovieIds(dataset: PreparedDataset): Int32Array {
  return Int32Array.from(dataset.movies, (movie) => movie.movieId);
}
