/**
 * The analysis of an interleaving experiment's event store (routing mode "interleave": every experiment-phase
 * impression a team-draft slate of both models, ../serving/router.ts), with users as the unit: each user's
 * impressions won by each model and tied (`EventCounts.interleaving`) give the user's preference, and
 * `interleavingPreference` (../stats/interleaving) the preference over users, Delta_AB with its bootstrap interval
 * and the exact sign test, one-sided "the challenger (B) is preferred". The decision is that test at alpha.
 *
 * With a simulated population the exact truth is known (`interleavingTruth`): each user's impression outcome
 * under the click model (`expectedTeamDraftOutcome`) and the exact probability that the user prefers each model
 * over the experiment's days, weighted as ../simulation/interleaving-study.ts weights them.
 */
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import { INTERLEAVED_VARIANT, type EventCounts } from "../serving/event-store";
import { interleavingPreference, type InterleavingPreference } from "../stats/interleaving";
import type { ClickModelParameters } from "../simulation/click-model";
import {
  expectedTeamDraftOutcome,
  preferenceProbabilities,
  type InterleavingStudyUser,
  type TeamDraftOutcome,
} from "../simulation/interleaving-study";
import { armNames, type ArmNames } from "./counts";

/** The exact interleaving truths of a simulated population (../simulation/interleaving-study.ts `truth`). */
export interface InterleavingTruth {
  /** Days of experiment the per-user preference is taken over. */
  days: number;
  /** Exact outcome of one impression, users weighted by their daily visit rate r_u (expected impressions). */
  impression: TeamDraftOutcome;
  /** Delta_AB per impression: (P(A wins) - P(B wins)) / 2 with the weights above. */
  deltaABPerImpression: number;
  /**
   * Delta_AB per logged user: sum_u (P_u(A preferred) - P_u(B preferred)) / (2 sum_u P_u(visits at least once)),
   * what `interleavingPreference`'s Delta_AB estimates.
   */
  deltaABPerUser: number;
}

/**
 * The exact truth of an interleaving experiment of `days` days on `users` under the click model `parameters`
 * (the slate length is its examination vector's): the same weighting as `interleavingStudy`'s `truth`.
 *
 * @example
 * interleavingTruth([{ rate: 1, rankingA: [10], rankingB: [20], relevant: new Set([10]) }],
 *   { examination: [1], relevantClickProbability: 0.5, noiseClickProbability: 0.1 }, 1);
 * // => impression { a: 0.25, b: 0.05, tie: 0.7 }, deltaABPerImpression 0.1, deltaABPerUser 0.1
 */
export function interleavingTruth(
  users: readonly InterleavingStudyUser[],
  parameters: ClickModelParameters,
  days: number,
): InterleavingTruth {
  if (!(Number.isInteger(days) && days >= 1))
    throw new InputError(`expected an integer >= 1, got ${days}`, { field: "days" });
  const length = parameters.examination.length;
  let rateSum = 0;
  let a = 0;
  let b = 0;
  let visitedSum = 0;
  let preferenceSum = 0;
  users.forEach((user, u) => {
    if (!(user.rate >= 0 && user.rate <= 1))
      throw new InputError(`expected a probability in [0, 1], got ${user.rate}`, {
        field: `users[${u}].rate`,
      });
    const outcome = expectedTeamDraftOutcome(user.rankingA, user.rankingB, user.relevant, parameters, length);
    rateSum += user.rate;
    a += user.rate * outcome.a;
    b += user.rate * outcome.b;
    const preference = preferenceProbabilities(outcome, user.rate, days);
    visitedSum += preference.visited;
    preferenceSum += preference.a - preference.b;
  });
  if (!(rateSum > 0)) throw new InputError("expected a user with a positive visit rate", { field: "users" });
  a /= rateSum;
  b /= rateSum;
  return {
    days,
    impression: { a, b, tie: 1 - a - b },
    deltaABPerImpression: (a - b) / 2,
    deltaABPerUser: preferenceSum / (2 * visitedSum),
  };
}

export interface InterleavingAnalysisInput {
  counts: EventCounts;
  /** Default: the router's children recorded in the store (A = control = child 0). */
  names?: Partial<ArmNames>;
  /** One-sided significance level of the sign test, and 1 - the bootstrap interval's confidence. Default 0.05. */
  alpha?: number;
  /** Seed of the bootstrap over users. */
  seed: number;
  /** Default 2000. */
  bootstrapSamples?: number;
  truth?: InterleavingTruth;
  /** For error messages. */
  file?: string;
}

export interface InterleavingAnalysis {
  method: "interleaving";
  /** control = model A (team 0, the baseline), treatment = model B (the challenger). */
  names: ArmNames;
  alpha: number;
  /** Experiment-phase interleaved impressions, and those won by each model (the rest are ties: no click). */
  impressions: number;
  wins: { control: number; treatment: number };
  ties: number;
  preference: InterleavingPreference;
  /** Delta_BA = -Delta_AB: positive when the challenger is preferred (the report's reading direction). */
  deltaBA: { estimate: number; lower: number; upper: number };
  /** The sign test "challenger preferred" rejected at alpha. */
  rejectNull: boolean;
  truth: InterleavingTruth | null;
  /** Whether the bootstrap interval of Delta_AB covers the exact per-user Delta_AB (null without a truth). */
  truthCovered: boolean | null;
}

/**
 * Analyses the interleaved impressions of an event store (see the module comment).
 *
 * @example
 * const r = analyzeInterleaving({ counts: readVariantCounts("events.sqlite"), seed: 7 });
 * r.preference.signTest.pValueBBetter; // the one-sided p-value the decision is taken on
 */
export function analyzeInterleaving(input: InterleavingAnalysisInput): InterleavingAnalysis {
  const { counts } = input;
  const names = armNames(counts, input.names);
  const alpha = input.alpha ?? 0.05;
  if (counts.settings.routing_mode !== "interleave" || counts.interleaving.length === 0)
    throw new InputError(
      `expected an interleaving store (routing mode "interleave" with ${INTERLEAVED_VARIANT} impressions), got routing ` +
        `mode "${counts.settings.routing_mode}" and ${counts.interleaving.length} interleaving users`,
      { file: input.file, field: "routing_mode" },
    );
  const users = counts.interleaving.map((user) => ({
    winsA: user.wins[names.control] ?? 0,
    winsB: user.wins[names.treatment] ?? 0,
    ties: user.ties,
  }));
  const sum = (f: (u: (typeof users)[number]) => number) => users.reduce((s, u) => s + f(u), 0);
  const preference = interleavingPreference(users, {
    alpha,
    bootstrapSamples: input.bootstrapSamples,
    random: new Random(input.seed),
  });
  const truth = input.truth ?? null;
  return {
    method: "interleaving",
    names,
    alpha,
    impressions: sum((u) => u.winsA + u.winsB + u.ties),
    wins: { control: sum((u) => u.winsA), treatment: sum((u) => u.winsB) },
    ties: sum((u) => u.ties),
    preference,
    deltaBA: {
      estimate: -preference.deltaAB,
      lower: -preference.interval.upper,
      upper: -preference.interval.lower,
    },
    rejectNull: preference.signTest.pValueBBetter < alpha,
    truth,
    truthCovered:
      truth === null
        ? null
        : preference.interval.lower <= truth.deltaABPerUser &&
          truth.deltaABPerUser <= preference.interval.upper,
  };
}
