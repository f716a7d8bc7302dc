import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InputError } from "../../src/core/errors";
import { Random } from "../../src/core/random";
import { calendarAaStudy, type CalendarAaStudyOptions } from "../../src/simulation/aa-study";
import { visitRates } from "../../src/simulation/calendar";

const ALPHA = 0.05;
const EXPERIMENTS = 2000;
/** The binomial SE of a rate p over EXPERIMENTS experiments. */
const binomialSe = (p: number) => Math.sqrt((p * (1 - p)) / EXPERIMENTS);

/**
 * A population like the real one: 592 users, daily visit rates from calendar.ts (Beta(0.5, 1), seed 20261128)
 * and heterogeneous CTRs per impression c_u ~ Beta(0.35, 4.65) (mean 7%, most users near 0, a few high: users'
 * impressions share their CTR), seed 20261129; the challenger multiplies every CTR by 1.25.
 */
const USERS = 592;
const { rates } = visitRates(
  Array.from({ length: USERS }, (_, i) => i + 1),
  {},
  new Random(20261128),
);
const ctrRandom = new Random(20261129);
const baselineCtr = Float64Array.from({ length: USERS }, () => ctrRandom.beta(0.35, 4.65));
const challengerCtr = baselineCtr.map((c) => Math.min(1, 1.25 * c));

const SETTING: CalendarAaStudyOptions = {
  rates,
  baselineCtr,
  challengerCtr,
  preDays: 7,
  experimentDays: 14,
  experiments: EXPERIMENTS,
  lift: 0.04,
  seed: 20261201,
};
const study = calendarAaStudy(SETTING);

test("A/A on the calendar: the delta method and CUPED hold alpha, the naive per-impression z-test does not", () => {
  const { naive, deltaMethod, cuped } = study.aa.rejections;
  // Measured (seed 20261201, 2000 experiments, 7 + 14 days, 5.29 impressions per user in the experiment):
  // naive 16.05% +/- 0.82, delta method 5.10% +/- 0.49, CUPED 5.00% +/- 0.49 (seeds 1, 2, 3: naive 15.80%,
  // 14.85%, 16.60%; delta method 5.20%, 5.45%, 5.75%).
  for (const [name, rate] of [
    ["delta method", deltaMethod.rate],
    ["CUPED", cuped.rate],
  ] as const)
    assert.ok(
      Math.abs(rate - ALPHA) < 3 * binomialSe(ALPHA),
      `${name}: type-I error ${rate} is not within 3 SE of ${ALPHA}`,
    );
  assert.ok(
    naive.rate > ALPHA + 3 * binomialSe(ALPHA),
    `naive test's type-I error ${naive.rate} is not above ${ALPHA} + 3 SE: it should be inflated`,
  );
  assert.equal(study.aa.undefinedExperiments, 0);
  assert.ok(study.aa.meanCupedVarianceReduction > 0, "CUPED removed no variance in A/A");
});

test("control: when every user has the same CTR, impressions are independent trials and the naive test holds alpha", () => {
  const flat = calendarAaStudy({
    ...SETTING,
    baselineCtr: baselineCtr.map(() => 0.07),
    challengerCtr: undefined,
  });
  // Measured: naive 4.85%, delta method 4.90%, CUPED 4.95%.
  for (const [name, rate] of Object.entries(flat.aa.rejections))
    assert.ok(
      Math.abs(rate.rate - ALPHA) < 3 * binomialSe(ALPHA),
      `${name}: type-I error ${rate.rate} is not within 3 SE of ${ALPHA}`,
    );
});

test("the delta method's two-sided 95% interval covers the true difference about 95% of the time", () => {
  // Measured: A/A 94.90%, challenger 94.85%, +4 points 94.35%.
  for (const scenario of [study.aa, study.challenger, study.lift]) {
    assert.ok(scenario);
    assert.ok(
      Math.abs(scenario.coverage.rate - 0.95) < 3 * binomialSe(0.95),
      `coverage ${scenario.coverage.rate} of ${scenario.trueDifference} is not within 3 SE of 0.95`,
    );
  }
  // The truths: sum_u r_u c_u / sum_u r_u; an additive lift below every cap is the lift itself.
  const weighted = (ctr: Float64Array) =>
    ctr.reduce((sum, c, u) => sum + rates[u] * c, 0) / rates.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(study.truth.baseline - weighted(baselineCtr)) < 1e-12);
  assert.ok(Math.abs(study.challenger!.trueDifference - 0.25 * study.truth.baseline) < 1e-12);
  assert.ok(Math.abs(study.lift!.trueDifference - 0.04) < 1e-12);
});

test("power grows with the lift, and the naive test's extra power is its inflated size", () => {
  const powerAt = (lift: number) =>
    calendarAaStudy({ ...SETTING, challengerCtr: undefined, experiments: 500, lift }).lift!.rejections;
  const powers = [0.01, 0.02, 0.04].map((lift) => powerAt(lift).deltaMethod.rate);
  // Measured (500 experiments): delta method 13.8%, 34.6%, 76.6% at +1, +2, +4 points (naive 36.2%, 58.0%, 90.0%).
  assert.ok(
    powers[0] > ALPHA && powers[0] < powers[1] && powers[1] < powers[2],
    `powers ${powers.join(", ")} do not increase with the lift`,
  );
  const { naive, deltaMethod } = study.lift!.rejections;
  assert.ok(naive.rate > deltaMethod.rate, `naive ${naive.rate} <= delta method ${deltaMethod.rate}`);
});

test("seeded: the same options give the same study, and A/A does not depend on the other scenarios", () => {
  const small = { ...SETTING, experiments: 50 };
  assert.deepEqual(calendarAaStudy(small), calendarAaStudy(small));
  const aaOnly = calendarAaStudy({ ...small, challengerCtr: undefined, lift: undefined });
  assert.deepEqual(aaOnly.aa, calendarAaStudy(small).aa);
  assert.equal(aaOnly.challenger, null);
  assert.equal(aaOnly.lift, null);
  assert.notDeepEqual(calendarAaStudy({ ...small, seed: 1 }).aa, aaOnly.aa);
});

test("invalid options are refused with the field named", () => {
  const refuses = (options: Partial<CalendarAaStudyOptions>, field: string) =>
    assert.throws(
      () => calendarAaStudy({ ...SETTING, experiments: 1, ...options }),
      (error: unknown) => error instanceof InputError && error.where.field === field,
      field,
    );
  refuses({ baselineCtr: baselineCtr.subarray(1) }, "baselineCtr");
  refuses({ challengerCtr: challengerCtr.map((c, u) => (u === 3 ? 1.5 : c)) }, "challengerCtr");
  refuses({ rates: rates.map((r, u) => (u === 0 ? -0.1 : r)) }, "rates");
  refuses({ rates: [0.5, 0.5], baselineCtr: [0.1, 0.1], challengerCtr: undefined }, "rates");
  refuses({ preDays: 0 }, "preDays");
  refuses({ experimentDays: 1.5 }, "experimentDays");
  refuses({ experiments: 0 }, "experiments");
  refuses({ alpha: 1 }, "alpha");
  refuses({ lift: 0 }, "lift");
  refuses({ seed: 0.5 }, "seed");
});
