/**
 * The wrong analysis shown as such, on the simulated calendar: a seeded study of many simulated experiments on one
 * fixed population, measuring the type-I error, power and interval coverage of the tests of CTR per impression when
 * users are randomised and come back: the naive pooled z-test on impressions (../stats/proportions-test
 * `twoProportionZTest`, which treats every impression as an independent trial), the delta-method z-test with users
 * as the unit (../stats/ratio-metric `compareRatioArms`) and its CUPED adjustment with the pre-period as covariate
 * (../stats/cuped `cupedRatioTest`, Welch t).
 *
 * Visit process (./calendar.ts): user u visits on each day with their own probability r_u (a Bernoulli per
 * user-day); one visit is one impression of their slate, clicked with probability c_{u,m}, the exact CTR of their
 * slate under model m (./click-model `expectedSlateCtr`): a returning user sees the same slate. `preDays` days come
 * first with everyone on the baseline, then `experimentDays` days in which each experiment's own random 50/50 split
 * (the model of the hash routing, ../serving/assignment.ts) shows the treatment half its model. Every user of the
 * population is randomised and counts in the analysis, with 0 impressions when they never came (as
 * ../stats/ratio-power.ts assumes); the delta-method ratio does not depend on them, its variance hardly does.
 *
 * Three scenarios share each experiment's split, visits and click uniforms (common random numbers: a click is
 * U < c, so the scenarios differ only where the CTRs do): A/A (both arms the baseline), the real challenger
 * (`challengerCtr`), and an additive `lift` on every treatment user's CTR (capped at 1). The truth of model m per
 * impression is sum_u r_u c_{u,m} / sum_u r_u (expected clicks over expected impressions); the true difference
 * of a scenario is the treatment's truth minus the baseline's.
 */
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import { cupedRatioSummaryFromUsers, cupedRatioTest } from "../stats/cuped";
import { twoProportionZTest } from "../stats/proportions-test";
import { compareRatioArms } from "../stats/ratio-metric";
import { requireOpenUnit } from "../stats/summary";

export interface CalendarAaStudyOptions {
  /** Daily visit probability r_u of each user, in [0, 1] (./calendar.ts `visitRates`). */
  readonly rates: ArrayLike<number>;
  /** Exact CTR per impression of each user's baseline slate, aligned with `rates`, in [0, 1]. */
  readonly baselineCtr: ArrayLike<number>;
  /** Exact CTR per impression of each user's challenger slate, aligned with `rates`; omitted: no such power. */
  readonly challengerCtr?: ArrayLike<number>;
  /** Days of pre-period (everyone on the baseline; CUPED's covariate), an integer >= 1. */
  readonly preDays: number;
  /** Days of experiment, an integer >= 1. */
  readonly experimentDays: number;
  /** Simulated experiments per scenario (they share their draws). Default 2000. */
  readonly experiments?: number;
  /** One-sided ("treatment greater") significance level of the three tests. Default 0.05. */
  readonly alpha?: number;
  /** Additive lift of every treatment user's CTR for a power scenario, in (0, 1); omitted: none. */
  readonly lift?: number;
  readonly seed: number;
}

/** How often an event happened over the experiments, with the binomial SE sqrt(rate (1 - rate) / experiments). */
export interface RejectionRate {
  readonly rejections: number;
  readonly experiments: number;
  readonly rate: number;
  readonly standardError: number;
}

export interface TestRejectionRates {
  /** The pooled two-proportion z-test on impressions. */
  readonly naive: RejectionRate;
  /** The delta-method z-test of CTR per impression, users as the unit. */
  readonly deltaMethod: RejectionRate;
  /** The CUPED-adjusted delta-method test (pre-period CTR as covariate, Welch t). */
  readonly cuped: RejectionRate;
}

/** One scenario's figures over the experiments. */
export interface CalendarScenario {
  /** Treatment truth - baseline truth per impression (0 in A/A). */
  readonly trueDifference: number;
  /** Rejection rates at one-sided `alpha`: the type-I error in A/A, the power otherwise. */
  readonly rejections: TestRejectionRates;
  /** How often the delta method's two-sided 95% interval held `trueDifference` ("rejections" = covered). */
  readonly coverage: RejectionRate;
  /** Mean of the delta-method difference estimates (its bias is this minus `trueDifference`). */
  readonly meanDifference: number;
  /** Mean share of the difference's variance that CUPED removed (`varianceReduction` of `cupedRatioTest`). */
  readonly meanCupedVarianceReduction: number;
  /**
   * Experiments where a test was undefined (an arm without clicks or without pre-period impressions), counted as
   * not rejected and not covered; 0 at realistic settings.
   */
  readonly undefinedExperiments: number;
}

export interface CalendarAaStudy {
  readonly options: {
    readonly users: number;
    readonly preDays: number;
    readonly experimentDays: number;
    readonly experiments: number;
    readonly alpha: number;
    readonly lift: number | null;
    readonly seed: number;
  };
  /** Truth per impression, sum_u r_u c_u / sum_u r_u, of each model (null when not given). */
  readonly truth: {
    readonly baseline: number;
    readonly challenger: number | null;
    readonly lifted: number | null;
  };
  /** Mean impressions per user over the experiments, in the pre-period and in the experiment. */
  readonly meanImpressionsPerUser: { readonly pre: number; readonly experiment: number };
  readonly aa: CalendarScenario;
  readonly challenger: CalendarScenario | null;
  readonly lift: CalendarScenario | null;
}

/** The confidence of the interval whose coverage is measured. */
const COVERAGE_CONFIDENCE = 0.95;

/** `rejections` of `experiments` as a `RejectionRate`. */
export function rejectionRate(rejections: number, experiments: number): RejectionRate {
  const rate = rejections / experiments;
  return { rejections, experiments, rate, standardError: Math.sqrt((rate * (1 - rate)) / experiments) };
}

function requireInteger(value: number, field: string, minimum: number): number {
  if (!(Number.isInteger(value) && value >= minimum))
    throw new InputError(`expected an integer >= ${minimum}, got ${value}`, { field });
  return value;
}

/** `values` as probabilities, one per user, or an InputError naming `field` and the first bad index. */
export function probabilities(values: ArrayLike<number>, users: number, field: string): Float64Array {
  if (values.length !== users)
    throw new InputError(`expected one value per user (${users}), got ${values.length}`, { field });
  const out = Float64Array.from(values);
  out.forEach((p, u) => {
    if (!(p >= 0 && p <= 1))
      throw new InputError(`expected a probability in [0, 1] at index ${u}, got ${p}`, { field });
  });
  return out;
}

/** sum_u r_u c_u / sum_u r_u: expected clicks over expected impressions. */
export function truthPerImpression(rates: Float64Array, ctr: Float64Array): number {
  let clicks = 0;
  let impressions = 0;
  rates.forEach((r, u) => {
    clicks += r * ctr[u];
    impressions += r;
  });
  return clicks / impressions;
}

/** Running tallies of one scenario. */
class ScenarioTally {
  naive = 0;
  deltaMethod = 0;
  cuped = 0;
  covered = 0;
  differenceSum = 0;
  varianceReductionSum = 0;
  defined = 0;
  undefinedExperiments = 0;

  constructor(readonly trueDifference: number) {}

  result(experiments: number): CalendarScenario {
    return {
      trueDifference: this.trueDifference,
      rejections: {
        naive: rejectionRate(this.naive, experiments),
        deltaMethod: rejectionRate(this.deltaMethod, experiments),
        cuped: rejectionRate(this.cuped, experiments),
      },
      coverage: rejectionRate(this.covered, experiments),
      meanDifference: this.differenceSum / this.defined,
      meanCupedVarianceReduction: this.varianceReductionSum / this.defined,
      undefinedExperiments: this.undefinedExperiments,
    };
  }
}

/**
 * Runs the study: `experiments` experiments, each with its own 50/50 split (the odd user, if any, in the
 * treatment), pre-period and experiment visits and clicks, tested in every scenario given. Pure and seeded: the
 * same options give the same figures, and the A/A figures do not depend on whether `challengerCtr` or `lift` are
 * given (the draws are the same).
 *
 * @example
 * const rates = visitRates(population.userIds, {}, new Random(20261128)).rates;
 * const study = calendarAaStudy({ rates, baselineCtr, challengerCtr, preDays: 7, experimentDays: 14,
 *   lift: 0.04, seed: 20261201 });
 * study.aa.rejections.deltaMethod.rate; // => about 0.05; study.aa.rejections.naive.rate above it
 */
export function calendarAaStudy(options: CalendarAaStudyOptions): CalendarAaStudy {
  const users = options.rates.length;
  if (users < 4) throw new InputError(`expected at least 4 users, got ${users}`, { field: "rates" });
  const rates = probabilities(options.rates, users, "rates");
  if (!rates.some((r) => r > 0))
    throw new InputError("expected at least one user with a positive visit rate", { field: "rates" });
  const baselineCtr = probabilities(options.baselineCtr, users, "baselineCtr");
  const challengerCtr =
    options.challengerCtr === undefined ? null : probabilities(options.challengerCtr, users, "challengerCtr");
  const preDays = requireInteger(options.preDays, "preDays", 1);
  const experimentDays = requireInteger(options.experimentDays, "experimentDays", 1);
  const experiments = requireInteger(options.experiments ?? 2000, "experiments", 1);
  const alpha = requireOpenUnit(options.alpha ?? 0.05, "alpha");
  const lift = options.lift ?? null;
  if (lift !== null && !(lift > 0 && lift < 1))
    throw new InputError(`expected an additive lift in (0, 1), got ${lift}`, { field: "lift" });
  if (!Number.isInteger(options.seed))
    throw new InputError(`expected an integer seed, got ${options.seed}`, { field: "seed" });

  const liftedCtr = lift === null ? null : baselineCtr.map((c) => Math.min(1, c + lift));
  const baselineTruth = truthPerImpression(rates, baselineCtr);
  // Each scenario: the treatment arm's CTRs (A/A's is the baseline) and its truth.
  const scenarioOf = (treatmentCtr: Float64Array) => {
    const truth = truthPerImpression(rates, treatmentCtr);
    return { treatmentCtr, truth, tally: new ScenarioTally(truth - baselineTruth) };
  };
  const aaScenario = scenarioOf(baselineCtr);
  const challengerScenario = challengerCtr && scenarioOf(challengerCtr);
  const liftScenario = liftedCtr && scenarioOf(liftedCtr);
  const scenarios = [aaScenario, challengerScenario, liftScenario].filter(
    (s): s is typeof aaScenario => s !== null,
  );

  const random = new Random(options.seed);
  const order = Array.from({ length: users }, (_, u) => u);
  const controlUsers = Math.floor(users / 2);
  const treated = new Uint8Array(users);
  const preImpressions = new Int32Array(users);
  const preClicks = new Int32Array(users);
  const impressions = new Int32Array(users);
  const clicks = scenarios.map(() => new Int32Array(users));
  let preImpressionsTotal = 0;
  let impressionsTotal = 0;
  const intervalAlpha = 1 - COVERAGE_CONFIDENCE;

  for (let e = 0; e < experiments; e++) {
    random.shuffle(order);
    for (let i = 0; i < users; i++) treated[order[i]] = i >= controlUsers ? 1 : 0;
    preImpressions.fill(0);
    preClicks.fill(0);
    impressions.fill(0);
    for (const counts of clicks) counts.fill(0);
    for (let day = 0; day < preDays; day++)
      for (let u = 0; u < users; u++) {
        if (!(random.float() < rates[u])) continue;
        preImpressions[u]++;
        if (random.float() < baselineCtr[u]) preClicks[u]++;
      }
    for (let day = 0; day < experimentDays; day++)
      for (let u = 0; u < users; u++) {
        if (!(random.float() < rates[u])) continue;
        impressions[u]++;
        const click = random.float();
        for (let s = 0; s < scenarios.length; s++)
          if (click < (treated[u] ? scenarios[s].treatmentCtr[u] : baselineCtr[u])) clicks[s][u]++;
      }
    for (let u = 0; u < users; u++) {
      preImpressionsTotal += preImpressions[u];
      impressionsTotal += impressions[u];
    }

    const arms = [order.slice(0, controlUsers), order.slice(controlUsers)];
    scenarios.forEach(({ tally }, s) => {
      const [control, treatment] = arms.map((members) =>
        cupedRatioSummaryFromUsers({
          numerator: members.map((u) => clicks[s][u]),
          denominator: members.map((u) => impressions[u]),
          preNumerator: members.map((u) => preClicks[u]),
          preDenominator: members.map((u) => preImpressions[u]),
        }),
      );
      if (
        control.numeratorSum === 0 ||
        treatment.numeratorSum === 0 ||
        control.preNumeratorSum === 0 ||
        treatment.preNumeratorSum === 0
      ) {
        tally.undefinedExperiments++;
        return;
      }
      const naive = twoProportionZTest(
        {
          control: { units: control.denominatorSum, clicks: control.numeratorSum },
          treatment: { units: treatment.denominatorSum, clicks: treatment.numeratorSum },
        },
        "greater",
      );
      if (naive.pValue < alpha) tally.naive++;
      const { difference } = compareRatioArms(control, treatment, { alpha: intervalAlpha });
      if (difference.pValueGreater < alpha) tally.deltaMethod++;
      const { lower, upper } = difference.intervalTwoSided;
      if (lower <= tally.trueDifference && tally.trueDifference <= upper) tally.covered++;
      const cuped = cupedRatioTest(control, treatment, { alternative: "greater" });
      if (cuped.pValue < alpha) tally.cuped++;
      tally.differenceSum += difference.estimate;
      tally.varianceReductionSum += cuped.varianceReduction;
      tally.defined++;
    });
  }

  return {
    options: { users, preDays, experimentDays, experiments, alpha, lift, seed: options.seed },
    truth: {
      baseline: baselineTruth,
      challenger: challengerScenario?.truth ?? null,
      lifted: liftScenario?.truth ?? null,
    },
    meanImpressionsPerUser: {
      pre: preImpressionsTotal / (experiments * users),
      experiment: impressionsTotal / (experiments * users),
    },
    aa: aaScenario.tally.result(experiments),
    challenger: challengerScenario?.tally.result(experiments) ?? null,
    lift: liftScenario?.tally.result(experiments) ?? null,
  };
}
