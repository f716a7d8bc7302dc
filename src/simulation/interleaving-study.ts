/**
 * How much more sensitive interleaving is than the A/B test on this project's click model and calendar: a seeded
 * Monte Carlo of both designs on the same simulated users, and the exact truths they estimate.
 *
 * Visit process (as ./aa-study.ts): user u visits on each of `days` days with their own probability r_u; one visit
 * is one impression of a slate with at most one click under the cascade model (./click-model). The population is
 * a superpopulation: each simulated experiment draws its n users with replacement from it (ml-latest-small has
 * 592), so n may exceed the population.
 *
 * - Interleaving: every visit shows a fresh team-draft slate of the two models' rankings
 *   (../stats/interleaving `teamDraftInterleave`), and the click (if any) credits its team; since a visit has at
 *   most one click, an impression is won by the clicked movie's team or is a tie (no click), and its outcome has the
 *   exact distribution `expectedTeamDraftOutcome`, from which the study draws it (one uniform per impression; the
 *   test checks it against teamDraftInterleave + simulateVisit). Users who visited at least once are analysed
 *   (`interleavingPreference`'s per-user preference; its exact sign test, one-sided "B better", at `alpha`).
 * - A/B: the same users and visits, split 50/50 (the odd user in the treatment), each visit on the user's arm's
 *   slate, clicked with the slate's exact CTR (`expectedSlateCtr`); the pre-registered analysis, the delta-method
 *   one-sided z-test of clicks per impression with users as the unit (../stats/ratio-metric `compareRatioArms`),
 *   all randomised users counting (0 impressions for those who never came), as in ./aa-study.ts.
 *
 * Both designs see the same drawn users and visit counts in each experiment (common random numbers), so their
 * agreement on the winner is measured pair by pair.
 */
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import {
  exactBinomialTest,
  teamDraftCoinsPerCall,
  teamDraftInterleaveWithCoins,
} from "../stats/interleaving";
import { compareRatioArms, ratioSummaryFromUsers } from "../stats/ratio-metric";
import { requireOpenUnit } from "../stats/summary";
import {
  clickPositionProbabilities,
  expectedSlateCtr,
  validateParameters,
  type ClickModelParameters,
  type RelevancePattern,
} from "./click-model";

/** P(A wins), P(B wins), P(tie) of one interleaved impression; they sum to 1. */
export interface TeamDraftOutcome {
  readonly a: number;
  readonly b: number;
  readonly tie: number;
}

/** Coin patterns enumerated at most: 2^20, slates of up to 40 movies. */
const MAX_ENUMERATED_COINS = 20;

function relevanceOf(movieIds: readonly number[], relevant: ReadonlySet<number>): RelevancePattern {
  return Uint8Array.from(movieIds, (id) => (relevant.has(id) ? 1 : 0));
}

/**
 * The exact outcome distribution of one team-draft impression for a user with relevant movies `relevant`: the
 * mean over all 2^ceil(length / 2) equally likely coin patterns (`teamDraftInterleaveWithCoins` with coins 0.25
 * or 0.75; patterns whose coins go unused just repeat a slate with its share of the probability) of the cascade
 * model's click-position probabilities (`clickPositionProbabilities`), each position's probability credited to
 * its team. At most one click per visit, so the clicked movie's team wins; no click is a tie.
 *
 * @example
 * // A = [10], B = [20], 10 relevant; e = [1, 0.5], p_rel 0.5, p_noise 0.1.
 * // A first: P(click 10) = 0.5, P(click 20) = 0.5 * 0.5 * 0.1 = 0.025; B first: 0.1 and 0.9 * 0.5 * 0.5 = 0.225.
 * expectedTeamDraftOutcome([10], [20], new Set([10]), { examination: [1, 0.5], relevantClickProbability: 0.5,
 *   noiseClickProbability: 0.1 }, 2); // => { a: 0.3625, b: 0.0625, tie: 0.575 }
 */
export function expectedTeamDraftOutcome(
  rankingA: readonly number[],
  rankingB: readonly number[],
  relevant: ReadonlySet<number>,
  parameters: ClickModelParameters,
  length: number,
): TeamDraftOutcome {
  validateParameters(parameters);
  const coinCount = teamDraftCoinsPerCall(length);
  if (coinCount > MAX_ENUMERATED_COINS)
    throw new InputError(`expected a slate of at most ${2 * MAX_ENUMERATED_COINS} movies, got ${length}`, {
      field: "length",
    });
  const patterns = 2 ** coinCount;
  const coins = new Float64Array(coinCount);
  let a = 0;
  let b = 0;
  for (let pattern = 0; pattern < patterns; pattern++) {
    for (let r = 0; r < coinCount; r++) coins[r] = (pattern >> r) & 1 ? 0.75 : 0.25;
    const slate = teamDraftInterleaveWithCoins(rankingA, rankingB, length, coins);
    clickPositionProbabilities(relevanceOf(slate.movieIds, relevant), parameters).forEach((p, k) => {
      if (slate.teams[k] === 0) a += p;
      else b += p;
    });
  }
  a /= patterns;
  b /= patterns;
  return { a, b, tie: 1 - a - b };
}

/** One user of the population. */
export interface InterleavingStudyUser {
  /** Daily visit probability r_u in [0, 1] (./calendar.ts). */
  readonly rate: number;
  /** Model A's (the baseline's) ranking for the user, best first (at least the slate length). */
  readonly rankingA: readonly number[];
  /** Model B's (the challenger's) ranking. */
  readonly rankingB: readonly number[];
  /** Movies relevant to the user (rated >= 4 in the test period). */
  readonly relevant: ReadonlySet<number>;
}

export interface InterleavingStudyOptions {
  readonly users: readonly InterleavingStudyUser[];
  /** The click model; the slate length is its examination vector's length. */
  readonly parameters: ClickModelParameters;
  /** Days of experiment, an integer >= 1. */
  readonly days: number;
  /** Users per experiment (drawn with replacement), each an integer >= 4, ascending. */
  readonly userCounts: readonly number[];
  /** Simulated experiments per user count. Default 1000. */
  readonly experiments?: number;
  /** One-sided significance level of both tests. Default 0.05. */
  readonly alpha?: number;
  /** Power at which the users needed are reported. Default 0.9. */
  readonly targetPower?: number;
  readonly seed: number;
}

/** A share of the experiments with its binomial SE. */
export interface StudyRate {
  readonly count: number;
  readonly rate: number;
  readonly standardError: number;
}

/** One design's results at one user count. */
export interface DesignAtUsers {
  /** One-sided test "B better" rejected at alpha. */
  readonly rejectBBetter: StudyRate;
  /** One-sided test "A better" rejected at alpha (the power when B is the worse model). */
  readonly rejectABetter: StudyRate;
  /** The estimate had the truth's sign (B ahead when B is truly better). */
  readonly correctWinner: StudyRate;
  /** Mean of the estimate: Delta_BA = -Delta_AB for interleaving, the CTR difference B - A for the A/B test. */
  readonly meanEstimate: number;
  /** Experiments whose test was undefined (no user preferred either side; an A/B arm without clicks). */
  readonly undefinedExperiments: number;
}

export interface StudyAtUsers {
  readonly users: number;
  readonly interleaving: DesignAtUsers;
  readonly abTest: DesignAtUsers;
  /** Both estimates had the same sign (ties, a zero estimate, count as disagreement). */
  readonly agreement: StudyRate;
}

export interface InterleavingStudy {
  readonly options: {
    readonly populationSize: number;
    readonly days: number;
    readonly userCounts: readonly number[];
    readonly experiments: number;
    readonly alpha: number;
    readonly targetPower: number;
    readonly seed: number;
  };
  readonly truth: {
    /** Exact per-impression outcome, users weighted by r_u (expected impressions). */
    readonly impression: TeamDraftOutcome;
    /** Delta_AB per impression: sum_u r_u (P_u(A) - P_u(B)) / (2 sum_u r_u). */
    readonly deltaABPerImpression: number;
    /**
     * Exact expectation of one logged user's preference over `days`, Delta_AB per user: sum_u w_u (P(A preferred)
     * - P(B preferred)) / 2, users weighted by w_u = P(u visits at least once) (the share of the logs they make
     * up); what `interleavingPreference`'s Delta_AB estimates as n grows.
     */
    readonly deltaABPerUser: number;
    /** Exact CTR per impression of A and B, users weighted by r_u (./aa-study.ts `truthPerImpression`). */
    readonly ctrA: number;
    readonly ctrB: number;
    /** ctrB - ctrA: the A/B test's true difference. */
    readonly abDifference: number;
  };
  readonly byUsers: readonly StudyAtUsers[];
  /**
   * Users (per experiment, both arms together for the A/B test) at which each design's one-sided test in the
   * direction of its own truth ("B better" for interleaving when deltaABPerUser < 0, for the A/B test when
   * abDifference > 0; else "A better") reaches `targetPower`, linearly interpolated between the user counts;
   * null when no user count reaches it.
   */
  readonly usersForTargetPower: {
    readonly interleaving: number | null;
    readonly abTest: number | null;
    /** abTest / interleaving: how many times more users the A/B test needs (null if either is null). */
    readonly ratio: number | null;
  };
}

function requireInteger(value: number, field: string, minimum: number): number {
  if (!(Number.isInteger(value) && value >= minimum))
    throw new InputError(`expected an integer >= ${minimum}, got ${value}`, { field });
  return value;
}

function studyRate(count: number, experiments: number): StudyRate {
  const rate = count / experiments;
  return { count, rate, standardError: Math.sqrt((rate * (1 - rate)) / experiments) };
}

/**
 * P(the user prefers A) and P(prefers B) over `days` days at daily visit rate `rate`, each visit won by A, B or
 * tied with probabilities `outcome`: the distribution of wins_A - wins_B, a lazy random walk over the visits, by
 * dynamic programming (days + 1 visit counts, differences in -days..days). `visited` is P(at least one visit).
 *
 * @example
 * preferenceProbabilities({ a: 0.5, b: 0, tie: 0.5 }, 1, 1); // => { a: 0.5, b: 0, visited: 1 }
 */
export function preferenceProbabilities(outcome: TeamDraftOutcome, rate: number, days: number) {
  let walk = new Float64Array(2 * days + 1); // index d + days: P(wins_A - wins_B = d) after the days so far
  walk[days] = 1;
  for (let day = 0; day < days; day++) {
    const next = new Float64Array(walk.length);
    walk.forEach((p, i) => {
      if (p === 0) return;
      next[i] += p * (1 - rate + rate * outcome.tie);
      if (i + 1 < next.length) next[i + 1] += p * rate * outcome.a;
      if (i > 0) next[i - 1] += p * rate * outcome.b;
    });
    walk = next;
  }
  let a = 0;
  let b = 0;
  walk.forEach((p, i) => {
    if (i > days) a += p;
    else if (i < days) b += p;
  });
  return { a, b, visited: 1 - (1 - rate) ** days };
}

/** Tallies of one design at one user count. */
class DesignTally {
  rejectBBetter = 0;
  rejectABetter = 0;
  correctWinner = 0;
  estimateSum = 0;
  undefinedExperiments = 0;

  result(experiments: number): DesignAtUsers {
    return {
      rejectBBetter: studyRate(this.rejectBBetter, experiments),
      rejectABetter: studyRate(this.rejectABetter, experiments),
      correctWinner: studyRate(this.correctWinner, experiments),
      meanEstimate: this.estimateSum / experiments,
      undefinedExperiments: this.undefinedExperiments,
    };
  }
}

/** Linear interpolation of the user count at which `power` first reaches `target`; null if it never does. */
function usersAtPower(
  userCounts: readonly number[],
  power: readonly number[],
  target: number,
): number | null {
  for (let i = 0; i < power.length; i++) {
    if (power[i] < target) continue;
    if (i === 0) return userCounts[0];
    const share = (target - power[i - 1]) / (power[i] - power[i - 1]);
    return userCounts[i - 1] + share * (userCounts[i] - userCounts[i - 1]);
  }
  return null;
}

/**
 * Runs the study: for each n in `userCounts`, `experiments` experiments of n users drawn with replacement, each
 * analysed by both designs. Pure and seeded.
 *
 * @example
 * const study = interleavingStudy({ users, parameters, days: 14, userCounts: [100, 200, 400, 800],
 *   seed: 20261201 });
 * study.usersForTargetPower; // => { interleaving: ~n_I, abTest: ~n_AB, ratio: n_AB / n_I }
 */
export function interleavingStudy(options: InterleavingStudyOptions): InterleavingStudy {
  const population = options.users;
  if (population.length === 0) throw new InputError("expected at least one user", { field: "users" });
  validateParameters(options.parameters);
  const length = options.parameters.examination.length;
  const days = requireInteger(options.days, "days", 1);
  const experiments = requireInteger(options.experiments ?? 1000, "experiments", 1);
  const alpha = requireOpenUnit(options.alpha ?? 0.05, "alpha");
  const targetPower = requireOpenUnit(options.targetPower ?? 0.9, "targetPower");
  if (!Number.isInteger(options.seed))
    throw new InputError(`expected an integer seed, got ${options.seed}`, { field: "seed" });
  const userCounts = options.userCounts;
  if (userCounts.length === 0)
    throw new InputError("expected at least one user count", { field: "userCounts" });
  userCounts.forEach((n, i) => {
    requireInteger(n, `userCounts[${i}]`, 4);
    if (i > 0 && n <= userCounts[i - 1])
      throw new InputError(`expected ascending user counts, got ${userCounts[i - 1]} then ${n}`, {
        field: "userCounts",
      });
  });

  // Per user: the rate, the exact interleaved outcome, the exact CTR of each model's slate.
  const users = population.length;
  const rates = new Float64Array(users);
  const winA = new Float64Array(users);
  const winAOrB = new Float64Array(users);
  const ctrA = new Float64Array(users);
  const ctrB = new Float64Array(users);
  let rateSum = 0;
  let impressionA = 0;
  let impressionB = 0;
  let ctrASum = 0;
  let ctrBSum = 0;
  let visitedSum = 0;
  let preferenceSum = 0;
  population.forEach((user, u) => {
    if (!(user.rate >= 0 && user.rate <= 1))
      throw new InputError(`expected a probability in [0, 1], got ${user.rate}`, {
        field: `users[${u}].rate`,
      });
    for (const key of ["rankingA", "rankingB"] as const)
      if (user[key].length < length)
        throw new InputError(`expected at least ${length} movies, got ${user[key].length}`, {
          field: `users[${u}].${key}`,
        });
    const outcome = expectedTeamDraftOutcome(
      user.rankingA,
      user.rankingB,
      user.relevant,
      options.parameters,
      length,
    );
    rates[u] = user.rate;
    winA[u] = outcome.a;
    winAOrB[u] = outcome.a + outcome.b;
    ctrA[u] = expectedSlateCtr(
      relevanceOf(user.rankingA.slice(0, length), user.relevant),
      options.parameters,
    );
    ctrB[u] = expectedSlateCtr(
      relevanceOf(user.rankingB.slice(0, length), user.relevant),
      options.parameters,
    );
    rateSum += user.rate;
    impressionA += user.rate * outcome.a;
    impressionB += user.rate * outcome.b;
    ctrASum += user.rate * ctrA[u];
    ctrBSum += user.rate * ctrB[u];
    const preference = preferenceProbabilities(outcome, user.rate, days);
    visitedSum += preference.visited;
    preferenceSum += preference.a - preference.b;
  });
  if (!(rateSum > 0)) throw new InputError("expected a user with a positive visit rate", { field: "users" });
  const truthA = impressionA / rateSum;
  const truthB = impressionB / rateSum;
  const truth = {
    impression: { a: truthA, b: truthB, tie: 1 - truthA - truthB },
    deltaABPerImpression: (truthA - truthB) / 2,
    // sum_u w_u (P(A pref) - P(B pref)) / 2 with w_u = visited_u / sum visited: P(A pref) already includes visiting.
    deltaABPerUser: preferenceSum / (2 * visitedSum),
    ctrA: ctrASum / rateSum,
    ctrB: ctrBSum / rateSum,
    abDifference: (ctrBSum - ctrASum) / rateSum,
  };
  const interleavingTruthSign = Math.sign(-truth.deltaABPerUser);
  const abTruthSign = Math.sign(truth.abDifference);

  const random = new Random(options.seed).fork();
  const byUsers = userCounts.map((n): StudyAtUsers => {
    const interleaving = new DesignTally();
    const abTest = new DesignTally();
    let agreements = 0;
    const drawn = new Int32Array(n);
    const visits = new Int32Array(n);
    const order = Array.from({ length: n }, (_, i) => i);
    const controlUsers = Math.floor(n / 2);
    for (let e = 0; e < experiments; e++) {
      for (let i = 0; i < n; i++) {
        drawn[i] = random.int(users);
        visits[i] = random.binomial(days, rates[drawn[i]]);
      }
      // Interleaving: each visit won by A, B or tied; per-user preference; the sign test.
      let prefersA = 0;
      let prefersB = 0;
      let visited = 0;
      for (let i = 0; i < n; i++) {
        if (visits[i] === 0) continue;
        visited++;
        const u = drawn[i];
        let difference = 0;
        for (let v = 0; v < visits[i]; v++) {
          const x = random.float();
          if (x < winA[u]) difference++;
          else if (x < winAOrB[u]) difference--;
        }
        if (difference > 0) prefersA++;
        else if (difference < 0) prefersB++;
      }
      const deltaBA = visited === 0 ? 0 : (prefersB - prefersA) / (2 * visited);
      interleaving.estimateSum += deltaBA;
      if (Math.sign(deltaBA) === interleavingTruthSign) interleaving.correctWinner++;
      if (prefersA + prefersB === 0) interleaving.undefinedExperiments++;
      else {
        const sign = exactBinomialTest(prefersB, prefersA + prefersB);
        if (sign.pValueGreater < alpha) interleaving.rejectBBetter++;
        if (sign.pValueLess < alpha) interleaving.rejectABetter++;
      }

      // A/B: the same users and visits, split 50/50, clicks at the arm's slate's CTR.
      random.shuffle(order);
      const clicks = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const ctr = (i < controlUsers ? ctrA : ctrB)[drawn[order[i]]];
        clicks[i] = random.binomial(visits[order[i]], ctr);
      }
      const impressions = order.map((i) => visits[i]);
      let abEstimate = 0;
      try {
        const { difference } = compareRatioArms(
          ratioSummaryFromUsers(clicks.slice(0, controlUsers), impressions.slice(0, controlUsers), "control"),
          ratioSummaryFromUsers(clicks.slice(controlUsers), impressions.slice(controlUsers), "treatment"),
        );
        abEstimate = difference.estimate;
        if (difference.pValueGreater < alpha) abTest.rejectBBetter++;
        if (1 - difference.pValueGreater < alpha) abTest.rejectABetter++;
      } catch (error) {
        // An arm without impressions or clicks: the test is undefined, counted as not rejected.
        if (!(error instanceof InputError)) throw error;
        abTest.undefinedExperiments++;
      }
      abTest.estimateSum += abEstimate;
      if (Math.sign(abEstimate) === abTruthSign) abTest.correctWinner++;
      if (deltaBA !== 0 && Math.sign(deltaBA) === Math.sign(abEstimate)) agreements++;
    }
    return {
      users: n,
      interleaving: interleaving.result(experiments),
      abTest: abTest.result(experiments),
      agreement: studyRate(agreements, experiments),
    };
  });

  const powerOf = (design: "interleaving" | "abTest", bBetter: boolean) =>
    byUsers.map((row) => (bBetter ? row[design].rejectBBetter.rate : row[design].rejectABetter.rate));
  const interleavingUsers = usersAtPower(
    userCounts,
    powerOf("interleaving", interleavingTruthSign > 0),
    targetPower,
  );
  const abUsers = usersAtPower(userCounts, powerOf("abTest", abTruthSign > 0), targetPower);
  return {
    options: {
      populationSize: users,
      days,
      userCounts: [...userCounts],
      experiments,
      alpha,
      targetPower,
      seed: options.seed,
    },
    truth,
    byUsers,
    usersForTargetPower: {
      interleaving: interleavingUsers,
      abTest: abUsers,
      ratio: interleavingUsers !== null && abUsers !== null ? abUsers / interleavingUsers : null,
    },
  };
}
