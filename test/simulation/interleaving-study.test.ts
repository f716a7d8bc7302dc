import { test } from "node:test";
import * as assert from "node:assert/strict";
import { assertClose as close } from "../support/approx";
import { InputError } from "../../src/core/errors";
import { Random } from "../../src/core/random";
import { clickModelParameters, simulateVisit } from "../../src/simulation/click-model";
import {
  expectedTeamDraftOutcome,
  interleavingStudy,
  type InterleavingStudyUser,
} from "../../src/simulation/interleaving-study";
import { teamDraftCredit, teamDraftInterleave } from "../../src/stats/interleaving";

const twoPositions = { examination: [1, 0.5], relevantClickProbability: 0.5, noiseClickProbability: 0.1 };

test("hand-computed 2-movie case: A = [10], B = [20], 10 relevant -> P(A) 0.3625, P(B) 0.0625, tie 0.575", () => {
  // A first (1/2): slate [10, 20], P(click 10) = 0.5, P(click 20) = 1 * 0.5 * 0.5 * 0.1 = 0.025.
  // B first (1/2): slate [20, 10], P(click 20) = 0.1, P(click 10) = 1 * 0.9 * 0.5 * 0.5 = 0.225.
  const outcome = expectedTeamDraftOutcome([10], [20], new Set([10]), twoPositions, 2);
  close(outcome.a, (0.5 + 0.225) / 2, 1e-15, "P(A wins)");
  close(outcome.b, (0.025 + 0.1) / 2, 1e-15, "P(B wins)");
  close(outcome.tie, 0.575, 1e-15, "P(tie)");
});

test("identical rankings: A and B win equally often (the coin makes the teams exchangeable)", () => {
  const ranking = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const outcome = expectedTeamDraftOutcome(
    ranking,
    ranking,
    new Set([1, 4, 9]),
    clickModelParameters(0.3, {
      slateLength: 10,
      patience: 0.85,
      noiseRatio: 0.05,
    }),
    10,
  );
  close(outcome.a, outcome.b, 1e-15, "P(A) = P(B)");
  assert.ok(outcome.a > 0.1);
  assert.throws(() => expectedTeamDraftOutcome(ranking, ranking, new Set(), twoPositions, 41), InputError);
});

test("exact outcome matches a Monte Carlo of teamDraftInterleave + the cascade click model within 4 SE", () => {
  const parameters = clickModelParameters(0.4, { slateLength: 10, patience: 0.85, noiseRatio: 0.05 });
  const rankingA = [3, 17, 5, 8, 21, 1, 13, 2, 30, 9];
  const rankingB = [5, 40, 3, 41, 42, 8, 43, 17, 44, 45];
  const relevant = new Set([40, 5, 42, 13, 9, 44]);
  const exact = expectedTeamDraftOutcome(rankingA, rankingB, relevant, parameters, 10);
  const random = new Random(20261201);
  const impressions = 40000;
  let a = 0;
  let b = 0;
  for (let i = 0; i < impressions; i++) {
    const slate = teamDraftInterleave(rankingA, rankingB, 10, random);
    const clicked = simulateVisit(
      Uint8Array.from(slate.movieIds, (id) => (relevant.has(id) ? 1 : 0)),
      parameters,
      random,
    );
    const { winner } = teamDraftCredit(slate.teams, clicked < 0 ? [] : [clicked]);
    if (winner === 0) a++;
    else if (winner === 1) b++;
  }
  for (const [name, count, p] of [
    ["A", a, exact.a],
    ["B", b, exact.b],
  ] as const)
    close(count / impressions, p, 4 * Math.sqrt((p * (1 - p)) / impressions), `P(${name} wins)`);
  assert.ok(exact.b > exact.a, "B ranks more relevant movies high");
});

/** A population where B puts each user's relevant movies higher than A does. */
function population(users: number, seed: number): InterleavingStudyUser[] {
  const random = new Random(seed);
  return Array.from({ length: users }, () => {
    const movies = random.shuffle(Array.from({ length: 30 }, (_, i) => i));
    const relevant = new Set(movies.slice(0, 6));
    const rankingA = random.shuffle(movies.slice(0, 20)).slice(0, 10);
    // B: A's movies, but two extra relevant ones moved to the front.
    const extra = movies.slice(0, 6).filter((m) => !rankingA.includes(m));
    const rankingB = [...extra.slice(0, 2), ...rankingA.filter((m) => !extra.includes(m))].slice(0, 10);
    return { rate: random.beta(1, 2), rankingA, rankingB, relevant };
  });
}

const parameters = clickModelParameters(0.1, { slateLength: 10, patience: 0.85, noiseRatio: 0.05 });

test("study: interleaving needs fewer users than the A/B test; estimates centre on the exact truths; seeded", () => {
  const users = population(60, 7);
  const options = { users, parameters, days: 14, userCounts: [40, 80, 160, 320], experiments: 400, seed: 11 };
  const study = interleavingStudy(options);
  assert.ok(study.truth.deltaABPerUser < 0 && study.truth.abDifference > 0, "B is better by both truths");
  close(study.truth.abDifference, study.truth.ctrB - study.truth.ctrA, 1e-15, "A/B difference");
  const last = study.byUsers[study.byUsers.length - 1];
  // Delta_BA = -Delta_AB; the per-user ratio estimator's bias is O(1/n), well inside 4 SE + 0.005 here.
  const interleavingSe = Math.sqrt(0.25 / (320 * 0.7)) / Math.sqrt(400);
  close(
    last.interleaving.meanEstimate,
    -study.truth.deltaABPerUser,
    4 * interleavingSe + 0.005,
    "mean Delta_BA",
  );
  close(last.abTest.meanEstimate, study.truth.abDifference, 0.01, "mean A/B difference");
  for (const row of study.byUsers) {
    assert.ok(row.interleaving.rejectBBetter.rate >= row.abTest.rejectBBetter.rate, `power at ${row.users}`);
    assert.ok(row.interleaving.rejectABetter.rate < 0.05, `wrong-way rejections at ${row.users}`);
  }
  const power = study.byUsers.map((row) => row.interleaving.rejectBBetter.rate);
  assert.ok(power[3] > power[0], "power grows with n");
  const { interleaving, abTest, ratio } = study.usersForTargetPower;
  assert.ok(
    interleaving !== null && interleaving <= 160,
    `interleaving reaches 90% power by 160 (${interleaving})`,
  );
  assert.ok(abTest !== null && abTest > interleaving, `the A/B test needs more (${abTest})`);
  assert.equal(ratio, abTest / interleaving);
  assert.deepEqual(interleavingStudy(options), study);
});

test("study: a model's own top-10 reversed is worse than it; both designs say so and the one-sided B test stays quiet", () => {
  // A = the better model's top-10, B = the same ten movies worst first: the cascade examines the top more often.
  const users = population(60, 7).map((user) => ({
    ...user,
    rankingA: user.rankingB,
    rankingB: [...user.rankingB].reverse(),
  }));
  const study = interleavingStudy({
    users,
    parameters,
    days: 14,
    userCounts: [80],
    experiments: 300,
    seed: 3,
  });
  assert.ok(study.truth.deltaABPerUser > 0 && study.truth.abDifference < 0, "A is better by both truths");
  const [row] = study.byUsers;
  assert.ok(
    row.interleaving.rejectBBetter.rate < 0.01,
    "interleaving never declares the worse challenger better",
  );
  assert.ok(row.interleaving.correctWinner.rate > 0.9);
  assert.ok(row.interleaving.rejectABetter.rate > row.abTest.rejectABetter.rate);
  assert.ok(row.agreement.rate > 0.5);
});

test("study input errors name the field", () => {
  const users = population(5, 1);
  const base = { users, parameters, days: 14, userCounts: [10], seed: 1 };
  assert.throws(() => interleavingStudy({ ...base, userCounts: [10, 5] }), /userCounts/);
  assert.throws(() => interleavingStudy({ ...base, days: 0 }), /days/);
  assert.throws(
    () => interleavingStudy({ ...base, users: [{ ...users[0], rankingA: [1, 2] }] }),
    /users\[0\]\.rankingA/,
  );
  assert.throws(() => interleavingStudy({ ...base, users: [{ ...users[0], rate: 2 }] }), /users\[0\]\.rate/);
});
