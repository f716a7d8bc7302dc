/**
 * Team-draft interleaving (Radlinski, Kurup & Joachims 2008, "How does clickthrough data reflect retrieval
 * quality?", CIKM) and its analysis with users as the unit: every impression shows one slate merged
 * from the two models' rankings, each movie credited to the model ("team") that contributed it, and a click
 * credits its team. Per user the model with more credited clicks over the user's impressions is the one the user
 * prefers; the preference over users is Chapelle, Joachims, Radlinski & Yue's Delta_AB (2012, "Large-scale
 * validation and analysis of interleaved search evaluation", ACM TOIS 30(1), where the unit is the query), tested with an exact binomial sign test over the users who preferred one side.
 *
 * Team 0 is model A (the baseline), team 1 is model B (the challenger).
 */
import { InputError } from "../core/errors";
import type { Random } from "../core/random";
import { bootstrapSamples, percentileInterval } from "../evaluation/bootstrap";
import { logChoose } from "./distributions";
import { requireOpenUnit } from "./summary";

/** 0: model A (baseline) contributed the movie; 1: model B (challenger). */
export type Team = 0 | 1;

/** One interleaved slate: `teams[i]` is the team that contributed `movieIds[i]`. */
export interface TeamDraftSlate {
  readonly movieIds: number[];
  readonly teams: Team[];
}

/**
 * Uniforms one `teamDraftInterleave` call consumes, whatever the rankings: ceil(length / 2), one coin per round
 * of two picks. A coin is only needed when both teams have the same number of picks, which happens before pick
 * 0, 2, 4, ... (the round index is then the picks each team has), so round r < ceil(length / 2) reads coin r; all
 * coins are drawn up front even when some round needs none (one ranking exhausted), so request number i of a
 * seeded stream always sees the same coins.
 *
 * @example
 * teamDraftCoinsPerCall(10); // => 5
 * teamDraftCoinsPerCall(3);  // => 2
 */
export function teamDraftCoinsPerCall(length: number): number {
  requireSlateLength(length);
  return Math.ceil(length / 2);
}

function requireSlateLength(length: number): void {
  if (!(Number.isInteger(length) && length >= 1))
    throw new InputError(`expected a positive integer slate length, got ${length}`, { field: "length" });
}

/**
 * Team-draft interleaving with the coins given: `coins[r] < 0.5` means model A picks first in round r (see
 * `teamDraftCoinsPerCall`); needs at least ceil(length / 2) coins. Used directly to enumerate the coin outcomes
 * exactly (pass 0.25 / 0.75), otherwise through `teamDraftInterleave`.
 *
 * The picking rule is mpkato/interleaving's `TeamDraft` (interleaving/team_draft.py, `_sample` and
 * `_select_team`): at each pick the team with fewer picks so far picks, a coin deciding when they have as many;
 * the picking team adds its highest-ranked movie not yet in the slate; a team whose ranking has no such movie
 * left is out, and the other goes on alone. It stops at `length` movies or when both rankings are exhausted.
 * Radlinski et al.'s loop stops as soon as either ranking is exhausted; the two agree whenever both rankings
 * have at least `length` movies (then neither runs out before the slate is full), as the top-10 slates here do.
 *
 * @example
 * teamDraftInterleaveWithCoins([1, 2], [3, 4], 3, [0.25, 0.75]);
 * // => { movieIds: [1, 3, 4], teams: [0, 1, 1] }  (round 0: A first; round 1: B first)
 */
export function teamDraftInterleaveWithCoins(
  rankingA: readonly number[],
  rankingB: readonly number[],
  length: number,
  coins: ArrayLike<number>,
): TeamDraftSlate {
  const needed = teamDraftCoinsPerCall(length);
  if (coins.length < needed)
    throw new InputError(`expected at least ${needed} coins for a slate of ${length}, got ${coins.length}`, {
      field: "coins",
    });
  const movieIds: number[] = [];
  const teams: Team[] = [];
  const shown = new Set<number>();
  const rankings = [rankingA, rankingB] as const;
  const next = [0, 0]; // index of each ranking's highest-ranked movie not yet shown (rankings only lose movies)
  const picks = [0, 0];
  const available = (team: Team): boolean => {
    const ranking = rankings[team];
    while (next[team] < ranking.length && shown.has(ranking[next[team]])) next[team]++;
    return next[team] < ranking.length;
  };
  while (movieIds.length < length) {
    const aLeft = available(0);
    const bLeft = available(1);
    if (!aLeft && !bLeft) break;
    let team: Team;
    if (!bLeft) team = 0;
    else if (!aLeft) team = 1;
    else if (picks[0] !== picks[1]) team = picks[0] < picks[1] ? 0 : 1;
    else team = coins[picks[0]] < 0.5 ? 0 : 1;
    const movieId = rankings[team][next[team]];
    shown.add(movieId);
    movieIds.push(movieId);
    teams.push(team);
    picks[team]++;
  }
  return { movieIds, teams };
}

/**
 * Team-draft interleaving of two rankings (movie ids, best first) into a slate of at most `length` movies, the
 * coins drawn from `random`: exactly `teamDraftCoinsPerCall(length)` = ceil(length / 2) `random.float()` calls
 * per call, whatever the rankings. See `teamDraftInterleaveWithCoins` for the picking rule.
 *
 * @example
 * teamDraftInterleave([1, 2], [3, 4], 3, new Random(7));
 * // => one of [1, 3, 2], [1, 3, 4], [3, 1, 2], [3, 1, 4] (each with probability 1/4), teams to match
 */
export function teamDraftInterleave(
  rankingA: readonly number[],
  rankingB: readonly number[],
  length: number,
  random: Random,
): TeamDraftSlate {
  const coins = Array.from({ length: teamDraftCoinsPerCall(length) }, () => random.float());
  return teamDraftInterleaveWithCoins(rankingA, rankingB, length, coins);
}

/** The credit of one impression: clicks on each team's movies, and the team with more (or a tie). */
export interface TeamDraftCredit {
  readonly a: number;
  readonly b: number;
  readonly winner: Team | "tie";
}

/**
 * Credits the clicks of one interleaved impression (mpkato/interleaving `TeamDraft.evaluate`, Radlinski et al.
 * 2008): each clicked position counts for the team that contributed its movie; the team with more clicks wins,
 * equal counts (no click included) are a tie. `clickedPositions` are 0-based positions in the slate, each at most
 * once.
 *
 * @example
 * teamDraftCredit([0, 1, 1], [0, 1, 2]); // => { a: 1, b: 2, winner: 1 }
 * teamDraftCredit([0, 1, 1], [0, 1]);    // => { a: 1, b: 1, winner: "tie" }
 */
export function teamDraftCredit(
  teams: readonly Team[],
  clickedPositions: readonly number[],
): TeamDraftCredit {
  const seen = new Set<number>();
  let a = 0;
  let b = 0;
  for (const position of clickedPositions) {
    if (!(Number.isInteger(position) && position >= 0 && position < teams.length))
      throw new InputError(`expected a slate position in 0..${teams.length - 1}, got ${position}`, {
        field: "clickedPositions",
      });
    if (seen.has(position))
      throw new InputError(`position ${position} is clicked twice`, { field: "clickedPositions" });
    seen.add(position);
    if (teams[position] === 0) a++;
    else b++;
  }
  return { a, b, winner: a > b ? 0 : b > a ? 1 : "tie" };
}

/** Exact binomial test p-values (R's `binom.test`). */
export interface BinomialTest {
  readonly successes: number;
  readonly trials: number;
  readonly probability: number;
  /** R's two-sided p: the total probability of outcomes no more likely than the observed one. */
  readonly pValueTwoSided: number;
  /** P(X >= successes): alternative "greater" */
  readonly pValueGreater: number;
  /** P(X <= successes): alternative "less" */
  readonly pValueLess: number;
}

/**
 * The exact binomial test of `successes` in `trials` against success probability `probability`, as R's
 * `binom.test` (stats package): one-sided p-values are the binomial tails; the two-sided p sums the
 * probabilities d(i) of all outcomes with d(i) <= d(successes) (1 + 1e-7), R's relative tolerance for ties in
 * d. With 0 trials every p-value is 1 (there is no evidence either way).
 *
 * @example
 * exactBinomialTest(7, 20).pValueTwoSided;           // => 0.2631760 (R: binom.test(7, 20), p-value = 0.2632)
 * exactBinomialTest(682, 925, 0.75).pValueTwoSided;  // => 0.3824916 (R's ?binom.test example: p-value = 0.3825)
 */
export function exactBinomialTest(successes: number, trials: number, probability = 0.5): BinomialTest {
  if (!(Number.isInteger(trials) && trials >= 0))
    throw new InputError(`expected a non-negative integer number of trials, got ${trials}`, {
      field: "trials",
    });
  if (!(Number.isInteger(successes) && successes >= 0 && successes <= trials))
    throw new InputError(`expected an integer number of successes in 0..${trials}, got ${successes}`, {
      field: "successes",
    });
  requireOpenUnit(probability, "probability");
  const logP = Math.log(probability);
  const logQ = Math.log1p(-probability);
  const pmf = Float64Array.from({ length: trials + 1 }, (_, i) =>
    Math.exp(logChoose(trials, i) + i * logP + (trials - i) * logQ),
  );
  const observed = pmf[successes] * (1 + 1e-7);
  let twoSided = 0;
  let greater = 0;
  let less = 0;
  pmf.forEach((d, i) => {
    if (d <= observed) twoSided += d;
    if (i >= successes) greater += d;
    if (i <= successes) less += d;
  });
  return {
    successes,
    trials,
    probability,
    pValueTwoSided: Math.min(1, twoSided),
    pValueGreater: Math.min(1, greater),
    pValueLess: Math.min(1, less),
  };
}

/** One user's impressions in an interleaving experiment, by the team that won each. */
export interface InterleavingUser {
  readonly winsA: number;
  readonly winsB: number;
  readonly ties: number;
}

export interface InterleavingPreferenceOptions {
  /** Significance level; the bootstrap interval has confidence 1 - alpha. Default 0.05. */
  readonly alpha?: number;
  /** Bootstrap resamples of the users. Default 2000. */
  readonly bootstrapSamples?: number;
  /** Draws the bootstrap resamples. */
  readonly random: Random;
}

export interface InterleavingPreference {
  readonly users: number;
  /** Users with winsA > winsB. */
  readonly prefersA: number;
  /** Users with winsB > winsA. */
  readonly prefersB: number;
  /** Users with winsA = winsB (no click on either team counts here). */
  readonly ties: number;
  /** Delta_AB = (prefersA + ties / 2) / users - 1/2, in [-1/2, 1/2]; positive: A preferred. */
  readonly deltaAB: number;
  /** Percentile bootstrap interval of Delta_AB over users (confidence 1 - alpha). */
  readonly interval: { readonly lower: number; readonly upper: number };
  readonly alpha: number;
  /** Exact binomial sign test of prefersB in prefersA + prefersB against 1/2. */
  readonly signTest: {
    readonly trials: number;
    readonly pValueTwoSided: number;
    /** One-sided, alternative "B (the challenger) is preferred": P(X >= prefersB). */
    readonly pValueBBetter: number;
  };
}

/**
 * The interleaving experiment's analysis with users as the unit. Each user prefers A when winsA > winsB, B when
 * winsB > winsA, else is a tie; Delta_AB = (wins_A + ties / 2) / (wins_A + wins_B + ties) - 1/2 over those user
 * preferences (Chapelle et al. 2012 with the user in place of their query, since the impressions of one
 * user are not independent), with a percentile bootstrap interval over users (Efron &
 * Tibshirani 1993, ch. 13; ../evaluation/bootstrap) and the exact sign test over the users who preferred one side
 * (`exactBinomialTest` with p = 1/2). Which users to pass is the
 * caller's: an experiment's logs hold only the users who had at least one impression.
 *
 * @example
 * interleavingPreference([{ winsA: 0, winsB: 2, ties: 5 }, { winsA: 1, winsB: 0, ties: 3 },
 *   { winsA: 0, winsB: 1, ties: 0 }, { winsA: 0, winsB: 0, ties: 4 }], { random: new Random(1) });
 * // => prefersA 1, prefersB 2, ties 1, deltaAB (1 + 0.5) / 4 - 0.5 = -0.125,
 * //    signTest { trials: 3, pValueBBetter: 0.5 }
 */
export function interleavingPreference(
  users: readonly InterleavingUser[],
  options: InterleavingPreferenceOptions,
): InterleavingPreference {
  const alpha = requireOpenUnit(options.alpha ?? 0.05, "alpha");
  const resamples = options.bootstrapSamples ?? 2000;
  if (!(Number.isInteger(resamples) && resamples >= 1))
    throw new InputError(`expected a positive integer number of bootstrap samples, got ${resamples}`, {
      field: "bootstrapSamples",
    });
  if (users.length === 0) throw new InputError("expected at least one user", { field: "users" });
  // +1: prefers A, -1: prefers B, 0: tie; Delta_AB = mean / 2 since (n_A + n_T / 2) / n - 1/2 = (n_A - n_B) / 2n.
  const preference = Int8Array.from(users, (user, u) => {
    for (const key of ["winsA", "winsB", "ties"] as const)
      if (!(Number.isInteger(user[key]) && user[key] >= 0))
        throw new InputError(`user ${u}: expected a non-negative integer, got ${user[key]}`, {
          field: `users[${u}].${key}`,
        });
    return Math.sign(user.winsA - user.winsB);
  });
  const deltaAt = (indices: ArrayLike<number>) => {
    let sum = 0;
    for (let j = 0; j < indices.length; j++) sum += preference[indices[j]];
    return sum / (2 * indices.length);
  };
  const prefersA = preference.filter((p) => p > 0).length;
  const prefersB = preference.filter((p) => p < 0).length;
  const samples = bootstrapSamples(users.length, resamples, options.random);
  const { estimate, lower, upper } = percentileInterval(users.length, deltaAt, samples, 1 - alpha);
  const sign = exactBinomialTest(prefersB, prefersA + prefersB);
  return {
    users: users.length,
    prefersA,
    prefersB,
    ties: users.length - prefersA - prefersB,
    deltaAB: estimate,
    interval: { lower, upper },
    alpha,
    signTest: {
      trials: sign.trials,
      pValueTwoSided: sign.pValueTwoSided,
      pValueBBetter: sign.pValueGreater,
    },
  };
}
