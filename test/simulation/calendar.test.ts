import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InputError } from "../../src/core/errors";
import { Random } from "../../src/core/random";
import { visitRates, visitSchedule, type VisitSchedule } from "../../src/simulation/calendar";
import { betaCdf } from "../../src/stats/distributions";

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => 1000 + 3 * i);

/** Beta(a, b) mean a / (a + b) and variance ab / ((a + b)^2 (a + b + 1)) (Johnson, Kotz & Balakrishnan 1995,
 * Continuous Univariate Distributions vol. 2, ch. 25). */
const betaMoments = (a: number, b: number) => ({
  mean: a / (a + b),
  variance: (a * b) / ((a + b) ** 2 * (a + b + 1)),
});

/** Visits per user over the whole schedule, keyed by id. */
function visitCounts(schedule: VisitSchedule): Map<number, number> {
  const counts = new Map<number, number>();
  for (const day of schedule.visitorsByDay) for (const id of day) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

function expectInputError(run: () => unknown, field: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.where.field, field);
    assert.match(error.message, new RegExp(`field "${field}"`));
    return true;
  });
}

test("the same users, settings and seed give the same rates and schedule; another seed gives others", () => {
  const users = ids(300);
  const a = visitRates(users, {}, new Random(5));
  const b = visitRates(users, {}, new Random(5));
  assert.deepEqual(a, b);
  assert.equal(a.seed, 5);
  assert.deepEqual(a.settings, { meanVisitsPerDay: 1 / 3, rateConcentration: 3 });
  assert.deepEqual(a.distribution, { alpha: 1, beta: 2 });
  assert.notDeepEqual(visitRates(users, {}, new Random(6)).rates, a.rates);

  const options = { userIds: a.userIds, rates: a.rates, preDays: 3, experimentDays: 5, seed: 11 };
  assert.deepEqual(visitSchedule(options).visitorsByDay, visitSchedule(options).visitorsByDay);
  assert.notDeepEqual(
    visitSchedule({ ...options, seed: 12 }).visitorsByDay,
    visitSchedule(options).visitorsByDay,
  );
  // Lengthening the experiment keeps the days already drawn.
  assert.deepEqual(
    visitSchedule({ ...options, experimentDays: 9 }).visitorsByDay.slice(0, 8),
    visitSchedule(options).visitorsByDay,
  );
});

test("draws do not depend on the order the ids come in (a Set's insertion order, say)", () => {
  const users = ids(200);
  const shuffled = new Random(1).shuffle([...users]);
  const sorted = visitRates(users, {}, new Random(9));
  const unsorted = visitRates([...new Set(shuffled)], {}, new Random(9));
  assert.deepEqual(unsorted, sorted);
  // Rates given aligned with a shuffled id list: the same schedule as with the sorted list.
  const rateOf = new Map(Array.from(sorted.userIds, (id, i) => [id, sorted.rates[i]]));
  const fromSorted = visitSchedule({
    userIds: users,
    rates: sorted.rates,
    preDays: 2,
    experimentDays: 4,
    seed: 3,
  });
  const fromShuffled = visitSchedule({
    userIds: shuffled,
    rates: shuffled.map((id) => rateOf.get(id) ?? assert.fail(`no rate for ${id}`)),
    preDays: 2,
    experimentDays: 4,
    seed: 3,
  });
  assert.deepEqual(fromShuffled.visitorsByDay, fromSorted.visitorsByDay);
});

test("the drawn rates follow their Beta distribution (Kolmogorov-Smirnov at the 0.1% level)", () => {
  // Critical value 1.9495 / sqrt(n) of the asymptotic Kolmogorov distribution at 0.999 (scipy.stats.kstwobign.ppf).
  const n = 20_000;
  for (const settings of [
    {},
    { meanVisitsPerDay: 0.1, rateConcentration: 5 },
    { meanVisitsPerDay: 0.6, rateConcentration: 4 },
  ]) {
    const drawn = visitRates(ids(n), settings, new Random(21));
    const { alpha, beta } = drawn.distribution;
    const sorted = Float64Array.from(drawn.rates).sort();
    let distance = 0;
    sorted.forEach((x, i) => {
      const cdf = betaCdf(x, alpha, beta);
      distance = Math.max(distance, (i + 1) / n - cdf, cdf - i / n);
    });
    assert.ok(distance < 1.9495 / Math.sqrt(n), `Beta(${alpha}, ${beta}): KS distance ${distance}`);
  }
});

test("each user's visit count matches their rate (each within 4 SE; chi-square within 4 SD of its mean)", () => {
  const users = 200;
  const days = 2000;
  const rates = Array.from({ length: users }, (_, i) => 0.02 + (0.96 * i) / (users - 1));
  const schedule = visitSchedule({ userIds: ids(users), rates, preDays: 0, experimentDays: days, seed: 4 });
  const counts = visitCounts(schedule);
  let chiSquare = 0;
  ids(users).forEach((id, i) => {
    const expected = days * rates[i];
    const z = ((counts.get(id) ?? 0) - expected) / Math.sqrt(expected * (1 - rates[i]));
    assert.ok(Math.abs(z) < 4, `user ${id}, rate ${rates[i]}: z = ${z}`);
    chiSquare += z * z;
  });
  // Sum of `users` squared z-scores: approximately chi-square with mean users and variance 2 users.
  assert.ok(Math.abs(chiSquare - users) < 4 * Math.sqrt(2 * users), `chi-square ${chiSquare} on ${users} df`);
});

test("the population's mean visits per user per day matches the distribution's mean within 4 SE", () => {
  const users = 5000;
  const days = 60;
  const drawn = visitRates(ids(users), {}, new Random(8));
  const schedule = visitSchedule({ ...drawn, preDays: 10, experimentDays: days - 10, seed: 8 });
  const visits = schedule.visitorsByDay.reduce((sum, day) => sum + day.length, 0);
  const { mean, variance } = betaMoments(1, 2);
  // A user's share of days visited f = c / days has var(f) = var(r) + E[r (1 - r)] / days.
  const varianceOfShare = variance + (mean - (variance + mean * mean)) / days;
  const measured = visits / (users * days);
  assert.ok(
    Math.abs(measured - mean) < 4 * Math.sqrt(varianceOfShare / users),
    `mean visits per day ${measured}, expected ${mean}`,
  );
});

test("heterogeneous: the top 10% of users by rate make about 24% of the visits, most users come rarely", () => {
  // Default Beta(1, 2): F(x) = 1 - (1 - x)^2, so the top decile is r > a = 1 - sqrt(0.1) and holds
  // (1/3 - (a^2 - 2 a^3 / 3)) / (1/3) = 23.7% of E[r] (the integral of x 2 (1 - x) from a to 1 over the mean 1/3).
  const users = 2000;
  const drawn = visitRates(ids(users), {}, new Random(13));
  const schedule = visitSchedule({ ...drawn, preDays: 0, experimentDays: 200, seed: 13 });
  const counts = visitCounts(schedule);
  const byRate = Array.from(drawn.userIds.keys())
    .sort((i, j) => drawn.rates[j] - drawn.rates[i])
    .map((i) => drawn.userIds[i]);
  const total = [...counts.values()].reduce((s, c) => s + c, 0);
  const top = byRate.slice(0, users / 10).reduce((s, id) => s + (counts.get(id) ?? 0), 0);
  const share = top / total;
  assert.ok(Math.abs(share - 0.2368) < 0.02, `top 10% share of visits ${share}`);
  // F(1/3) = 1 - (2/3)^2 = 5/9 of the users come less often than the average (median rate 1 - sqrt(1/2) = 0.29).
  const belowMean = Array.from(drawn.rates).filter((r) => r < 1 / 3).length / users;
  // Within 4 binomial SE, sqrt((5/9)(4/9) / 2000) = 0.0111, as the other Monte Carlo checks here.
  assert.ok(Math.abs(belowMean - 5 / 9) < 4 * 0.0111, `share of users below the mean rate ${belowMean}`);
});

test("phases: pre-period days first, then the experiment; each day's visitors distinct and shuffled", () => {
  const drawn = visitRates(ids(500), {}, new Random(2));
  const schedule = visitSchedule({ ...drawn, preDays: 14, experimentDays: 13, seed: 2 });
  assert.equal(schedule.totalDays, 27);
  assert.equal(schedule.visitorsByDay.length, 27);
  assert.deepEqual(
    [0, 13, 14, 26].map((day) => schedule.phase(day)),
    ["pre", "pre", "experiment", "experiment"],
  );
  for (const day of [-1, 27, 1.5]) expectInputError(() => schedule.phase(day), "day");
  assert.equal(visitSchedule({ ...drawn, preDays: 0, experimentDays: 1, seed: 2 }).phase(0), "experiment");

  const known = new Set(drawn.userIds);
  let unsortedDays = 0;
  for (const day of schedule.visitorsByDay) {
    assert.ok(day.length > 0);
    assert.equal(new Set(day).size, day.length);
    assert.ok(day.every((id) => known.has(id)));
    if (day.some((id, i) => i > 0 && id < day[i - 1])) unsortedDays++;
  }
  assert.equal(unsortedDays, 27, "each day's arrival order is shuffled, not by id");
});

test("bad settings throw an InputError naming the field", () => {
  const random = new Random(1);
  for (const mean of [0, 1, -0.1, 1.5, Number.NaN])
    expectInputError(() => visitRates(ids(3), { meanVisitsPerDay: mean }, random), "meanVisitsPerDay");
  for (const concentration of [0, -1, Number.POSITIVE_INFINITY])
    expectInputError(
      () => visitRates(ids(3), { rateConcentration: concentration }, random),
      "rateConcentration",
    );
  expectInputError(() => visitRates([1, 2, 1], {}, random), "userIds");
  expectInputError(() => visitRates([1, -2], {}, random), "userIds");

  const ok = { userIds: [1, 2], rates: [0.5, 0.5], preDays: 1, experimentDays: 1, seed: 1 };
  expectInputError(() => visitSchedule({ ...ok, preDays: -1 }), "preDays");
  expectInputError(() => visitSchedule({ ...ok, preDays: 1.5 }), "preDays");
  expectInputError(() => visitSchedule({ ...ok, experimentDays: -3 }), "experimentDays");
  expectInputError(() => visitSchedule({ ...ok, experimentDays: 0 }), "experimentDays");
  expectInputError(() => visitSchedule({ ...ok, rates: [0.5] }), "rates");
  expectInputError(() => visitSchedule({ ...ok, rates: [0.5, 1.2] }), "rates");
  expectInputError(() => visitSchedule({ ...ok, seed: 0.5 }), "seed");
});
