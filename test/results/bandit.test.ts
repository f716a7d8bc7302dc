import { test } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeBandit } from "../../src/results/bandit";
import type { CalendarPhase, EventCounts, VisitEvent } from "../../src/serving/event-store";

const counts = (routingMode: string): EventCounts => ({
  variants: [],
  users: [],
  usersInSeveralVariants: 0,
  settings: { routing_mode: routingMode, child_0: "baseline", child_1: "challenger" },
  preDays: 1,
  prePeriod: { users: 0, impressions: 0, clicks: 0 },
  interleaving: [],
});

function visit(
  n: number,
  userId: number,
  variant: string,
  propensity: number | null,
  clicked: 0 | 1,
  phase: CalendarPhase = "experiment",
): VisitEvent {
  return {
    visit: n,
    requestId: `r${n}`,
    userId,
    variant,
    modelVersion: "v1",
    fallback: false,
    clicked,
    clickedMovieId: clicked ? 7 : null,
    clickedPosition: clicked ? 0 : null,
    shownAtMs: n,
    clickedAtMs: clicked ? n : null,
    day: phase === "pre" ? 0 : 1,
    phase,
    latencyMs: 1,
    clickedTeam: null,
    propensity,
  };
}

// One pre-period visit (not read), then N = 5 experiment impressions with their propensities.
const visits = [
  visit(1, 9, "baseline", null, 1, "pre"),
  visit(2, 1, "baseline", 0.5, 1),
  visit(3, 2, "challenger", 0.5, 0),
  visit(4, 3, "challenger", 0.8, 1),
  visit(5, 4, "challenger", 0.8, 1),
  visit(6, 5, "baseline", 0.2, 0),
];
// Exact CTRs per user: [baseline, challenger].
const exact: Record<number, [number, number]> = {
  1: [0.1, 0.2],
  2: [0.05, 0.1],
  3: [0.2, 0.2],
  4: [0.1, 0.3],
  5: [0.3, 0.25],
};
const perUserCtr = new Map(
  (["baseline", "challenger"] as const).map((model, m) => [
    model,
    new Map(Object.entries(exact).map(([user, ctr]) => [Number(user), ctr[m]])),
  ]),
);

test("analyzeBandit: shares, naive and Horvitz-Thompson CTRs, posterior and regret by hand", () => {
  const r = analyzeBandit({
    counts: counts("thompson"),
    visits,
    groundTruth: { baseline: 0.07, challenger: 0.1 },
    perUserCtr,
  });
  assert.equal(r.policy, "thompson");
  assert.equal(r.impressions, 5);
  assert.deepEqual(
    [r.control.impressions, r.control.clicks, r.treatment.impressions, r.treatment.clicks],
    [2, 1, 3, 2],
  );
  assert.deepEqual([r.control.servedShare, r.treatment.servedShare], [0.4, 0.6]);
  assert.deepEqual([r.control.naiveCtr, r.treatment.naiveCtr], [0.5, 2 / 3]);
  // IPW: baseline (1 / 0.5) / 5 = 0.4; challenger (1 / 0.8 + 1 / 0.8) / 5 = 0.5 (the unclicked ones add 0).
  assert.ok(Math.abs(r.control.ipwCtr - 0.4) < 1e-15);
  assert.ok(Math.abs(r.treatment.ipwCtr - 0.5) < 1e-15);
  assert.ok(Math.abs(r.ipwDifference - 0.1) < 1e-15);
  // Posterior Beta(2, 2) (baseline) and Beta(3, 2) (challenger): P = int 6x(1-x) (1 - 4x^3 + 3x^4) dx = 22/35.
  assert.ok(Math.abs(r.probabilityChallengerBetter! - 22 / 35) < 1e-6);
  // Truth on these impressions: (0.1 + 0.05 + 0.2 + 0.1 + 0.3) / 5 and (0.2 + 0.1 + 0.2 + 0.3 + 0.25) / 5.
  assert.ok(Math.abs(r.control.truthOnImpressions! - 0.15) < 1e-15);
  assert.ok(Math.abs(r.treatment.truthOnImpressions! - 0.21) < 1e-15);
  assert.equal(r.treatment.populationTruth, 0.1);
  // Regret against always the challenger (better over the population): user 1 (0.2 - 0.1) + user 5 (0.25 - 0.3).
  assert.equal(r.regret!.better, "challenger");
  assert.ok(Math.abs(r.regret!.clicksLost - 0.05) < 1e-15);
  assert.ok(Math.abs(r.regret!.expectedClicks - (0.1 + 0.1 + 0.2 + 0.3 + 0.3)) < 1e-15);
  assert.ok(Math.abs(r.regret!.perImpression - 0.01) < 1e-15);
});

test("analyzeBandit without a truth leaves the regret out; refuses a sticky store and a missing propensity", () => {
  const r = analyzeBandit({ counts: counts("epsilon-greedy"), visits });
  assert.equal(r.regret, null);
  assert.equal(r.control.truthOnImpressions, null);
  assert.throws(() => analyzeBandit({ counts: counts("sticky"), visits }), /expected a bandit store/);
  assert.throws(
    () =>
      analyzeBandit({
        counts: counts("thompson"),
        visits: [visit(1, 1, "baseline", null, 1)],
        file: "e.sqlite",
      }),
    /impression "r1" \(visit 1\) of "baseline": expected a propensity/,
  );
});
