import { test } from "node:test";
import * as assert from "node:assert/strict";
import { assertClose as close } from "../support/approx";
import { InputError } from "../../src/core/errors";
import { Random } from "../../src/core/random";
import { normalQuantile } from "../../src/stats/distributions";
import { compareRatioArms, ratioArm, ratioSummaryFromUsers } from "../../src/stats/ratio-metric";
import {
  modelDesignEffect,
  perUserRatioVariance,
  ratioDaysForPower,
  ratioDesignEffect,
  ratioExperimentLength,
  ratioPower,
  ratioPowerAfterDays,
  type RatioVarianceModel,
  ratioUsersPerArm,
  ratioVarianceModel,
} from "../../src/stats/ratio-power";

/** Poisson(mean) by multiplying uniforms (Knuth, TAOCP vol. 2, 3.4.1); the means here are below 40. */
function poisson(random: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let count = 0;
  for (let product = random.float(); product > limit; product *= random.float()) count++;
  return count;
}

/**
 * A population of the module's visit model: rates r_u ~ Exponential(mean 0.5 per day) (most users rare, a few
 * frequent) and CTRs p_u ~ Beta(1, 13) (mean 1/14, by inversion 1 - U^(1/13)), independent.
 */
const MEAN_RATE = 0.5;
const CTR_SHAPE = 13;
function drawUsers(random: Random, n: number): { rate: number; ctr: number }[] {
  return Array.from({ length: n }, () => ({
    rate: -MEAN_RATE * Math.log(1 - random.float()),
    ctr: 1 - (1 - random.float()) ** (1 / CTR_SHAPE),
  }));
}

/** Per-user clicks and impressions over `days` days, each user's CTR raised by `lift`. */
function observe(random: Random, users: { rate: number; ctr: number }[], days: number, lift = 0) {
  const impressions = users.map((u) => poisson(random, u.rate * days));
  const clicks = users.map((u, i) => random.binomial(impressions[i], u.ctr + lift));
  return ratioSummaryFromUsers(clicks, impressions);
}

// The model's true parameters for that population: R = E[p] = 1/14; B = E[r^2] var(p) / E[r]^2 = 2 var(p) with
// var(p) = ab / ((a + b)^2 (a + b + 1)) for Beta(1, 13) (Johnson, Kotz & Balakrishnan 1995, ch. 25).
const TRUE_MODEL = (population: number): RatioVarianceModel => ({
  population,
  baselineRatio: 1 / (1 + CTR_SHAPE),
  impressionsPerUserPerDay: MEAN_RATE,
  betweenUserVariance: (2 * CTR_SHAPE) / ((1 + CTR_SHAPE) ** 2 * (2 + CTR_SHAPE)),
});

test("design effect: exactly 1 with one 0/1 impression per user (independent Bernoulli trials)", () => {
  const random = new Random(7);
  const clicks = Array.from({ length: 500 }, () => (random.bernoulli(0.07) ? 1 : 0));
  const deff = ratioDesignEffect(
    ratioArm(
      ratioSummaryFromUsers(
        clicks,
        clicks.map(() => 1),
      ),
    ),
  );
  close(deff, 1, 1e-12, "design effect");
});

test("design effect: above 1 when users' CTRs differ, and near Kish's 1 + (m - 1) rho for equal clusters", () => {
  const random = new Random(8);
  // 2000 users with 10 impressions each at CTR 0.02 or 0.12: rho = var(p) / (R (1 - R)) = 0.0025 / 0.0651.
  const ctrs = Array.from({ length: 2000 }, (_, u) => (u % 2 === 0 ? 0.02 : 0.12));
  const clicks = ctrs.map((p) => random.binomial(10, p));
  const deff = ratioDesignEffect(
    ratioArm(
      ratioSummaryFromUsers(
        clicks,
        clicks.map(() => 10),
      ),
    ),
  );
  const kish = 1 + 9 * (0.0025 / (0.07 * 0.93));
  assert.ok(deff > 1.2, `deff ${deff}`);
  close(deff, kish, 0.1, "design effect against Kish's formula");
});

test("power at the closed-form sample size equals the target; the rounded-up size reaches it, one fewer does not", () => {
  for (const oneSided of [true, false])
    for (const target of [0.8, 0.9]) {
      const [vc, vt, lift] = [0.03, 0.045, 0.04];
      const z = normalQuantile(1 - (oneSided ? 0.05 : 0.025)) + normalQuantile(target);
      const exact = ((vc + vt) * z ** 2) / lift ** 2;
      const settings = { oneSided };
      // Two-sided adds the far tail, Phi(-delta/SE - z) < 1e-6 here.
      close(ratioPower(vc, vt, exact, lift, settings), target, oneSided ? 1e-9 : 1e-6, "power at exact n");
      const n = ratioUsersPerArm(vc, vt, lift, target, settings);
      assert.equal(n, Math.ceil(exact));
      assert.ok(ratioPower(vc, vt, n, lift, settings) >= target);
      assert.ok(ratioPower(vc, vt, n - 1, lift, settings) < target);
    }
});

// van Belle 2008, Statistical Rules of Thumb, 2nd ed., chapter 2 (Lehr's equation): n = 16 sigma^2 / delta^2 per
// group for 80% power, two-sided alpha 0.05 (exactly 15.70), and 21 (21.01) for 90%.
test("users per arm follow Lehr's rule: 16 and 22 (21.01 rounded up) per arm at sigma^2 / delta^2 = 1", () => {
  assert.equal(ratioUsersPerArm(1, 1, 1, 0.8), 16);
  assert.equal(ratioUsersPerArm(1, 1, 1, 0.9), 22);
});

test("power grows with the days, the population and the lift", () => {
  const model = TRUE_MODEL(590);
  const power = (m: RatioVarianceModel, days: number, lift: number) =>
    ratioPowerAfterDays(m, days, lift, { oneSided: true });
  for (let days = 1; days < 30; days++)
    assert.ok(power(model, days + 1, 0.04) > power(model, days, 0.04), `day ${days}`);
  for (const population of [100, 300, 1000, 3000])
    assert.ok(power(TRUE_MODEL(population * 2), 7, 0.04) > power(TRUE_MODEL(population), 7, 0.04));
  for (const lift of [0.01, 0.02, 0.03, 0.05])
    assert.ok(power(model, 7, lift + 0.01) > power(model, 7, lift), `lift ${lift}`);
  // The per-user variance falls with the days towards B; the design effect rises.
  assert.ok(perUserRatioVariance(model, 30) < perUserRatioVariance(model, 3));
  assert.ok(perUserRatioVariance(model, 1e6) - model.betweenUserVariance < 1e-6);
  assert.ok(modelDesignEffect(model, 30) > modelDesignEffect(model, 3));
});

test("days for power: the smallest whole number of days that reaches the target, null beyond the between-user floor", () => {
  const model = TRUE_MODEL(590);
  const duration = ratioDaysForPower(model, 0.04, 0.9, { oneSided: true });
  assert.ok(duration.days !== null && duration.power !== null);
  assert.ok(duration.power >= 0.9);
  assert.equal(duration.power, ratioPowerAfterDays(model, duration.days, 0.04, { oneSided: true }));
  assert.ok(ratioPowerAfterDays(model, duration.days - 1, 0.04, { oneSided: true }) < 0.9);
  // 100 users: even seen forever (variance 2B per user pair) they cannot give 90% power at +4 points.
  const small = ratioDaysForPower(TRUE_MODEL(100), 0.04, 0.9, { oneSided: true });
  assert.equal(small.days, null);
  assert.ok(small.maximumPower < 0.9);
  close(
    small.maximumPower,
    ratioPowerAfterDays(TRUE_MODEL(100), 1e9, 0.04, { oneSided: true }),
    1e-6,
    "limit",
  );
});

test("the fit recovers the visit model from a simulated 14-day pre-period of 20000 users", () => {
  const random = new Random(20261201);
  const users = drawUsers(random, 20000);
  const all = observe(random, users, 14);
  const truth = TRUE_MODEL(20000);
  const fitted = ratioVarianceModel(all, 14);
  close(fitted.baselineRatio, truth.baselineRatio, 0.003, "R");
  close(fitted.impressionsPerUserPerDay, MEAN_RATE, 0.02, "visits per user per day");
  close(fitted.betweenUserVariance, truth.betweenUserVariance, 0.1 * truth.betweenUserVariance, "B");
});

test("users absent from the pre-period file count through --population: same model as zero rows", () => {
  const clicks = [0, 1, 2, 0, 1];
  const impressions = [3, 8, 12, 2, 6];
  const padded = ratioVarianceModel(
    ratioSummaryFromUsers([...clicks, 0, 0, 0], [...impressions, 0, 0, 0]),
    7,
  );
  const given = ratioVarianceModel(ratioSummaryFromUsers(clicks, impressions), 7, 8);
  for (const key of [
    "population",
    "baselineRatio",
    "impressionsPerUserPerDay",
    "betweenUserVariance",
  ] as const)
    close(given[key], padded[key], 1e-12, key);
  assert.throws(() => ratioVarianceModel(ratioSummaryFromUsers(clicks, impressions), 7, 4), InputError);
});

test("impossible inputs throw InputError naming the field", () => {
  const model = TRUE_MODEL(590);
  assert.throws(() => ratioPower(0.02, 0.02, 100, 0), /lift/);
  assert.throws(() => ratioPower(0.02, 0.02, 100, -0.01, { oneSided: true }), /positive absolute lift/);
  assert.throws(() => ratioUsersPerArm(0.02, 0.02, 0.04, 1), /power/);
  assert.throws(() => perUserRatioVariance(model, 0), /days/);
  assert.throws(() => perUserRatioVariance(model, 5, 0.95), /lift/);
  assert.throws(() => ratioVarianceModel(ratioSummaryFromUsers([0, 0], [3, 4]), 7), /CTR strictly between/);
});

// The design's promise checked by simulation: 2000 experiments of the visit model with the whole population (590
// users, the evaluation population's size) split in two, run for the designed days, each analysed by the
// delta-method z-test of ratio-metric.ts (one-sided, alpha 0.05). The share that reject is within 4 binomial SE
// of the power the design predicts for that length.
test("Monte Carlo: the delta-method z-test at the designed length has the predicted power (2000 experiments)", () => {
  const model = TRUE_MODEL(590);
  const lift = 0.04;
  const { days, power } = ratioDaysForPower(model, lift, 0.9, { oneSided: true });
  assert.ok(days !== null && power !== null);
  const random = new Random(20261202);
  const experiments = 2000;
  let rejected = 0;
  for (let e = 0; e < experiments; e++) {
    const users = drawUsers(random, 590);
    const control = observe(random, users.slice(0, 295), days);
    const treatment = observe(random, users.slice(295), days, lift);
    if (compareRatioArms(control, treatment).difference.pValueGreater < 0.05) rejected++;
  }
  const standardError = Math.sqrt((power * (1 - power)) / experiments);
  close(rejected / experiments, power, 4 * standardError, `rejection rate at ${days} days`);
});

/**
 * 6 users over a 2-day pre-period, 2 who did not come: R = 3 / 10 = 0.3, rbar = 10 / 6 / 2 = 0.8333, and the
 * per-user variance 0.04032 is below the within part, so B = 0. At +20 points the closed form of
 * `ratioDaysForPower` gives d = (0.3 * 0.7 + 0.5 * 0.5) / 0.8333 / (6 * 0.2^2 / (2 (1.6449 + 1.2816)^2)) =
 * 0.552 / 0.014011 = 39.4, so 40 days; at 14 days SE = sqrt(0.552 / 14 / 3) = 0.11464 and the power is
 * Phi(0.2 / 0.11464 - 1.6449) = Phi(0.0996) = 0.5397.
 */
const SMALL_PRE_PERIOD = { clicks: [0, 1, 2, 0, 0, 0], impressions: [0, 2, 6, 2, 0, 0] };

test("experiment length: the design's days when they fit under the cap, the cap and its power when not", () => {
  const uncapped = ratioExperimentLength(SMALL_PRE_PERIOD, { preDays: 2, maxDays: 40, lift: 0.2 });
  assert.equal(uncapped.requiredDays, 40);
  assert.equal(uncapped.cappedDays, 40);
  assert.equal(uncapped.capped, false);
  close(uncapped.powerAtLength, 0.9039, 1e-4, "power at the required days");
  assert.ok(uncapped.powerAtLength >= 0.9);
  assert.deepEqual(
    uncapped.model,
    ratioVarianceModel(ratioSummaryFromUsers(SMALL_PRE_PERIOD.clicks, SMALL_PRE_PERIOD.impressions), 2),
  );

  const capped = ratioExperimentLength(SMALL_PRE_PERIOD, { preDays: 2, maxDays: 14, lift: 0.2 });
  assert.equal(capped.requiredDays, 40);
  assert.equal(capped.cappedDays, 14);
  assert.equal(capped.capped, true);
  close(capped.powerAtLength, 0.5397, 1e-4, "power at the cap");
  close(capped.model.baselineRatio, 0.3, 1e-12, "baseline CTR");
  close(capped.model.impressionsPerUserPerDay, 10 / 12, 1e-12, "impressions per user per day");
});

test("experiment length: the defaults are 90% power at +4 points, one-sided 5%; no length at all is capped too", () => {
  // Users who click all or none of their impressions: a between-user variance no length can beat with 6 users.
  const allOrNothing = { clicks: [2, 0, 0, 0, 2, 0], impressions: [2, 2, 2, 2, 2, 2] };
  const length = ratioExperimentLength(allOrNothing, { preDays: 2, maxDays: 14 });
  assert.equal(length.requiredDays, null);
  assert.equal(length.capped, true);
  assert.equal(length.cappedDays, 14);
  assert.deepEqual([length.lift, length.targetPower, length.alpha], [0.04, 0.9, 0.05]);
  close(
    length.powerAtLength,
    ratioPowerAfterDays(length.model, 14, 0.04, { alpha: 0.05, oneSided: true }),
    1e-15,
    "power at the cap",
  );
});

test("experiment length: bad pre-period counts and caps throw InputError naming the field", () => {
  const refuses = (run: () => unknown, field: string) =>
    assert.throws(run, (error: unknown) => error instanceof InputError && error.where.field === field, field);
  const options = { preDays: 2, maxDays: 14 };
  refuses(() => ratioExperimentLength({ clicks: [3, 0], impressions: [2, 2] }, options), "clicks");
  refuses(() => ratioExperimentLength({ clicks: [0, 0], impressions: [-1, 2] }, options), "impressions");
  refuses(() => ratioExperimentLength({ clicks: [0], impressions: [1, 2] }, options), "impressions");
  refuses(() => ratioExperimentLength(SMALL_PRE_PERIOD, { ...options, maxDays: 0 }), "maxDays");
  refuses(() => ratioExperimentLength(SMALL_PRE_PERIOD, { ...options, power: 1 }), "power");
});
