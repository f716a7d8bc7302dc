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
 * - `thompson`, `epsilon-greedy`: Seldon Core's ThompsonSampling and EpsilonGreedy routers
 *   (../stats/bandits.ts): each request goes to the child the policy picks from each model's experiment-phase
 *   feedbacks (pulls, counted on feedback as Seldon does) and clicks (rewards) so far, which the router keeps
 *   (`RouterService.banditArms`). The
 *   unit is the request, and the allocation adapts: read the data with the stored propensities, not a fixed-n test.
 * - `interleave`: no child is chosen; the router merges both models' lists (router.ts), so `createRoutingPolicy`
 *   refuses it.
 *
 * Every choice comes with its propensity, the probability the policy had of making it, stored with the
 * impression for inverse-propensity analyses.
 */
import * as crypto from "node:crypto";
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import { FUNFLIX_CONTROL_SHARE } from "../stats/business-case";
import {
  type BanditArm,
  SELDON_DEFAULT_EPSILON,
  epsilonGreedyChoice,
  epsilonGreedySelectionProbability,
  thompsonSamplingChoice,
  thompsonSelectionProbability,
} from "../stats/bandits";
import type { RoutingMode } from "./event-store";

export interface RoutingSettings {
  mode: RoutingMode;
  /** Share of traffic for child 0 (A), in [0, 1]; Seldon's `ratioA` parameter (sticky and random modes). */
  ratioA: number;
  /** Seed of the random stream (random, bandit and interleave modes) and salt of the hash (sticky mode). */
  seed: number;
  /** Exploration probability of epsilon-greedy, in [0, 1]; default Seldon's 0.1 (`SELDON_DEFAULT_EPSILON`). */
  epsilon?: number;
}

/** The business case's split: 50/50. */
export const DEFAULT_RATIO_A = FUNFLIX_CONTROL_SHARE;

/** Routing modes whose policy learns from the feedback (the router keeps each model's pulls and rewards). */
export const BANDIT_MODES: readonly RoutingMode[] = ["thompson", "epsilon-greedy"];

/** One routing decision: the child (0 = A, 1 = B) and the probability the policy had of choosing it. */
export interface RoutingChoice {
  child: 0 | 1;
  propensity: number;
  /** The policy's probability of each child in the state it chose from (sums to 1). */
  probabilities: readonly [number, number];
}

/** Each child's experiment-phase feedback so far: child 0 (A) then child 1 (B). */
export type ChildArms = readonly [BanditArm, BanditArm];

export interface RoutingPolicy {
  /** Chooses a child for a request of `userId`, in state `arms` (draws from the policy's stream). */
  choose(userId: number, arms: ChildArms): RoutingChoice;
  /** The probability of each child in state `arms`, without drawing (sticky and random: the split). */
  probabilities(arms: ChildArms): readonly [number, number];
}

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

/**
 * Builds the routing policy for `settings` (every mode but interleave, which chooses no child). Random and the
 * bandit modes own one seeded stream. Sticky and random ignore the arms; their propensity is ratioA for child 0
 * and 1 - ratioA for child 1. Thompson sampling's probabilities cost an integration (about 3 ms), so the last
 * state's are kept: requests that arrive between two stored impressions share them.
 *
 * @example
 * const policy = createRoutingPolicy({ mode: "epsilon-greedy", ratioA: 0.5, seed: 1, epsilon: 0.1 });
 * policy.choose(42, [{ pulls: 100, rewards: 5 }, { pulls: 100, rewards: 9 }]);
 * // => { child: 1, propensity: 0.9, probabilities: [0.1, 0.9] } nine times in ten
 */
export function createRoutingPolicy(settings: RoutingSettings): RoutingPolicy {
  if (!(settings.ratioA >= 0 && settings.ratioA <= 1))
    throw new RangeError(`ratioA must be in [0, 1], got ${settings.ratioA}`);
  const split = [settings.ratioA, 1 - settings.ratioA] as const;
  const fixed = (child: 0 | 1): RoutingChoice => ({ child, propensity: split[child], probabilities: split });
  const random = new Random(settings.seed);
  switch (settings.mode) {
    case "sticky": {
      const children = new Map<number, 0 | 1>();
      return {
        choose: (userId) => {
          let child = children.get(userId);
          if (child === undefined) {
            child = stickyUnit(userId, settings.seed) < settings.ratioA ? 0 : 1;
            if (children.size >= STICKY_CACHE_USERS) children.clear();
            children.set(userId, child);
          }
          return fixed(child);
        },
        probabilities: () => split,
      };
    }
    case "random":
      return { choose: () => fixed(random.float() < settings.ratioA ? 0 : 1), probabilities: () => split };
    case "thompson": {
      let lastState = "";
      let lastProbabilities: readonly [number, number] = [0.5, 0.5];
      const probabilities = (arms: ChildArms): readonly [number, number] => {
        const state = arms.map((arm) => `${arm.pulls}:${arm.rewards}`).join(",");
        if (state !== lastState) {
          const [p0, p1] = thompsonSelectionProbability(arms);
          lastProbabilities = [p0, p1];
          lastState = state;
        }
        return lastProbabilities;
      };
      return {
        choose: (_userId, arms) => {
          const now = probabilities(arms);
          const child = thompsonSamplingChoice(arms, random) as 0 | 1;
          return { child, propensity: now[child], probabilities: now };
        },
        probabilities,
      };
    }
    case "epsilon-greedy": {
      const epsilon = settings.epsilon ?? SELDON_DEFAULT_EPSILON;
      if (!(epsilon >= 0 && epsilon <= 1))
        throw new InputError(`expected an exploration probability in [0, 1], got ${epsilon}`, {
          field: "epsilon",
        });
      const probabilities = (arms: ChildArms): readonly [number, number] => {
        const [p0, p1] = epsilonGreedySelectionProbability(arms, epsilon);
        return [p0, p1];
      };
      return {
        choose: (_userId, arms) => {
          const now = probabilities(arms);
          const child = epsilonGreedyChoice(arms, epsilon, random) as 0 | 1;
          return { child, propensity: now[child], probabilities: now };
        },
        probabilities,
      };
    }
    case "interleave":
      throw new InputError("interleave routes every request to both children: no routing policy", {
        field: "routing",
      });
  }
}
