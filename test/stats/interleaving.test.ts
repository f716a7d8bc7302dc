import { test } from "node:test";
import * as assert from "node:assert/strict";
import { assertClose as close } from "../support/approx";
import { InputError } from "../../src/core/errors";
import { Random } from "../../src/core/random";
import {
  exactBinomialTest,
  interleavingPreference,
  teamDraftCoinsPerCall,
  teamDraftCredit,
  teamDraftInterleave,
  teamDraftInterleaveWithCoins,
  type Team,
} from "../../src/stats/interleaving";

/**
 * A stream per seed, forked: the first float of `new Random(seed)` itself is >= 0.5 for every seed 1..20000
 * (xoroshiro128+ seeded from a small integer), so unforked per-seed streams would always give B the first pick.
 */
function streamOf(seed: number): Random {
  return new Random(seed).fork();
}

/** The set of slates (as strings) team-draft gives over many seeds, with their counts. */
function outcomes(a: number[], b: number[], length: number, seeds: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let seed = 1; seed <= seeds; seed++) {
    const key = teamDraftInterleave(a, b, length, streamOf(seed)).movieIds.join(",");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

// mpkato/interleaving tests/test_team_draft.py `test_interleave`: the only slates team-draft can produce.
test("mpkato test_interleave: [[1, 2], [2, 3]] gives (1, 2) / (2, 1) at 2, (1, 2, 3) / (2, 1, 3) at 3 and 4", () => {
  assert.deepEqual([...outcomes([1, 2], [2, 3], 2, 200).keys()].sort(), ["1,2", "2,1"]);
  assert.deepEqual([...outcomes([1, 2], [2, 3], 3, 200).keys()].sort(), ["1,2,3", "2,1,3"]);
  assert.deepEqual([...outcomes([1, 2], [2, 3], 4, 200).keys()].sort(), ["1,2,3", "2,1,3"]);
  assert.deepEqual([...outcomes([1, 2], [3, 4], 2, 200).keys()].sort(), ["1,3", "3,1"]);
});

test("mpkato test_interleave: [[1, 2], [3, 4]] to length 3 gives only (1,3,2), (1,3,4), (3,1,2), (3,1,4), each about 1/4", () => {
  const seeds = 4000;
  const counts = outcomes([1, 2], [3, 4], 3, seeds);
  assert.deepEqual([...counts.keys()].sort(), ["1,3,2", "1,3,4", "3,1,2", "3,1,4"]);
  // Two fair coins: each slate has probability 1/4; 4 binomial standard errors.
  const se = Math.sqrt((0.25 * 0.75) / seeds);
  for (const [slate, count] of counts) close(count / seeds, 0.25, 4 * se, `share of ${slate}`);
});

test("mpkato test_interleave teams: [[1, 2], [2, 3]] to 2 credits 1 to A and 2 to B; [[1, 2], [3, 4]] 1 and 3", () => {
  for (let seed = 1; seed <= 50; seed++) {
    const overlap = teamDraftInterleave([1, 2], [2, 3], 2, streamOf(seed));
    assert.deepEqual(overlap.movieIds[overlap.teams.indexOf(0)], 1);
    assert.deepEqual(overlap.movieIds[overlap.teams.indexOf(1)], 2);
    const disjoint = teamDraftInterleave([1, 2], [3, 4], 2, streamOf(seed));
    assert.deepEqual(disjoint.movieIds[disjoint.teams.indexOf(0)], 1);
    assert.deepEqual(disjoint.movieIds[disjoint.teams.indexOf(1)], 3);
  }
});

test("coins: round r reads coin r (< 0.5: A first); the trailing team picks without a coin; a shared movie is skipped", () => {
  const a = [1, 2, 3, 4];
  const b = [2, 5, 1, 6];
  // Round 0 A first (1), B takes 2; round 1 B first (5), A's next unshown is 3; round 2 A first: 4, B's 1 is shown -> 6.
  assert.deepEqual(teamDraftInterleaveWithCoins(a, b, 6, [0.25, 0.75, 0.25]), {
    movieIds: [1, 2, 5, 3, 4, 6],
    teams: [0, 1, 1, 0, 0, 1],
  });
  // An exhausted team drops out and the other goes on alone (mpkato `_select_team`'s empty teams).
  assert.deepEqual(teamDraftInterleaveWithCoins([1], [2, 3, 4], 4, [0.25, 0.25]), {
    movieIds: [1, 2, 3, 4],
    teams: [0, 1, 1, 1],
  });
  assert.throws(() => teamDraftInterleaveWithCoins(a, b, 6, [0.25, 0.75]), InputError);
});

test("a call consumes exactly ceil(length / 2) uniforms whatever the rankings", () => {
  assert.equal(teamDraftCoinsPerCall(10), 5);
  assert.equal(teamDraftCoinsPerCall(9), 5);
  assert.equal(teamDraftCoinsPerCall(1), 1);
  for (const [a, b] of [
    [
      [1, 2, 3],
      [1, 2, 3],
    ],
    [[1], [2]],
    [
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    ],
  ]) {
    const used = new Random(3);
    teamDraftInterleave(a, b, 10, used);
    const reference = new Random(3);
    for (let i = 0; i < 5; i++) reference.float();
    assert.equal(used.float(), reference.float());
  }
  assert.throws(() => teamDraftCoinsPerCall(0), InputError);
});

// mpkato/interleaving tests/test_team_draft.py `test_evaluate`: ranking [1, 3, 4] with teams {0: [1], 1: [3, 4]}
// (teams [0, 1, 1] here); [(1, 0)] there is "ranker 1 beat ranker 0", [] a tie.
test("mpkato test_evaluate: teams [0, 1, 1]: clicks [0,1,2] -> 1, [0,1] tie, [0,2] tie, [1,2] -> 1, [0] -> 0, [1] -> 1, [2] -> 1, [] tie", () => {
  const teams: Team[] = [0, 1, 1];
  const cases: [number[], Team | "tie"][] = [
    [[0, 1, 2], 1],
    [[0, 1], "tie"],
    [[0, 2], "tie"],
    [[1, 2], 1],
    [[0], 0],
    [[1], 1],
    [[2], 1],
    [[], "tie"],
  ];
  for (const [clicks, winner] of cases)
    assert.equal(teamDraftCredit(teams, clicks).winner, winner, `clicks ${JSON.stringify(clicks)}`);
  assert.deepEqual(teamDraftCredit(teams, [0, 1, 2]), { a: 1, b: 2, winner: 1 });
  // The first case of test_evaluate: ranking [1, 2], teams {0: [1], 1: [2]}.
  assert.equal(teamDraftCredit([0, 1], [0, 1]).winner, "tie");
  assert.equal(teamDraftCredit([0, 1], [0]).winner, 0);
  assert.equal(teamDraftCredit([0, 1], [1]).winner, 1);
  assert.throws(() => teamDraftCredit(teams, [3]), InputError);
  assert.throws(() => teamDraftCredit(teams, [1, 1]), InputError);
});

// R's binom.test (stats package). Expected values computed exactly (rational arithmetic over the binomial
// probabilities, Python's fractions) and matching R's printed four digits.
test("R binom.test(7, 20): two-sided p 0.2631760 (R prints 0.2632), greater 0.9423409, less 0.1315880", () => {
  const r = exactBinomialTest(7, 20);
  close(r.pValueTwoSided, 0.263176, 1e-7, "two-sided");
  close(r.pValueGreater, 0.9423409, 1e-7, "greater");
  close(r.pValueLess, 0.131588, 1e-7, "less");
});

test("R's ?binom.test example (Conover 1971, p. 97): binom.test(c(682, 243), p = 3/4), p 0.3824916 (R: 0.3825)", () => {
  const r = exactBinomialTest(682, 925, 0.75);
  close(r.pValueTwoSided, 0.3824916, 1e-7, "two-sided");
  close(r.pValueGreater, 0.8240891, 1e-7, "greater");
  close(r.pValueLess, 0.1960093, 1e-7, "less");
});

test("exact binomial test edge cases: symmetric at p = 1/2, 0 trials gives 1, bad counts throw", () => {
  close(exactBinomialTest(13, 20).pValueTwoSided, exactBinomialTest(7, 20).pValueTwoSided, 1e-12, "symmetry");
  assert.equal(exactBinomialTest(10, 20).pValueTwoSided, 1);
  assert.deepEqual([exactBinomialTest(0, 0).pValueTwoSided, exactBinomialTest(0, 0).pValueGreater], [1, 1]);
  close(exactBinomialTest(10, 10).pValueGreater, 2 ** -10, 1e-15, "P(X >= 10 | 10, 1/2)");
  assert.throws(() => exactBinomialTest(21, 20), InputError);
  assert.throws(() => exactBinomialTest(1, 2, 1), InputError);
});

test("interleavingPreference: users prefer the team with more wins; Delta_AB = (n_A + n_T / 2) / n - 1/2; sign test", () => {
  const users = [
    { winsA: 0, winsB: 2, ties: 5 },
    { winsA: 1, winsB: 0, ties: 3 },
    { winsA: 0, winsB: 1, ties: 0 },
    { winsA: 0, winsB: 0, ties: 4 },
  ];
  const result = interleavingPreference(users, { random: new Random(1) });
  assert.deepEqual([result.prefersA, result.prefersB, result.ties, result.users], [1, 2, 1, 4]);
  close(result.deltaAB, (1 + 0.5) / 4 - 0.5, 1e-15, "Delta_AB");
  assert.equal(result.signTest.trials, 3);
  close(result.signTest.pValueBBetter, 0.5, 1e-12, "P(X >= 2 | 3, 1/2)");
  close(result.signTest.pValueTwoSided, 1, 1e-12, "two-sided");
  assert.ok(result.interval.lower <= result.deltaAB && result.deltaAB <= result.interval.upper);
  assert.throws(() => interleavingPreference([], { random: new Random(1) }), InputError);
  assert.throws(
    () => interleavingPreference([{ winsA: -1, winsB: 0, ties: 0 }], { random: new Random(1) }),
    InputError,
  );
});

test("interleavingPreference: 7 of 20 deciding users prefer B -> R's binom.test(7, 20) p-values; bootstrap seeded", () => {
  const users = [
    ...Array.from({ length: 13 }, () => ({ winsA: 2, winsB: 1, ties: 0 })),
    ...Array.from({ length: 7 }, () => ({ winsA: 0, winsB: 1, ties: 3 })),
    ...Array.from({ length: 30 }, () => ({ winsA: 1, winsB: 1, ties: 2 })),
  ];
  const first = interleavingPreference(users, { random: new Random(5), bootstrapSamples: 4000 });
  close(first.signTest.pValueTwoSided, 0.263176, 1e-7, "two-sided sign test");
  close(first.signTest.pValueBBetter, 0.9423409, 1e-7, "one-sided, B better");
  close(first.deltaAB, (13 + 15) / 50 - 0.5, 1e-15, "Delta_AB");
  // The bootstrap's percentile interval brackets the sampling SD: Delta = (p_A - p_B) / 2 over users, with
  // SD sqrt(p_A + p_B - (p_A - p_B)^2) / (2 sqrt(n)) = sqrt(0.4 - 0.0144) / (2 sqrt(50)) = 0.0439; 95%: +-0.086.
  close(first.interval.upper - first.interval.lower, 2 * 1.96 * 0.0439, 0.02, "interval width");
  const again = interleavingPreference(users, { random: new Random(5), bootstrapSamples: 4000 });
  assert.deepEqual(again.interval, first.interval);
});
