/**
 * The wrong analysis shown as such: a seeded A/A study (both arms the baseline) of CTR per impression when users
 * are randomised and come back. It measures the type-I error and the power of the naive pooled z-test on
 * impressions (../stats/proportions-test `twoProportionZTest`, which treats every impression as an independent
 * trial) and of the delta-method z-test with users as the unit (../stats/ratio-metric `compareRatioArms`).
 *
 * Visit model (until the calendar simulation replaces it), the one ../stats/ratio-power.ts sizes the test for:
 * a fixed population of users, each with a CTR p_u ~ Beta(1, b) with mean `meanCtr` (b = 1 / meanCtr - 1, drawn
 * by inversion 1 - U^(1/b)) and a visit rate r_u ~ Exponential(mean `meanVisitsPerDay`) per day, a Gamma of
 * shape 1 (most users rare, a few frequent), independent. One visit is one impression with at most one click.
 * Each experiment splits the users 50/50 at random, draws each user's impressions over `days` days as
 * Poisson(r_u days) and each impression's click as Bernoulli(p_u), or Bernoulli(min(1, p_u + lift)) in the
 * treatment for power, then tests one-sided ("treatment greater") at `alpha`.
 */
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import { twoProportionZTest } from "../stats/proportions-test";
import { compareRatioArms, type RatioSummary } from "../stats/ratio-metric";

/** How many impressions each user has: the Poisson visit model above, or exactly one (the control case). */
export type AaStudyVisits = "poisson" | "one-per-user";

export interface RatioMetricAaStudyOptions {
  /** Users in the population, split 50/50 in each experiment (an even number >= 4). */
  readonly users: number;
  readonly days: number;
  /** Mean of the users' visit rates, visits (impressions) per user per day. */
  readonly meanVisitsPerDay: number;
  /** Mean of the users' CTRs per impression, in (0, 0.5]. */
  readonly meanCtr: number;
  /** Simulated experiments per rejection rate (A/A, and again for power when `lift` is given). */
  readonly experiments: number;
  /** Additive lift of every treatment user's CTR for the power study; omitted: A/A only. */
  readonly lift?: number;
  /** One-sided significance level, default 0.05. */
  readonly alpha?: number;
  /** Default "poisson". */
  readonly visits?: AaStudyVisits;
  readonly seed: number;
}

/** How often a test rejected, with the binomial standard error sqrt(rate (1 - rate) / experiments). */
export interface RejectionRate {
  readonly rejections: number;
  readonly experiments: number;
  readonly rate: number;
  readonly standardError: number;
}

export interface TestRejectionRates {
  /** The pooled two-proportion z-test on impressions. */
  readonly naive: RejectionRate;
  /** The delta-method z-test on CTR per impression, users as the unit. */
  readonly deltaMethod: RejectionRate;
}

export interface RatioMetricAaStudy {
  readonly options: Required<Omit<RatioMetricAaStudyOptions, "lift">> & { readonly lift: number | null };
  /** Rejection rates with both arms the baseline: the type-I error of each test. */
  readonly typeOneError: TestRejectionRates;
  /** Rejection rates with the treatment's CTRs raised by `lift`; null without a lift. */
  readonly power: TestRejectionRates | null;
  /** Mean impressions per user over the experiments (A/A), to state the setting. */
  readonly meanImpressionsPerUser: number;
}

function rejectionRate(rejections: number, experiments: number): RejectionRate {
  const rate = rejections / experiments;
  return { rejections, experiments, rate, standardError: Math.sqrt((rate * (1 - rate)) / experiments) };
}

function requirePositive(value: number, field: string, integer = false): number {
  if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value))))
    throw new InputError(`expected a positive ${integer ? "integer" : "number"}, got ${value}`, { field });
  return value;
}

/** Per-arm sums of one experiment: the delta method's ratio summaries and the naive test's counts. */
interface ArmSums {
  users: number;
  clicks: number;
  clicksSquared: number;
  impressions: number;
  impressionsSquared: number;
  products: number;
}

const emptyArm = (): ArmSums => ({
  users: 0,
  clicks: 0,
  clicksSquared: 0,
  impressions: 0,
  impressionsSquared: 0,
  products: 0,
});

const ratioSummaryOf = (arm: ArmSums): RatioSummary => ({
  users: arm.users,
  numeratorSum: arm.clicks,
  numeratorSumOfSquares: arm.clicksSquared,
  denominatorSum: arm.impressions,
  denominatorSumOfSquares: arm.impressionsSquared,
  sumOfProducts: arm.products,
});

/**
 * Runs the study: one population drawn from `seed`, then `experiments` A/A experiments and, with `lift`, as many
 * with the lift, each with its own assignment, impressions and clicks. An experiment where an arm has no
 * impressions or no clicks counts as not rejected by both tests (the ratio and its test are undefined); at the
 * settings this study is run at it does not happen.
 *
 * @example
 * const study = ratioMetricAaStudy({ users: 592, days: 14, meanVisitsPerDay: 1 / 3, meanCtr: 0.07,
 *   experiments: 2000, lift: 0.04, seed: 20261201 });
 * study.typeOneError.deltaMethod.rate; // => about 0.05; study.typeOneError.naive.rate well above it
 */
export function ratioMetricAaStudy(options: RatioMetricAaStudyOptions): RatioMetricAaStudy {
  const users = requirePositive(options.users, "users", true);
  if (users < 4 || users % 2 !== 0)
    throw new InputError(`expected an even number of users >= 4 (split 50/50), got ${users}`, {
      field: "users",
    });
  const days = requirePositive(options.days, "days");
  const meanVisitsPerDay = requirePositive(options.meanVisitsPerDay, "meanVisitsPerDay");
  const meanCtr = requirePositive(options.meanCtr, "meanCtr");
  if (meanCtr > 0.5)
    throw new InputError(`expected a mean CTR in (0, 0.5] (Beta(1, b) needs b >= 1), got ${meanCtr}`, {
      field: "meanCtr",
    });
  const experiments = requirePositive(options.experiments, "experiments", true);
  const lift = options.lift ?? null;
  if (lift !== null && !(Number.isFinite(lift) && lift > 0 && lift < 1))
    throw new InputError(`expected a lift in (0, 1), got ${lift}`, { field: "lift" });
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1))
    throw new InputError(`expected alpha in (0, 1), got ${alpha}`, { field: "alpha" });
  const visits = options.visits ?? "poisson";
  if (visits !== "poisson" && visits !== "one-per-user")
    throw new InputError(`expected "poisson" or "one-per-user", got ${String(visits)}`, { field: "visits" });

  const random = new Random(options.seed);
  const populationRandom = random.fork();
  const ctrShape = 1 / meanCtr - 1;
  const ctr = Float64Array.from(
    { length: users },
    () => 1 - (1 - populationRandom.float()) ** (1 / ctrShape),
  );
  const rate = Float64Array.from(
    { length: users },
    () => -meanVisitsPerDay * Math.log(1 - populationRandom.float()),
  );

  const order = Array.from({ length: users }, (_, u) => u);
  const run = (experimentRandom: Random, treatmentLift: number) => {
    let naive = 0;
    let deltaMethod = 0;
    let impressionsTotal = 0;
    for (let e = 0; e < experiments; e++) {
      experimentRandom.shuffle(order);
      const arms = [emptyArm(), emptyArm()];
      for (let i = 0; i < users; i++) {
        const u = order[i];
        const treated = i >= users / 2;
        const arm = arms[treated ? 1 : 0];
        const impressions = visits === "poisson" ? experimentRandom.poisson(rate[u] * days) : 1;
        const clicks = experimentRandom.binomial(
          impressions,
          treated ? Math.min(1, ctr[u] + treatmentLift) : ctr[u],
        );
        arm.users++;
        arm.clicks += clicks;
        arm.clicksSquared += clicks * clicks;
        arm.impressions += impressions;
        arm.impressionsSquared += impressions * impressions;
        arm.products += clicks * impressions;
        impressionsTotal += impressions;
      }
      const [control, treatment] = arms;
      if (control.clicks === 0 || treatment.clicks === 0) continue;
      const naiveTest = twoProportionZTest(
        {
          control: { units: control.impressions, clicks: control.clicks },
          treatment: { units: treatment.impressions, clicks: treatment.clicks },
        },
        "greater",
      );
      if (naiveTest.pValue < alpha) naive++;
      const comparison = compareRatioArms(ratioSummaryOf(control), ratioSummaryOf(treatment), { alpha });
      if (comparison.difference.pValueGreater < alpha) deltaMethod++;
    }
    return {
      rates: {
        naive: rejectionRate(naive, experiments),
        deltaMethod: rejectionRate(deltaMethod, experiments),
      },
      meanImpressionsPerUser: impressionsTotal / (experiments * users),
    };
  };
  const aa = run(random.fork(), 0);
  const withLift = lift === null ? null : run(random.fork(), lift);
  return {
    options: { users, days, meanVisitsPerDay, meanCtr, experiments, lift, alpha, visits, seed: options.seed },
    typeOneError: aa.rates,
    power: withLift?.rates ?? null,
    meanImpressionsPerUser: aa.meanImpressionsPerUser,
  };
}
