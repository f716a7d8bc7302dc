/**
 * How the router chooses a variant for a request.
 *
 * - `random`: Seldon Core's RANDOM_ABTEST semantics: each request independently goes to child 0 (A) with
 *   probability `ratioA`, drawn from a seeded `Random`. The randomisation unit is the request (impression): one
 *   user can see both models, so analyse impressions (CTR per impression), not users.
 * - `sticky` (default): the user id is hashed with a salt to a number u in [0, 1); u < ratioA gives A. A user
 *   always sees the same model, so the unit is the user, as user-level analysis (1124 users per group) needs.
 *   The hash is SHA-256 of `${salt}:${userId}` (first 48 bits / 2^48), so assignment is reproducible from the
 *   salt and independent of arrival order. The router keeps each user's child in memory once hashed
 *   (`STICKY_CACHE_USERS`), so the hash is not recomputed on every request.
 */
import * as crypto from "node:crypto";
import { Random } from "../core/random";
import { FUNFLIX_CONTROL_SHARE } from "../stats/business-case";
import type { RoutingMode } from "./event-store";

export interface RoutingSettings {
  mode: RoutingMode;
  /** Share of traffic for child 0 (A), in [0, 1]; Seldon's `ratioA` parameter. */
  ratioA: number;
  /** Seed of the random stream (random mode) and salt of the hash (sticky mode). */
  seed: number;
}

/** The business case's split: 50/50. */
export const DEFAULT_RATIO_A = FUNFLIX_CONTROL_SHARE;

/** A function from user id to child index (0 = A, 1 = B). */
export type Router = (userId: number) => 0 | 1;

/**
 * The user's position in [0, 1) under a salted SHA-256 hash.
 *
 * @example
 * stickyUnit(42, 7) === stickyUnit(42, 7); // => true, always the same for the same salt and user
 */
export function stickyUnit(userId: number, salt: number): number {
  const digest = crypto.createHash("sha256").update(`${salt}:${userId}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** Users whose sticky child is kept in memory (ml-25m has 162,541; the cache is emptied when full). */
export const STICKY_CACHE_USERS = 1_000_000;

/** Builds the routing function for `settings`; random mode owns one seeded stream. */
export function createRouter(settings: RoutingSettings): Router {
  if (!(settings.ratioA >= 0 && settings.ratioA <= 1))
    throw new RangeError(`ratioA must be in [0, 1], got ${settings.ratioA}`);
  if (settings.mode === "sticky") {
    const children = new Map<number, 0 | 1>();
    return (userId) => {
      let child = children.get(userId);
      if (child === undefined) {
        child = stickyUnit(userId, settings.seed) < settings.ratioA ? 0 : 1;
        if (children.size >= STICKY_CACHE_USERS) children.clear();
        children.set(userId, child);
      }
      return child;
    };
  }
  const random = new Random(settings.seed);
  return () => (random.float() < settings.ratioA ? 0 : 1);
}
