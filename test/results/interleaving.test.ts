import { test } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeInterleaving, interleavingTruth } from "../../src/results/interleaving";
import { interleavingStudy } from "../../src/simulation/interleaving-study";
import type { EventCounts, InterleavingUserCounts } from "../../src/serving/event-store";

/** An interleaving store's counts with these users (A = baseline, B = challenger). */
function counts(interleaving: InterleavingUserCounts[], routingMode = "interleave"): EventCounts {
  return {
    variants: [],
    users: [],
    usersInSeveralVariants: 0,
    settings: { routing_mode: routingMode, child_0: "baseline", child_1: "challenger" },
    preDays: 1,
    prePeriod: { users: 0, impressions: 0, clicks: 0 },
    interleaving,
  };
}

const user = (userId: number, a: number, b: number, ties: number): InterleavingUserCounts => ({
  userId,
  wins: { baseline: a, challenger: b },
  ties,
});

test("analyzeInterleaving: per-user preferences, Delta_AB and the one-sided sign test by hand", () => {
  // 8 users: 5 prefer the challenger, 1 the baseline, 2 no preference (one of them clicked both once).
  const r = analyzeInterleaving({
    counts: counts([
      user(1, 0, 1, 3),
      user(2, 0, 2, 0),
      user(3, 1, 2, 4),
      user(4, 0, 1, 0),
      user(5, 0, 3, 1),
      user(6, 2, 0, 1),
      user(7, 0, 0, 5),
      user(8, 1, 1, 2),
    ]),
    seed: 3,
    bootstrapSamples: 500,
  });
  assert.deepEqual([r.preference.prefersA, r.preference.prefersB, r.preference.ties], [1, 5, 2]);
  assert.equal(r.impressions, 4 + 10 + 16);
  assert.deepEqual(r.wins, { control: 4, treatment: 10 });
  assert.equal(r.ties, 16);
  // Delta_AB = (1 + 2 / 2) / 8 - 1/2 = -0.25; Delta_BA = +0.25.
  assert.equal(r.preference.deltaAB, -0.25);
  assert.equal(r.deltaBA.estimate, 0.25);
  assert.equal(r.deltaBA.lower, -r.preference.interval.upper);
  // Sign test: 5 of 6 for B; P(X >= 5 | 6, 1/2) = (6 + 1) / 64 = 0.109375; R binom.test(5, 6)$p.value = 0.21875.
  assert.equal(r.preference.signTest.trials, 6);
  assert.ok(Math.abs(r.preference.signTest.pValueBBetter - 7 / 64) < 1e-12);
  assert.ok(Math.abs(r.preference.signTest.pValueTwoSided - 14 / 64) < 1e-12);
  assert.equal(r.rejectNull, false);
  assert.equal(r.truth, null);
  assert.equal(r.truthCovered, null);
});

test("analyzeInterleaving rejects at 9 of 9 users for the challenger: p = 1 / 512", () => {
  const r = analyzeInterleaving({
    counts: counts(Array.from({ length: 9 }, (_, i) => user(i + 1, 0, 1, 2))),
    seed: 1,
    bootstrapSamples: 200,
  });
  assert.ok(Math.abs(r.preference.signTest.pValueBBetter - 1 / 512) < 1e-15);
  assert.equal(r.rejectNull, true);
});

test("analyzeInterleaving refuses a store that is not interleaved, naming the field", () => {
  assert.throws(
    () => analyzeInterleaving({ counts: counts([user(1, 0, 1, 0)], "sticky"), seed: 1, file: "x.sqlite" }),
    (e: Error & { field?: string }) => /routing mode "sticky"/.test(e.message),
  );
});

test("interleavingTruth: the hand-computed one-movie case, and the interleaving study's truth", () => {
  const parameters = { examination: [1], relevantClickProbability: 0.5, noiseClickProbability: 0.1 };
  const one = interleavingTruth(
    [{ rate: 1, rankingA: [10], rankingB: [20], relevant: new Set([10]) }],
    parameters,
    1,
  );
  // A first (p 1/2): click 10 w.p. 0.5 (A wins); B first: click 20 w.p. 0.1 (B wins).
  assert.ok(Math.abs(one.impression.a - 0.25) < 1e-12);
  assert.ok(Math.abs(one.impression.b - 0.05) < 1e-12);
  assert.ok(Math.abs(one.deltaABPerImpression - 0.1) < 1e-12);
  assert.ok(Math.abs(one.deltaABPerUser - 0.1) < 1e-12);

  // A small population: the same weighting as interleavingStudy's truth (its Monte Carlo does not enter it).
  const params3 = {
    examination: [1, 0.6, 0.3],
    relevantClickProbability: 0.6,
    noiseClickProbability: 0.05,
  };
  const users = [
    { rate: 0.2, rankingA: [1, 2, 3], rankingB: [4, 1, 5], relevant: new Set([1, 4]) },
    { rate: 0.7, rankingA: [6, 7, 8], rankingB: [8, 9, 6], relevant: new Set([9]) },
    { rate: 0.4, rankingA: [1, 3, 5], rankingB: [2, 4, 6], relevant: new Set([2, 3, 4]) },
  ];
  const study = interleavingStudy({
    users,
    parameters: params3,
    days: 5,
    userCounts: [4],
    experiments: 1,
    seed: 1,
  });
  const exact = interleavingTruth(users, params3, 5);
  assert.ok(Math.abs(exact.deltaABPerUser - study.truth.deltaABPerUser) < 1e-15);
  assert.ok(Math.abs(exact.deltaABPerImpression - study.truth.deltaABPerImpression) < 1e-15);
  assert.ok(Math.abs(exact.impression.a - study.truth.impression.a) < 1e-15);
});
