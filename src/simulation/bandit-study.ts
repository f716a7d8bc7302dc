/**
 * What a business asks of a bandit instead of an A/B test, answered by seeded Monte Carlo on one fixed population
 * and calendar (as ./aa-study.ts): how many clicks each policy loses over the experiment, why its data cannot be
 * read with the fixed-n test, and what can be read from it instead.
 *
 * Visit process (./calendar.ts): over `experimentDays` days user u visits on each day with probability r_u; one
 * visit is one impression of their slate under the model served, clicked with probability c_{u,m} (the exact CTR
 * of their slate under model m). Policies, each routing every visit (arm 0 the baseline, arm 1 the challenger):
 *   - `abTest`: a 50/50 split of the users, sticky (the project's hash routing, ../serving/assignment.ts);
 *   - `uniformPerVisit`: a fair coin per visit (not adaptive, not sticky: isolates adaptivity in A/A);
 *   - `thompson`: ../stats/bandits `thompsonSamplingChoice`, Beta(1, 1) prior, per visit as Seldon's router;
 *   - `epsilonGreedy`: ../stats/bandits `epsilonGreedyChoice` with `epsilon` (Seldon's default 0.1).
 * The bandits' feedback (impressions and clicks per arm) is updated once per simulated day, not after each visit:
 * the calendar has days but no time of day (the order of a day's visits is not modelled, so a per-visit update
 * would rest on an invented order), a production router's feedback arrives late (clicks are joined to
 * impressions in batches), and the selection probabilities are then constant within a day, so the propensity of
 * every visit is computed exactly once per day (`thompsonSelectionProbability`) and recorded with the visit.
 *
 * Two scenarios share each experiment's visits and click uniforms (a click is U < c, common random numbers):
 * the real challenger, and A/A (both arms the baseline). The truth of model m is measured on each experiment's own
 * visits, (1 / N) sum_i c_{u_i, m} over its N visits: the CTR per impression had every visit been served m (the
 * population's sum_u r_u c_{u,m} / sum_u r_u differs from its mean by a ratio bias of order 1 / N).
 * Figures per policy:
 *   - regret: expected clicks lost against serving every visit the model that is better over the population,
 *     sum_i (c_{u_i, best} - c_{u_i, served}), with the exact CTRs, not the drawn clicks;
 *   - the naive estimates clicks_m / impressions_m and their difference, with their bias against the truth, and
 *     the fixed-n two-proportion z-test on them (two-sided at `alpha`; its rejection rate in A/A is its type-I
 *     error);
 *   - the inverse-propensity-weighted (Horvitz-Thompson) estimate (1 / N) sum_i 1[A_i = m] Y_i / pi_i(m) of each
 *     arm's CTR with the recorded selection probabilities pi_i, unbiased because E[1[A_i = m] Y_i / pi_i(m) | the
 *     past] = c_{u_i, m} whatever the past did to pi_i (Horvitz & Thompson 1952; Li et al. 2011, WSDM);
 *   - the posterior probability that the challenger is better, P(p_1 > p_0 | impressions, clicks) with Beta(1, 1)
 *     priors (what the Thompson router itself believes at the end), how often it exceeds 0.95 or falls below
 *     0.05 (a "winner" declared), and how often it is above 1/2 on the truly better side;
 *   - for the A/B test, the delta-method test of CTR per impression with users as the unit (two-sided at alpha).
 */
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import {
  type BanditArm,
  epsilonGreedyChoice,
  epsilonGreedySelectionProbability,
  SELDON_DEFAULT_EPSILON,
  thompsonSamplingChoice,
  thompsonSelectionProbability,
} from "../stats/bandits";
import { twoProportionZTest } from "../stats/proportions-test";
import { compareRatioArms, ratioSummaryFromUsers } from "../stats/ratio-metric";
import { requireOpenUnit } from "../stats/summary";
import { probabilities, type RejectionRate, rejectionRate, truthPerImpression } from "./aa-study";

export type BanditStudyPolicy = "abTest" | "uniformPerVisit" | "thompson" | "epsilonGreedy";

export interface BanditStudyOptions {
  /** Daily visit probability r_u of each user, in [0, 1] (./calendar.ts `visitRates`). */
  readonly rates: ArrayLike<number>;
  /** Exact CTR per impression of each user's baseline slate, aligned with `rates`. */
  readonly baselineCtr: ArrayLike<number>;
  /** Exact CTR per impression of each user's challenger slate, aligned with `rates`. */
  readonly challengerCtr: ArrayLike<number>;
  /** Days of experiment, an integer >= 1. */
  readonly experimentDays: number;
  /** Simulated experiments (the scenarios and policies share their visits and clicks). Default 500. */
  readonly experiments?: number;
  /** Exploration probability of epsilon-greedy, in [0, 1]. Default Seldon's 0.1. */
  readonly epsilon?: number;
  /** Two-sided significance level of the fixed-n tests, and 1 - the posterior's "winner" threshold. Default 0.05. */
  readonly alpha?: number;
  /** Integration nodes of the daily Thompson propensities (`thompsonSelectionProbability`). Default 200. */
  readonly integrationNodes?: number;
  readonly seed: number;
}

/** Mean over the experiments, with its standard error and the experiments' standard deviation. */
export interface MonteCarloMean {
  readonly mean: number;
  readonly standardError: number;
  readonly standardDeviation: number;
}

/** An estimate of both arms' CTR per impression and of their difference (challenger - baseline). */
export interface ArmEstimates<T> {
  readonly baseline: T;
  readonly challenger: T;
  readonly difference: T;
}

export interface PolicyFigures {
  /** Share of the impressions served the challenger (arm 1). */
  readonly challengerShare: MonteCarloMean;
  /** Expected clicks per experiment, sum_i c_{u_i, served}. */
  readonly expectedClicks: MonteCarloMean;
  /** Expected clicks lost per experiment against serving every visit the better model. */
  readonly regret: MonteCarloMean;
  /** Bias (estimate - truth of the experiment's visits) of clicks / impressions per arm and of the difference. */
  readonly naiveBias: ArmEstimates<MonteCarloMean>;
  /** The same for the inverse-propensity-weighted estimates. */
  readonly ipwBias: ArmEstimates<MonteCarloMean>;
  /** Rejections of the fixed-n two-proportion z-test on impressions, two-sided at `alpha`. */
  readonly naiveZTest: RejectionRate;
  /** Rejections of the delta-method test (users as the unit), two-sided at `alpha`; the sticky A/B test only. */
  readonly deltaMethod: RejectionRate | null;
  /** Mean posterior probability that the challenger is better, at the end. */
  readonly meanProbabilityChallengerBetter: number;
  /** How often the posterior declared a winner: P(challenger better) > 1 - alpha or < alpha. */
  readonly posteriorDeclaresWinner: RejectionRate;
  /** How often P(challenger better) > 1/2 is on the truly better side; null in A/A (no better model). */
  readonly posteriorPicksBetter: RejectionRate | null;
  /** Experiments where an arm had no impression (naive estimates and tests undefined, left out of their figures). */
  readonly undefinedExperiments: number;
}

export interface BanditStudy {
  readonly options: {
    readonly users: number;
    readonly experimentDays: number;
    readonly experiments: number;
    readonly epsilon: number;
    readonly alpha: number;
    readonly integrationNodes: number;
    readonly seed: number;
  };
  /** Population truth per impression, sum_u r_u c_{u,m} / sum_u r_u, and the better model. */
  readonly truth: {
    readonly baseline: number;
    readonly challenger: number;
    readonly better: "baseline" | "challenger";
  };
  /** Mean visits (impressions) per experiment. */
  readonly meanVisits: number;
  readonly challenger: Readonly<Record<"abTest" | "thompson" | "epsilonGreedy", PolicyFigures>>;
  readonly aa: Readonly<Record<"abTest" | "uniformPerVisit" | "thompson", PolicyFigures>>;
}

/** Running mean and variance (Welford) of one figure over the experiments. */
class Moments {
  private n = 0;
  private meanValue = 0;
  private squares = 0;

  add(x: number): void {
    this.n++;
    const delta = x - this.meanValue;
    this.meanValue += delta / this.n;
    this.squares += delta * (x - this.meanValue);
  }

  result(): MonteCarloMean {
    const standardDeviation = this.n > 1 ? Math.sqrt(this.squares / (this.n - 1)) : NaN;
    return { mean: this.meanValue, standardError: standardDeviation / Math.sqrt(this.n), standardDeviation };
  }
}

const armMoments = () => ({ baseline: new Moments(), challenger: new Moments(), difference: new Moments() });
const armResult = (m: ReturnType<typeof armMoments>): ArmEstimates<MonteCarloMean> => ({
  baseline: m.baseline.result(),
  challenger: m.challenger.result(),
  difference: m.difference.result(),
});

/** One experiment's visits: user index and click uniform of each visit, day by day. */
interface ExperimentVisits {
  readonly users: Int32Array[];
  readonly clickUniforms: Float64Array[];
}

/** The per-experiment settings one policy run needs. */
interface PolicyContext {
  readonly ctr: readonly [Float64Array, Float64Array];
  /** Arm of each user under the sticky split. */
  readonly assignment: Uint8Array;
  readonly better: 0 | 1;
  readonly epsilon: number;
  readonly integrationNodes: number;
}

/** Tallies of one policy in one scenario over the experiments. */
class PolicyTally {
  readonly challengerShare = new Moments();
  readonly expectedClicks = new Moments();
  readonly regret = new Moments();
  readonly naiveBias = armMoments();
  readonly ipwBias = armMoments();
  naiveRejections = 0;
  deltaRejections = 0;
  probabilitySum = 0;
  winners = 0;
  picksBetter = 0;
  defined = 0;
  undefinedExperiments = 0;

  constructor(
    readonly policy: BanditStudyPolicy,
    readonly random: Random,
    readonly hasBetterModel: boolean,
  ) {}

  /** Runs the policy on one experiment's visits and adds its figures. */
  run(visits: ExperimentVisits, context: PolicyContext, users: number, alpha: number): void {
    const { ctr, assignment, better } = context;
    const pulls = [0, 0];
    const rewards = [0, 0];
    const ipw = [0, 0];
    const truth = [0, 0];
    let expected = 0;
    let bestExpected = 0;
    let visitsTotal = 0;
    const perUser =
      this.policy === "abTest" ? { clicks: new Int32Array(users), impressions: new Int32Array(users) } : null;
    for (let day = 0; day < visits.users.length; day++) {
      const arms: BanditArm[] = [0, 1].map((k) => ({ pulls: pulls[k], rewards: rewards[k] }));
      const propensity =
        this.policy === "thompson"
          ? thompsonSelectionProbability(arms, undefined, context.integrationNodes)
          : this.policy === "epsilonGreedy"
            ? epsilonGreedySelectionProbability(arms, context.epsilon)
            : [0.5, 0.5];
      const dayUsers = visits.users[day];
      const dayClicks = visits.clickUniforms[day];
      for (let i = 0; i < dayUsers.length; i++) {
        const u = dayUsers[i];
        const arm =
          this.policy === "abTest"
            ? assignment[u]
            : this.policy === "uniformPerVisit"
              ? this.random.float() < 0.5
                ? 1
                : 0
              : this.policy === "thompson"
                ? thompsonSamplingChoice(arms, this.random)
                : epsilonGreedyChoice(arms, context.epsilon, this.random);
        const clicked = dayClicks[i] < ctr[arm][u] ? 1 : 0;
        pulls[arm]++;
        rewards[arm] += clicked;
        ipw[arm] += clicked / propensity[arm];
        truth[0] += ctr[0][u];
        truth[1] += ctr[1][u];
        expected += ctr[arm][u];
        bestExpected += ctr[better][u];
        visitsTotal++;
        if (perUser) {
          perUser.impressions[u]++;
          perUser.clicks[u] += clicked;
        }
      }
    }
    this.challengerShare.add(pulls[1] / visitsTotal);
    this.expectedClicks.add(expected);
    this.regret.add(bestExpected - expected);
    const [truth0, truth1] = truth.map((t) => t / visitsTotal);
    const [ipw0, ipw1] = ipw.map((t) => t / visitsTotal);
    this.ipwBias.baseline.add(ipw0 - truth0);
    this.ipwBias.challenger.add(ipw1 - truth1);
    this.ipwBias.difference.add(ipw1 - ipw0 - (truth1 - truth0));
    const [, probabilityChallengerBetter] = thompsonSelectionProbability(
      [0, 1].map((k) => ({ pulls: pulls[k], rewards: rewards[k] })),
    );
    this.probabilitySum += probabilityChallengerBetter;
    if (probabilityChallengerBetter > 1 - alpha || probabilityChallengerBetter < alpha) this.winners++;
    if ((probabilityChallengerBetter > 0.5 ? 1 : 0) === better) this.picksBetter++;
    if (pulls[0] === 0 || pulls[1] === 0) {
      this.undefinedExperiments++;
      return;
    }
    this.defined++;
    const [naive0, naive1] = [0, 1].map((k) => rewards[k] / pulls[k]);
    this.naiveBias.baseline.add(naive0 - truth0);
    this.naiveBias.challenger.add(naive1 - truth1);
    this.naiveBias.difference.add(naive1 - naive0 - (truth1 - truth0));
    const z = twoProportionZTest({
      control: { units: pulls[0], clicks: rewards[0] },
      treatment: { units: pulls[1], clicks: rewards[1] },
    });
    if (z.pValue < alpha) this.naiveRejections++;
    if (perUser) {
      const arm = (k: number) => {
        const members = [...assignment.keys()].filter((u) => assignment[u] === k);
        return ratioSummaryFromUsers(
          members.map((u) => perUser.clicks[u]),
          members.map((u) => perUser.impressions[u]),
        );
      };
      const { difference } = compareRatioArms(arm(0), arm(1), { alpha });
      if (difference.pValueTwoSided < alpha) this.deltaRejections++;
    }
  }

  result(experiments: number): PolicyFigures {
    return {
      challengerShare: this.challengerShare.result(),
      expectedClicks: this.expectedClicks.result(),
      regret: this.regret.result(),
      naiveBias: armResult(this.naiveBias),
      ipwBias: armResult(this.ipwBias),
      naiveZTest: rejectionRate(this.naiveRejections, this.defined),
      deltaMethod: this.policy === "abTest" ? rejectionRate(this.deltaRejections, this.defined) : null,
      meanProbabilityChallengerBetter: this.probabilitySum / experiments,
      posteriorDeclaresWinner: rejectionRate(this.winners, experiments),
      posteriorPicksBetter: this.hasBetterModel ? rejectionRate(this.picksBetter, experiments) : null,
      undefinedExperiments: this.undefinedExperiments,
    };
  }
}

function requireInteger(value: number, field: string, minimum: number): number {
  if (!(Number.isInteger(value) && value >= minimum))
    throw new InputError(`expected an integer >= ${minimum}, got ${value}`, { field });
  return value;
}

/**
 * Runs the study: `experiments` experiments of `experimentDays` days, each with its own visits, clicks and split,
 * every policy of both scenarios on them. Pure and seeded: the same options give the same figures.
 *
 * @example
 * const study = banditStudy({ rates, baselineCtr, challengerCtr, experimentDays: 14, seed: 20261203 });
 * study.challenger.thompson.regret.mean;          // => expected clicks lost, below the A/B test's
 * study.aa.thompson.naiveZTest.rate;              // => the fixed-n z-test's type-I error under Thompson sampling
 * study.challenger.thompson.ipwBias.difference;   // => mean about 0 within its standard error
 */
export function banditStudy(options: BanditStudyOptions): BanditStudy {
  const users = options.rates.length;
  if (users < 4) throw new InputError(`expected at least 4 users, got ${users}`, { field: "rates" });
  const rates = probabilities(options.rates, users, "rates");
  if (!rates.some((r) => r > 0))
    throw new InputError("expected at least one user with a positive visit rate", { field: "rates" });
  const baselineCtr = probabilities(options.baselineCtr, users, "baselineCtr");
  const challengerCtr = probabilities(options.challengerCtr, users, "challengerCtr");
  const experimentDays = requireInteger(options.experimentDays, "experimentDays", 1);
  const experiments = requireInteger(options.experiments ?? 500, "experiments", 2);
  const epsilon = options.epsilon ?? SELDON_DEFAULT_EPSILON;
  if (!(epsilon >= 0 && epsilon <= 1))
    throw new InputError(`expected an exploration probability in [0, 1], got ${epsilon}`, {
      field: "epsilon",
    });
  const alpha = requireOpenUnit(options.alpha ?? 0.05, "alpha");
  const integrationNodes = requireInteger(options.integrationNodes ?? 200, "integrationNodes", 10);
  if (!Number.isInteger(options.seed))
    throw new InputError(`expected an integer seed, got ${options.seed}`, { field: "seed" });

  const baselineTruth = truthPerImpression(rates, baselineCtr);
  const challengerTruth = truthPerImpression(rates, challengerCtr);
  const better = challengerTruth > baselineTruth ? 1 : 0;

  const visitRandom = new Random(options.seed);
  const splitRandom = visitRandom.fork();
  const tally = (policy: BanditStudyPolicy, hasBetterModel: boolean) =>
    new PolicyTally(policy, visitRandom.fork(), hasBetterModel);
  const challenger = {
    abTest: tally("abTest", true),
    thompson: tally("thompson", true),
    epsilonGreedy: tally("epsilonGreedy", true),
  };
  const aa = {
    abTest: tally("abTest", false),
    uniformPerVisit: tally("uniformPerVisit", false),
    thompson: tally("thompson", false),
  };
  const order = Array.from({ length: users }, (_, u) => u);
  const assignment = new Uint8Array(users);
  const contexts = {
    challenger: { ctr: [baselineCtr, challengerCtr], better } as const,
    aa: { ctr: [baselineCtr, baselineCtr], better: 0 } as const,
  };
  let visitsTotal = 0;

  for (let e = 0; e < experiments; e++) {
    splitRandom.shuffle(order);
    order.forEach((u, i) => (assignment[u] = i < Math.floor(users / 2) ? 0 : 1));
    const visits: ExperimentVisits = { users: [], clickUniforms: [] };
    for (let day = 0; day < experimentDays; day++) {
      const dayUsers: number[] = [];
      for (let u = 0; u < users; u++) if (visitRandom.float() < rates[u]) dayUsers.push(u);
      visits.users.push(Int32Array.from(dayUsers));
      visits.clickUniforms.push(Float64Array.from(dayUsers, () => visitRandom.float()));
      visitsTotal += dayUsers.length;
    }
    for (const [scenario, tallies] of [
      ["challenger", challenger],
      ["aa", aa],
    ] as const)
      for (const policyTally of Object.values(tallies))
        policyTally.run(
          visits,
          { ...contexts[scenario], assignment, epsilon, integrationNodes },
          users,
          alpha,
        );
  }

  const results = <K extends string>(tallies: Record<K, PolicyTally>) =>
    Object.fromEntries(
      Object.entries<PolicyTally>(tallies).map(([k, t]) => [k, t.result(experiments)]),
    ) as Record<K, PolicyFigures>;
  return {
    options: { users, experimentDays, experiments, epsilon, alpha, integrationNodes, seed: options.seed },
    truth: {
      baseline: baselineTruth,
      challenger: challengerTruth,
      better: better ? "challenger" : "baseline",
    },
    meanVisits: visitsTotal / experiments,
    challenger: results(challenger),
    aa: results(aa),
  };
}
