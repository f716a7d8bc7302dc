/**
 * Power and duration of an experiment whose primary metric is a ratio (CTR per impression) when users are the
 * randomisation unit and come back: the design effect measured in pre-period data, the power of the
 * delta-method z-test (src/stats/ratio-metric.ts) for an absolute lift, the users per arm for a target power, and
 * the days a fixed population needs to reach it.
 *
 * The visit model (the simulation's: one visit is one impression, at most one click per visit, so a user's
 * clicks are Bernoulli trials at their own CTR). User u visits as a Poisson process at their own rate r_u per
 * day and clicks each visit with their own probability p_u; (r_u, p_u) vary across users in any way. Over d days
 * D_u ~ Poisson(r_u d) and M_u | D_u ~ Binomial(D_u, p_u), so M_u and D_u - M_u are independent Poisson counts.
 * With R = E[r p] / E[r] the population CTR and rbar = E[r] the impressions per user per day, the delta-method
 * per-user variance var(M - R D) / E[D]^2 (Deng, Knoblich & Lu 2018, "Applying the Delta Method in Metric
 * Analytics", KDD, section 3) is exactly
 *
 *     var_u(d) = R (1 - R) / (d rbar) + B,        B = E[r^2 (p - R)^2] / rbar^2,
 *
 * a within-user (binomial) part that shrinks as users accumulate impressions, and a between-user part B, from
 * users' CTRs differing, that does not: more days cannot push the variance below B / n. Users who never visit
 * count in n with D_u = 0 (they are randomised too). Fitted from a pre-period of P days over the whole
 * population: rbar = mean impressions per user / P, and B = (the pre-period's delta-method per-user variance) -
 * R (1 - R) / (P rbar), floored at 0 (a negative estimate is sampling noise). The treatment is modelled as an
 * additive lift delta for every user, p_u + delta: its within part is (R + delta)(1 - R - delta) / (d rbar), B
 * is unchanged.
 */
import { InputError } from "../core/errors";
import { normalCdf, normalQuantile } from "./distributions";
import {
  type RatioArm,
  ratioArm,
  type RatioSummary,
  ratioSummary,
  ratioSummaryFromUsers,
} from "./ratio-metric";
import { requireOpenUnit, requirePositive } from "./summary";

/**
 * The design effect of a ratio metric: the delta-method variance of the ratio divided by the variance the same
 * ratio would have if its T = n mbar impressions were independent Bernoulli trials, R (1 - R) / (T - 1) (the
 * same n - 1 convention as the delta method's sample moments), so
 *
 *     deff = var_u (mbar - 1/n) / (R (1 - R))      (about var_u mbar / (R (1 - R)) for large n)
 *
 * with var_u the per-user delta-method variance and mbar the mean impressions per user. It is Kish's design
 * effect of a cluster sample (Kish 1965, Survey Sampling, cluster sampling; deff = 1 + (mbar - 1) rho for equal
 * clusters) with users as clusters: exactly 1 with one 0/1 impression per user, above 1 when users' CTRs differ.
 *
 * @example
 * ratioDesignEffect(ratioArm(ratioSummaryFromUsers([1, 0, 0, 1], [1, 1, 1, 1]))); // => 1
 * // users who click all or nothing: 5 (Kish's 1 + (mbar - 1) rho = 4 plus the small-n terms)
 * ratioDesignEffect(ratioArm(ratioSummaryFromUsers([4, 0, 0, 4], [4, 4, 4, 4]))); // => 5
 */
export function ratioDesignEffect(
  arm: Pick<RatioArm, "users" | "ratio" | "denominatorMean" | "perUserVariance">,
): number {
  if (!(arm.ratio > 0 && arm.ratio < 1))
    throw new InputError(`expected a ratio strictly between 0 and 1, got ${arm.ratio}`, { field: "ratio" });
  return (arm.perUserVariance * (arm.denominatorMean - 1 / arm.users)) / (arm.ratio * (1 - arm.ratio));
}

/** The fitted visit model (see the module comment). */
export interface RatioVarianceModel {
  /** N: the users randomised, including those without impressions */
  readonly population: number;
  /** R: the control's CTR per impression */
  readonly baselineRatio: number;
  /** rbar: mean impressions (visits) per user per day over the population */
  readonly impressionsPerUserPerDay: number;
  /** B: the between-user part of the per-user variance, >= 0 */
  readonly betweenUserVariance: number;
}

/** The model with the pre-period figures it was fitted from. */
export interface FittedRatioVarianceModel extends RatioVarianceModel {
  readonly prePeriod: {
    readonly days: number;
    readonly perUserVariance: number;
    readonly designEffect: number;
    /** B before the floor at 0; negative when the pre-period shows less variance than binomial noise */
    readonly betweenUserVarianceEstimate: number;
  };
}

/**
 * Fits the visit model to a pre-period's per-user sums over `days` days (clicks as numerator, impressions as
 * denominator). `population` (default: the users in the summary) adds users who had no impression in the
 * pre-period; it cannot be smaller than the summary's users.
 *
 * @example
 * // 4 users seen in 2 days, 2 more who did not visit
 * const model = ratioVarianceModel(ratioSummaryFromUsers([0, 1, 2, 0], [0, 2, 6, 2]), 2, 6);
 * model.impressionsPerUserPerDay; // => 0.8333333 (10 impressions / 6 users / 2 days)
 * model.baselineRatio; // => 0.3
 * model.prePeriod.perUserVariance; // => 0.04032, below the within part 0.3 * 0.7 / (10 / 6), so
 * model.betweenUserVariance; // => 0
 */
export function ratioVarianceModel(
  prePeriod: RatioSummary,
  days: number,
  population: number = prePeriod.users,
): FittedRatioVarianceModel {
  requirePositive(days, "pre-period days");
  if (!(Number.isInteger(population) && population >= prePeriod.users))
    throw new InputError(
      `expected an integer population of at least the pre-period's ${prePeriod.users} users, got ${population}`,
      { field: "population" },
    );
  // Users absent from the pre-period have M_u = D_u = 0: the sums stay, the count grows.
  const arm = ratioArm(ratioSummary({ ...prePeriod, users: population }, "pre-period"));
  if (!(arm.ratio > 0 && arm.ratio < 1))
    throw new InputError(`expected a pre-period CTR strictly between 0 and 1, got ${arm.ratio}`, {
      field: "pre-period",
    });
  const betweenUserVarianceEstimate =
    arm.perUserVariance - (arm.ratio * (1 - arm.ratio)) / arm.denominatorMean;
  return {
    population,
    baselineRatio: arm.ratio,
    impressionsPerUserPerDay: arm.denominatorMean / days,
    betweenUserVariance: Math.max(0, betweenUserVarianceEstimate),
    prePeriod: {
      days,
      perUserVariance: arm.perUserVariance,
      designEffect: ratioDesignEffect(arm),
      betweenUserVarianceEstimate,
    },
  };
}

/**
 * The per-user delta-method variance after `days` days, var_u(d) = q (1 - q) / (d rbar) + B with q = R + lift
 * (lift 0: the control; see the module comment).
 *
 * @example
 * perUserRatioVariance({ population: 100, baselineRatio: 0.1, impressionsPerUserPerDay: 0.5,
 *   betweenUserVariance: 0.01 }, 2); // => 0.09 + 0.01 = 0.1
 */
export function perUserRatioVariance(model: RatioVarianceModel, days: number, lift = 0): number {
  requirePositive(days, "days");
  const q = model.baselineRatio + lift;
  if (!(q > 0 && q < 1))
    throw new InputError(`expected baseline + lift strictly between 0 and 1, got ${q}`, { field: "lift" });
  return (q * (1 - q)) / (days * model.impressionsPerUserPerDay) + model.betweenUserVariance;
}

/**
 * The design effect of the model's control arm after `days` days (`ratioDesignEffect`); it grows with the
 * days, about 1 + B d rbar / (R (1 - R)), as each user's impressions pile up on their own CTR.
 *
 * @example
 * modelDesignEffect({ population: 100, baselineRatio: 0.1, impressionsPerUserPerDay: 0.5,
 *   betweenUserVariance: 0.01 }, 2); // => 0.1 * (1 - 0.01) / 0.09 = 1.1
 */
export function modelDesignEffect(model: RatioVarianceModel, days: number): number {
  return ratioDesignEffect({
    users: model.population,
    ratio: model.baselineRatio,
    denominatorMean: days * model.impressionsPerUserPerDay,
    perUserVariance: perUserRatioVariance(model, days),
  });
}

export interface RatioTestSettings {
  /** Default 0.05. */
  readonly alpha?: number;
  /** One-sided test (treatment greater) instead of two-sided. Default false. */
  readonly oneSided?: boolean;
}

function criticalValue(settings: RatioTestSettings): number {
  const alpha = requireOpenUnit(settings.alpha ?? 0.05, "alpha");
  return normalQuantile(1 - (settings.oneSided ? alpha : alpha / 2));
}

function requireLift(lift: number, settings: RatioTestSettings): number {
  if (!Number.isFinite(lift) || lift === 0 || (settings.oneSided && lift < 0))
    throw new InputError(
      `expected a ${settings.oneSided ? "positive" : "non-zero"} absolute lift, got ${lift}`,
      { field: "lift" },
    );
  return lift;
}

/**
 * Power of the delta-method z-test of the difference of two ratios, normal approximation, with n users per arm
 * and per-user variances v_c, v_t: SE = sqrt((v_c + v_t) / n) (sqrt(2 v / n) when equal) and
 *
 *     power = Phi(|delta| / SE - z_{1-alpha})                                        (one-sided)
 *     power = Phi(|delta| / SE - z_{1-alpha/2}) + Phi(-|delta| / SE - z_{1-alpha/2})  (two-sided)
 *
 * (the normal-approximation power of a two-sample z-test for means, as in Chow, Shao & Wang, Sample Size
 * Calculations in Clinical Research, the chapter on comparing means, with the delta-method
 * variance in place of sigma^2).
 *
 * @example
 * ratioPower(0.02, 0.02, 200, 0.04, { oneSided: true }); // => Phi(2.8284 - 1.6449) = 0.8817
 */
export function ratioPower(
  controlVariance: number,
  treatmentVariance: number,
  usersPerArm: number,
  lift: number,
  settings: RatioTestSettings = {},
): number {
  requireLift(lift, settings);
  requirePositive(usersPerArm, "users per arm");
  const z = criticalValue(settings);
  const standardError = Math.sqrt(
    (requirePositive(controlVariance, "control variance") +
      requirePositive(treatmentVariance, "treatment variance")) /
      usersPerArm,
  );
  const shift = Math.abs(lift) / standardError;
  return normalCdf(shift - z) + (settings.oneSided ? 0 : normalCdf(-shift - z));
}

/**
 * Users per arm for the target power, the closed form of `ratioPower` (the far tail of a two-sided test
 * ignored, as src/stats/power.ts does for proportions), rounded up:
 *
 *     n = (v_c + v_t) (z_{1-alpha} + z_{power})^2 / delta^2     (z_{1-alpha/2} when two-sided)
 *
 * @example
 * ratioUsersPerArm(0.02, 0.02, 0.04, 0.9, { oneSided: true }); // => 215 (214.1 rounded up)
 */
export function ratioUsersPerArm(
  controlVariance: number,
  treatmentVariance: number,
  lift: number,
  power: number,
  settings: RatioTestSettings = {},
): number {
  requireLift(lift, settings);
  const zPower = normalQuantile(requireOpenUnit(power, "power"));
  const variance =
    requirePositive(controlVariance, "control variance") +
    requirePositive(treatmentVariance, "treatment variance");
  return Math.ceil((variance * (criticalValue(settings) + zPower) ** 2) / lift ** 2);
}

/**
 * The power after `days` days with the whole population randomised into two equal arms (N / 2 users each),
 * `ratioPower` with the model's control and treatment per-user variances.
 *
 * @example
 * const model = { population: 590, baselineRatio: 0.07, impressionsPerUserPerDay: 0.5,
 *   betweenUserVariance: 0.005 };
 * ratioPowerAfterDays(model, 14, 0.04, { oneSided: true }); // => 0.9830
 */
export function ratioPowerAfterDays(
  model: RatioVarianceModel,
  days: number,
  lift: number,
  settings: RatioTestSettings = {},
): number {
  return ratioPower(
    perUserRatioVariance(model, days),
    perUserRatioVariance(model, days, lift),
    model.population / 2,
    lift,
    settings,
  );
}

export interface RatioDuration {
  /** whole days to reach the target power; null when no length reaches it (the between-user floor) */
  readonly days: number | null;
  /** the power at those days */
  readonly power: number | null;
  /** the power as days grow without bound: per-user variances 2B, N / 2 users per arm */
  readonly maximumPower: number;
}

/**
 * Days for the target power with the population split in two equal arms. Setting SE = |delta| / (z_a + z_b)
 * and var_u(d) = A / d + B (A_c, A_t the two arms' within parts q (1 - q) / rbar) gives the closed form
 *
 *     d = (A_c + A_t) / (N delta^2 / (2 (z_a + z_b)^2) - 2 B),   rounded up,
 *
 * which exists only when the denominator is positive: otherwise even users seen forever leave the between-user
 * variance too large for this population, and `days` is null.
 *
 * @example
 * const model = { population: 590, baselineRatio: 0.07, impressionsPerUserPerDay: 0.5,
 *   betweenUserVariance: 0.005 };
 * ratioDaysForPower(model, 0.04, 0.9, { oneSided: true });
 * // => { days: 8, power: 0.9200, maximumPower: 0.99999991 }
 */
export function ratioDaysForPower(
  model: RatioVarianceModel,
  lift: number,
  power: number,
  settings: RatioTestSettings = {},
): RatioDuration {
  requireLift(lift, settings);
  const zPower = normalQuantile(requireOpenUnit(power, "power"));
  const z = criticalValue(settings);
  const within = (q: number) => (q * (1 - q)) / model.impressionsPerUserPerDay;
  const floor = 2 * model.betweenUserVariance;
  const maximumPower = floor > 0 ? ratioPower(floor / 2, floor / 2, model.population / 2, lift, settings) : 1;
  const target = (model.population * lift ** 2) / (2 * (z + zPower) ** 2);
  if (!(target > floor)) return { days: null, power: null, maximumPower };
  const days = Math.ceil(
    (within(model.baselineRatio) + within(model.baselineRatio + lift)) / (target - floor),
  );
  return { days, power: ratioPowerAfterDays(model, days, lift, settings), maximumPower };
}

/** What `ratioExperimentLength` designs for; the defaults are the project's (issue's) design. */
export interface RatioExperimentLengthOptions {
  /** Days the pre-period lasted, > 0. */
  readonly preDays: number;
  /** The longest experiment the run can afford, a positive integer number of days. */
  readonly maxDays: number;
  /** Absolute lift of the CTR per impression to detect. Default 0.04 (+4 points). */
  readonly lift?: number;
  /** Target power. Default 0.9. */
  readonly power?: number;
  /** One-sided (treatment greater) significance level. Default 0.05. */
  readonly alpha?: number;
}

/** The experiment's length from the pre-period: the days the design needs and the days to run. */
export interface RatioExperimentLength {
  /** Days for the target power (`ratioDaysForPower`); null when no length reaches it. */
  readonly requiredDays: number | null;
  /** The length to run: `requiredDays`, or `maxDays` when that is shorter or no length suffices. */
  readonly cappedDays: number;
  /** True when the length to run is `maxDays` rather than the days the design needs. */
  readonly capped: boolean;
  /** The power at `cappedDays` (`ratioPowerAfterDays`). */
  readonly powerAtLength: number;
  readonly lift: number;
  readonly targetPower: number;
  readonly alpha: number;
  readonly model: FittedRatioVarianceModel;
}

/**
 * The experiment's length from per-user pre-period counts, users who did not come included with 0 (the whole
 * randomised population, split in two equal arms): fits `ratioVarianceModel` over `preDays` days, asks
 * `ratioDaysForPower` for the days to reach `power` at +`lift` on the measured baseline CTR, one-sided, and caps
 * them at `maxDays`, giving the power the capped length has.
 *
 * @example
 * // 6 users over 2 pre-period days, 2 of whom did not come
 * ratioExperimentLength({ clicks: [0, 1, 2, 0, 0, 0], impressions: [0, 2, 6, 2, 0, 0] },
 *   { preDays: 2, maxDays: 14, lift: 0.2 });
 * // => model.baselineRatio 0.3, requiredDays 40 (power 0.9039), so capped: cappedDays 14, powerAtLength 0.5397
 */
export function ratioExperimentLength(
  prePeriod: { readonly clicks: ArrayLike<number>; readonly impressions: ArrayLike<number> },
  options: RatioExperimentLengthOptions,
): RatioExperimentLength {
  const { clicks, impressions } = prePeriod;
  if (clicks.length !== impressions.length)
    throw new InputError(
      `expected one pre-period impression count per user: ${clicks.length} clicks, ${impressions.length} impressions`,
      { field: "impressions" },
    );
  for (let u = 0; u < clicks.length; u++)
    if (!(Number.isInteger(impressions[u]) && impressions[u] >= 0))
      throw new InputError(`user ${u}: expected a non-negative integer, got ${impressions[u]}`, {
        field: "impressions",
      });
    else if (!(Number.isInteger(clicks[u]) && clicks[u] >= 0 && clicks[u] <= impressions[u]))
      throw new InputError(
        `user ${u}: expected an integer number of clicks in 0..${impressions[u]} (the impressions), got ${clicks[u]}`,
        { field: "clicks" },
      );
  const maxDays = options.maxDays;
  if (!(Number.isInteger(maxDays) && maxDays >= 1))
    throw new InputError(`expected a positive integer number of days, got ${maxDays}`, { field: "maxDays" });
  const lift = options.lift ?? 0.04;
  const targetPower = options.power ?? 0.9;
  const settings = { alpha: options.alpha ?? 0.05, oneSided: true };
  const model = ratioVarianceModel(
    ratioSummaryFromUsers(Array.from(clicks), Array.from(impressions), "pre-period"),
    options.preDays,
  );
  const { days: requiredDays } = ratioDaysForPower(model, lift, targetPower, settings);
  const capped = requiredDays === null || requiredDays > maxDays;
  const cappedDays = capped ? maxDays : requiredDays;
  return {
    requiredDays,
    cappedDays,
    capped,
    powerAtLength: ratioPowerAfterDays(model, cappedDays, lift, settings),
    lift,
    targetPower,
    alpha: settings.alpha,
    model,
  };
}
