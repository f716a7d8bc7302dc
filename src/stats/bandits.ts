/**
 * Two multi-armed-bandit routing policies for Bernoulli rewards (a click per impression), as Seldon Core's
 * routers implement them (components/routers/thompson-sampling/ThompsonSampling.py and
 * components/routers/epsilon-greedy/EpsilonGreedy.py, SeldonIO/seldon-core), with the probability that each
 * picks each arm in a given state: the propensities an analysis needs to reweight adaptively allocated data
 * (Horvitz & Thompson 1952; Li et al. 2011, "Unbiased offline evaluation of contextual-bandit-based news article
 * recommendation algorithms", WSDM).
 *
 * Each choice is a pure function of the arms' feedback so far and a fixed number of `Random.float()` draws, so a
 * seeded router reproduces its choices from the seed and the sequence of states it saw, and two policies fed from
 * one stream stay aligned draw for draw:
 *   - `thompsonSamplingChoice` draws exactly `arms.length` uniforms (one Beta draw per arm, by inversion);
 *   - `epsilonGreedyChoice` draws exactly 2 uniforms (explore-or-not with the arm explored to, and the tie-break).
 *
 * @example
 * const arms = [{ pulls: 1000, rewards: 70 }, { pulls: 1000, rewards: 85 }];
 * thompsonSamplingChoice(arms, new Random(1));          // => 1 most of the time
 * thompsonSelectionProbability(arms);                   // => [0.105, 0.895]: P(each arm is picked now)
 * epsilonGreedySelectionProbability(arms, 0.1);         // => [0.1, 0.9]
 */
import { InputError } from "../core/errors";
import type { Random } from "../core/random";
import { type BetaDistribution, betaExpectation, betaPosterior } from "./bayesian";
import { betaCdf, betaQuantile } from "./distributions";

/** The feedback of one arm (model): its impressions and clicks so far. */
export interface BanditArm {
  /** Times the arm was served (impressions), >= 0. */
  readonly pulls: number;
  /** Rewards it earned (clicks), in 0..pulls. */
  readonly rewards: number;
}

/** Seldon's ThompsonSampling prior: Beta(1, 1), uniform on each arm's CTR. */
export const UNIFORM_PRIOR: BetaDistribution = { alpha: 1, beta: 1 };

/** Seldon's EpsilonGreedy default `epsilon` (its constructor's `epsilon=0.1`). */
export const SELDON_DEFAULT_EPSILON = 0.1;

function validateArms(arms: readonly BanditArm[]): readonly BanditArm[] {
  if (arms.length < 2)
    throw new InputError(`expected at least 2 arms, got ${arms.length}`, { field: "arms" });
  arms.forEach(({ pulls, rewards }, k) => {
    if (!(
      Number.isFinite(pulls) &&
      pulls >= 0 &&
      Number.isFinite(rewards) &&
      rewards >= 0 &&
      rewards <= pulls
    ))
      throw new InputError(
        `expected 0 <= rewards <= pulls (finite) for arm ${k}, got ${rewards} of ${pulls}`,
        {
          field: `arms[${k}]`,
        },
      );
  });
  return arms;
}

function validatePrior(prior: BetaDistribution): BetaDistribution {
  if (!(prior.alpha > 0 && prior.beta > 0 && Number.isFinite(prior.alpha) && Number.isFinite(prior.beta)))
    throw new InputError(
      `expected positive finite Beta prior parameters, got ${prior.alpha}, ${prior.beta}`,
      {
        field: "prior",
      },
    );
  return prior;
}

function validateEpsilon(epsilon: number): number {
  if (!(epsilon >= 0 && epsilon <= 1))
    throw new InputError(`expected an exploration probability in [0, 1], got ${epsilon}`, {
      field: "epsilon",
    });
  return epsilon;
}

function posteriors(arms: readonly BanditArm[], prior: BetaDistribution): BetaDistribution[] {
  return validateArms(arms).map(({ pulls, rewards }) => betaPosterior(validatePrior(prior), pulls, rewards));
}

/**
 * Thompson sampling: draws p_k ~ Beta(alpha + rewards_k, beta + pulls_k - rewards_k) for every arm and returns the
 * index of the largest draw. As Seldon's ThompsonSampling router: the same Beta(1, 1) prior by default (its
 * `models_beta_params` start at [1, 1] and add successes and failures), one draw per arm per request, and ties
 * go to the lowest index (numpy's `argmax` returns the first maximum; here a later arm must be strictly larger).
 * Unlike Seldon, which draws with numpy's `beta`, each draw is the Beta quantile of one uniform (inversion): the
 * same distribution with exactly `arms.length` uniforms per choice, so the draws of a seeded router are countable.
 *
 * @example
 * thompsonSamplingChoice([{ pulls: 0, rewards: 0 }, { pulls: 0, rewards: 0 }], new Random(7)); // => 0 or 1, each half the time
 */
export function thompsonSamplingChoice(
  arms: readonly BanditArm[],
  random: Random,
  prior: BetaDistribution = UNIFORM_PRIOR,
): number {
  let best = 0;
  let bestDraw = -Infinity;
  posteriors(arms, prior).forEach(({ alpha, beta }, k) => {
    const draw = betaQuantile(random.float(), alpha, beta);
    if (draw > bestDraw) {
      best = k;
      bestDraw = draw;
    }
  });
  return best;
}

/**
 * The probability that `thompsonSamplingChoice` picks each arm in this state, P(p_k > p_j for all j != k):
 * E[prod_{j != k} F_j(p_k)] with p_k from arm k's posterior, integrated as `bayesianAnalysis` integrates (its
 * `betaExpectation`); the last arm gets 1 minus the others. For two arms this is exactly the analysis's
 * P(treatment better) with arm 0 as control: [1 - P, P].
 *
 * @example
 * thompsonSelectionProbability([{ pulls: 0, rewards: 0 }, { pulls: 1, rewards: 1 }]); // => [1/3, 2/3]
 */
export function thompsonSelectionProbability(
  arms: readonly BanditArm[],
  prior: BetaDistribution = UNIFORM_PRIOR,
  integrationNodes = 2000,
): number[] {
  const distributions = posteriors(arms, prior);
  const probabilities = distributions.slice(0, -1).map((own, k) =>
    betaExpectation(
      own,
      (x) => {
        let product = 1;
        distributions.forEach(({ alpha, beta }, j) => {
          if (j !== k) product *= betaCdf(x, alpha, beta);
        });
        return product;
      },
      integrationNodes,
    ),
  );
  probabilities.push(1 - probabilities.reduce((a, b) => a + b, 0));
  return probabilities;
}

/** The arms whose empirical CTR rewards / pulls is the largest, an arm never pulled counting 0 (as in Seldon). */
function greedyArms(arms: readonly BanditArm[]): number[] {
  const values = validateArms(arms).map(({ pulls, rewards }) => (pulls > 0 ? rewards / pulls : 0));
  const best = Math.max(...values);
  return values.flatMap((value, k) => (value === best ? [k] : []));
}

/**
 * Epsilon-greedy as Seldon's EpsilonGreedy router: the greedy arm (largest rewards / pulls, 0 before its first
 * pull) with probability 1 - epsilon, otherwise one of the OTHER arms uniformly (Seldon explores with
 * `random.choice(other_branches)`, so exploring never lands on the greedy arm: epsilon 1 always avoids it and
 * epsilon (K - 1) / K is uniform over the K arms). Seldon's default epsilon is 0.1 (`SELDON_DEFAULT_EPSILON`).
 * Ties for the greedy arm are broken uniformly at random, as Seldon does; Seldon draws the tie-break once per
 * feedback and keeps it until the next, this function once per choice, which gives the same probability per
 * choice when feedback follows every request. Seldon exploits when `random() > epsilon`, so it explores with
 * probability epsilon + P(random() = epsilon); here exactly epsilon (`u < epsilon`), so epsilon 0 is greedy.
 * Draws exactly 2 uniforms: u1 (explore when u1 < epsilon; then u1 / epsilon, uniform on [0, 1), picks the
 * explored arm) and u2 (the tie-break).
 *
 * @example
 * epsilonGreedyChoice([{ pulls: 100, rewards: 7 }, { pulls: 100, rewards: 9 }], 0.1, new Random(3)); // => 1 with probability 0.9
 */
export function epsilonGreedyChoice(arms: readonly BanditArm[], epsilon: number, random: Random): number {
  validateEpsilon(epsilon);
  const tied = greedyArms(arms);
  const explore = random.float();
  const tieBreak = random.float();
  const greedy = tied[Math.floor(tieBreak * tied.length)];
  if (!(explore < epsilon)) return greedy;
  const other = Math.min(arms.length - 2, Math.floor((explore / epsilon) * (arms.length - 1)));
  return other < greedy ? other : other + 1;
}

/**
 * The probability that `epsilonGreedyChoice` picks each arm in this state: with t arms tied for the greedy value
 * among K, a tied arm gets (1 - epsilon) / t + epsilon (t - 1) / (t (K - 1)), any other arm epsilon / (K - 1).
 *
 * @example
 * epsilonGreedySelectionProbability([{ pulls: 100, rewards: 7 }, { pulls: 100, rewards: 9 }], 0.1); // => [0.1, 0.9]
 */
export function epsilonGreedySelectionProbability(arms: readonly BanditArm[], epsilon: number): number[] {
  validateEpsilon(epsilon);
  const tied = greedyArms(arms);
  const t = tied.length;
  const explored = epsilon / (arms.length - 1);
  const greedy = (1 - epsilon) / t + (explored * (t - 1)) / t;
  return arms.map((_, k) => (tied.includes(k) ? greedy : explored));
}
