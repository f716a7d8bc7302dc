import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InputError } from "../../src/core/errors";
import type { EventCounts, UserCounts, VisitEvent } from "../../src/serving/event-store";
import { cupedRatioSummaryFromUsers, cupedRatioTest } from "../../src/stats/cuped";
import { compareRatioArms, ratioSummaryFromUsers } from "../../src/stats/ratio-metric";
import { sequentialFromEstimate } from "../../src/stats/sequential";
import { dailyUserLooks } from "../../src/results/daily-looks";
import { nearestRankQuantile, userLevelGuardrails } from "../../src/results/guardrails";
import { userLevelMarkdown } from "../../src/results/report";
import { analyzeUserLevel } from "../../src/results/user-level";

const names = { control: "baseline", treatment: "challenger" };
const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

// The gbstats example of the issue (8 + 8 users) with the made-up pre-period of test/stats/cuped.test.ts.
const arms = {
  baseline: {
    clicks: [1, 0, 2, 1, 0, 1, 2, 0],
    impressions: [10, 5, 8, 12, 3, 7, 9, 6],
    preClicks: [1, 0, 1, 2, 0, 1, 1, 0],
    preImpressions: [8, 6, 9, 10, 4, 7, 8, 5],
  },
  challenger: {
    clicks: [2, 1, 2, 1, 1, 3, 1, 1],
    impressions: [9, 6, 11, 4, 8, 10, 7, 5],
    preClicks: [1, 1, 1, 0, 1, 2, 1, 0],
    preImpressions: [7, 5, 9, 5, 6, 9, 8, 6],
  },
};
const userId = (variant: string, u: number) => (variant === "baseline" ? 2 * u + 1 : 2 * u + 2);

function userRows(a: typeof arms): UserCounts[] {
  return Object.entries(a)
    .flatMap(([variant, arm]) =>
      arm.clicks.map((clicks, u) => ({
        userId: userId(variant, u),
        variant,
        impressions: arm.impressions[u],
        clicks,
        preImpressions: arm.preImpressions[u],
        preClicks: arm.preClicks[u],
        firstDay: 7,
      })),
    )
    .sort((x, y) => x.userId - y.userId);
}

function eventCounts(rows: UserCounts[], overrides: Partial<EventCounts> = {}): EventCounts {
  return {
    variants: [],
    users: rows,
    usersInSeveralVariants: 0,
    settings: { routing_mode: "sticky", ratio_a: "0.5", child_0: "baseline", child_1: "challenger" },
    preDays: 7,
    prePeriod: { users: 16, impressions: 121, clicks: 13 },
    interleaving: [],
    ...overrides,
  };
}

/**
 * Each user's experiment impressions: the first ceil(I/2) on day 7 with the first ceil(C/2) clicks, the rest on
 * day 8 (so day 7's cumulative counts are the ceil halves, listed in the daily-looks test).
 */
function visitsOf(a: typeof arms, latencyMs: (variant: string, k: number) => number | null): VisitEvent[] {
  const visits: VisitEvent[] = [];
  for (const [variant, arm] of Object.entries(a))
    arm.clicks.forEach((clicks, u) => {
      const firstDayImpressions = Math.ceil(arm.impressions[u] / 2);
      const firstDayClicks = Math.ceil(clicks / 2);
      for (let k = 0; k < arm.impressions[u]; k++) {
        const day = k < firstDayImpressions ? 7 : 8;
        const clicked =
          k < firstDayClicks ||
          (k >= firstDayImpressions && k - firstDayImpressions < clicks - firstDayClicks);
        visits.push({
          visit: visits.length + 1,
          requestId: `r${visits.length + 1}`,
          userId: userId(variant, u),
          variant,
          modelVersion: "v1",
          fallback: false,
          clicked: clicked ? 1 : 0,
          clickedMovieId: clicked ? 1 : null,
          clickedPosition: clicked ? 0 : null,
          shownAtMs: 0,
          clickedAtMs: null,
          day,
          phase: "experiment",
          latencyMs: latencyMs(variant, visits.length),
          clickedTeam: null,
          propensity: 0.5,
        });
      }
    });
  return visits;
}

const visits = visitsOf(arms, (variant, k) => (variant === "baseline" ? 5 : 6) + (k % 10) / 10);

test("the primary reproduces gbstats' delta-method figures through analyzeUserLevel", () => {
  const a = analyzeUserLevel({ counts: eventCounts(userRows(arms)), visits, names, plannedDays: 2 });
  // gbstats (computed with its own code, issue's reference): difference 0.083333, SE 0.0394182, two-sided p
  // 0.0345081, 95% CI (0.0060751, 0.1605915); relative lift 0.7142857, SE 0.5094221. Tolerance 1e-6.
  near(a.primary.difference.estimate, 0.0833333, 1e-6, "difference");
  near(a.primary.difference.standardError, 0.0394182, 1e-6, "SE");
  near(a.primary.difference.pValueTwoSided, 0.0345081, 1e-6, "p two-sided");
  near(a.primary.difference.intervalTwoSided.lower, 0.0060751, 1e-6, "CI lower");
  near(a.primary.difference.intervalTwoSided.upper, 0.1605915, 1e-6, "CI upper");
  near(a.primary.relativeLift.estimate, 0.7142857, 1e-6, "lift");
  near(a.primary.relativeLift.standardError, 0.5094221, 1e-6, "lift SE");
  // One-sided: half the two-sided p for a positive z.
  near(a.primary.pValueOneSided, 0.0345081 / 2, 1e-6, "p one-sided");
  assert.equal(a.primary.rejectNull, true);
  assert.deepEqual(
    [a.control.users, a.control.impressions, a.control.clicks, a.treatment.impressions, a.treatment.clicks],
    [8, 60, 7, 60, 12],
  );
  assert.deepEqual(a.calendar, {
    preDays: 7,
    firstExperimentDay: 7,
    experimentDays: 2,
    plannedDays: 2,
    reachedPlannedEnd: true,
  });
  assert.equal(a.primary.coverage, null);
});

test("ground truth coverage: the two-sided intervals are checked against the exact CTRs", () => {
  // 0.10 lies in the baseline's interval 0.116667 -/+ 1.96 SE; 0.40 is far above the challenger's 0.2.
  const a = analyzeUserLevel({
    counts: eventCounts(userRows(arms)),
    visits,
    names,
    groundTruth: { control: 0.1, treatment: 0.4 },
  });
  assert.equal(a.primary.coverage?.control.covered, true);
  assert.equal(a.primary.coverage?.treatment.covered, false);
  near(a.primary.coverage!.difference.truth, 0.3, 1e-12, "true difference");
  assert.equal(a.primary.coverage?.difference.covered, false);
});

test("CUPED uses the pre-period and reproduces cupedRatioTest; users without pre-period impressions stay in", () => {
  const a = analyzeUserLevel({ counts: eventCounts(userRows(arms)), visits, names });
  assert.equal(a.cuped.available, true);
  if (!a.cuped.available) return;
  // test/stats/cuped.test.ts' reference for these users: theta 0.3181838, adjusted difference 0.0763302, SE
  // 0.0375887 (unadjusted 0.0394182), variance reduction 0.0907.
  near(a.cuped.theta, 0.3181838, 1e-7, "theta");
  near(a.cuped.difference.estimate, 0.0763302, 1e-7, "adjusted difference");
  near(a.cuped.difference.standardError, 0.0375887, 1e-7, "adjusted SE");
  near(a.cuped.unadjustedStandardError, 0.0394182, 1e-7, "unadjusted SE");
  near(a.cuped.varianceReduction, 0.0907, 1e-4, "variance reduction");
  assert.equal(a.cuped.pValueOneSided, a.cuped.difference.pValueGreater);
  assert.deepEqual(a.cuped.usersWithoutPrePeriod, { control: 0, treatment: 0 });

  // A baseline user who never came in the pre-period: P = Q = 0, kept with the same n.
  const noPre = structuredClone(arms);
  noPre.baseline.preClicks[1] = 0;
  noPre.baseline.preImpressions[1] = 0;
  const b = analyzeUserLevel({ counts: eventCounts(userRows(noPre)), visits, names });
  assert.equal(b.cuped.available, true);
  if (!b.cuped.available) return;
  assert.deepEqual(b.cuped.usersWithoutPrePeriod, { control: 1, treatment: 0 });
  const summary = (arm: typeof arms.baseline) =>
    cupedRatioSummaryFromUsers({
      numerator: arm.clicks,
      denominator: arm.impressions,
      preNumerator: arm.preClicks,
      preDenominator: arm.preImpressions,
    });
  const library = cupedRatioTest(summary(noPre.baseline), summary(noPre.challenger));
  assert.equal(b.cuped.theta, library.theta);
  assert.equal(b.cuped.difference.estimate, library.difference);
  assert.equal(library.control.n, 8);

  // No pre-period at all: CUPED is reported unavailable, the rest of the analysis stands.
  const none = structuredClone(arms);
  for (const arm of [none.baseline, none.challenger]) {
    arm.preImpressions.fill(0);
    arm.preClicks.fill(0);
  }
  const c = analyzeUserLevel({ counts: eventCounts(userRows(none), { preDays: null }), visits, names });
  assert.deepEqual(c.cuped, { available: false, reason: "no pre-period impressions in baseline" });
  near(c.primary.difference.estimate, 0.0833333, 1e-6, "primary unchanged");

  // Pre-period impressions without a click (a short pre-period): the covariate is constant, CUPED unavailable.
  const noClicks = structuredClone(arms);
  for (const arm of [noClicks.baseline, noClicks.challenger]) arm.preClicks.fill(0);
  const d = analyzeUserLevel({ counts: eventCounts(userRows(noClicks)), visits, names });
  assert.deepEqual(d.cuped, {
    available: false,
    reason: "no pre-period click, so the covariate does not vary across users",
  });
});

test("the naive per-impression z-test is labelled wrong and carries the design effect", () => {
  const a = analyzeUserLevel({ counts: eventCounts(userRows(arms)), visits, names });
  assert.match(a.naive.label, /^Wrong analysis/);
  // R 4.2.2: prop.test(c(12, 7), c(60, 60), correct = FALSE, alternative = "greater") -> p 0.1055903;
  // z = (12/60 - 7/60) / sqrt(19/120 * 101/120 * 2/60) = 1.250326.
  near(a.naive.zTest.z, 1.250326, 1e-6, "naive z");
  near(a.naive.zTest.pValue, 0.1055903, 1e-7, "naive p");
  // Variance ratio: 0.0394182^2 / (19/120 * 101/120 * 2/60) = 0.0015538 / 0.0044421 = 0.34979.
  near(a.naive.varianceRatio, 0.34979, 1e-4, "variance ratio");
  assert.ok(a.naive.designEffect.control > 0 && a.naive.designEffect.treatment > 0);
});

test("secondaries: share of users who clicked and clicks per user, one-sided, Holm and BH across the two", () => {
  const a = analyzeUserLevel({ counts: eventCounts(userRows(arms)), visits, names });
  const [share, perUser] = a.secondaries;
  // R 4.2.2: prop.test(c(8, 5), c(8, 8), correct = FALSE, alternative = "greater")$p.value = 0.02733197.
  assert.deepEqual([share.control, share.treatment], [5 / 8, 1]);
  near(share.pValueOneSided, 0.02733197, 1e-8, "clicked share p");
  // R: t.test(c(2,1,2,1,1,3,1,1), c(1,0,2,1,0,1,2,0), alternative = "greater"): t 1.569965, p 0.06947871.
  near(perUser.statistic, 1.569965, 1e-6, "Welch t");
  near(perUser.pValueOneSided, 0.06947871, 1e-8, "Welch p");
  // R: p.adjust(c(0.02733197, 0.06947871), "holm") = c(0.05466394, 0.06947871); "BH" gives the same here.
  near(share.holmAdjustedP, 0.05466394, 1e-8, "Holm share");
  near(perUser.holmAdjustedP, 0.06947871, 1e-8, "Holm per user");
  near(share.bhAdjustedP, 0.05466394, 1e-8, "BH share");
  // Significant alone (0.027 < 0.05) but not after Holm's adjustment.
  assert.deepEqual([share.significant, perUser.significant], [false, false]);
});

test("SRM on users uses the router's ratio_a", () => {
  const even = analyzeUserLevel({ counts: eventCounts(userRows(arms)), visits, names });
  assert.deepEqual([even.srm.chiSquare, even.srm.pValue, even.srm.mismatch], [0, 1, false]);
  const skewed = analyzeUserLevel({
    counts: eventCounts(userRows(arms), {
      settings: { routing_mode: "sticky", ratio_a: "0.2", child_0: "baseline", child_1: "challenger" },
    }),
    visits,
    names,
  });
  // Expected 3.2 vs 12.8 users: X^2 = 4.8^2 / 3.2 + 4.8^2 / 12.8 = 7.2 + 1.8 = 9.
  assert.deepEqual(skewed.srm.expectedUsers, [3.2, 12.8]);
  near(skewed.srm.chiSquare, 9, 1e-12, "chi-square");
  assert.throws(
    () =>
      analyzeUserLevel({
        counts: eventCounts(userRows(arms), { settings: { ratio_a: "half" } }),
        visits,
        names,
      }),
    /settings\.ratio_a/,
  );
});

test("random routing is refused: the user-level analysis needs sticky routing", () => {
  assert.throws(
    () =>
      analyzeUserLevel({
        counts: eventCounts(userRows(arms), {
          usersInSeveralVariants: 5,
          settings: { routing_mode: "random" },
        }),
        visits,
        names,
        file: "events.sqlite",
      }),
    (e: unknown) =>
      e instanceof InputError &&
      /events\.sqlite/.test(e.message) &&
      /5 users were served by more than one variant \(routing "random"\)/.test(e.message) &&
      /needs sticky routing/.test(e.message),
  );
});

test("daily looks: cumulative per-user sums by day, always-valid p as a running minimum", () => {
  const a = analyzeUserLevel({ counts: eventCounts(userRows(arms)), visits, names });
  assert.equal(a.sequential.available, true);
  if (!a.sequential.available) return;
  assert.equal(a.sequential.tuningParameter, 16);
  assert.deepEqual(
    a.sequential.looks.map((l) => [l.day, l.experimentDay, l.controlUsers, l.treatmentUsers]),
    [
      [7, 1, 8, 8],
      [8, 2, 8, 8],
    ],
  );
  // Day 7: every user's first ceil(I/2) impressions and ceil(C/2) clicks (see visitsOf), by hand:
  const day7 = compareRatioArms(
    ratioSummaryFromUsers([1, 0, 1, 1, 0, 1, 1, 0], [5, 3, 4, 6, 2, 4, 5, 3]),
    ratioSummaryFromUsers([1, 1, 1, 1, 1, 2, 1, 1], [5, 3, 6, 2, 4, 5, 4, 3]),
  );
  const [first, last] = a.sequential.looks;
  assert.equal(first.difference, day7.difference.estimate);
  assert.equal(first.standardError, day7.difference.standardError);
  const day7Sequential = sequentialFromEstimate(
    { difference: day7.difference.estimate, standardError: day7.difference.standardError, totalUnits: 16 },
    { tuningParameter: 16 },
  );
  assert.equal(first.alwaysValidPValue, day7Sequential.pValue);
  // Day 8 is the whole experiment: the primary's difference; its always-valid p (d 0.0833333, SE 0.0394182, N
  // 16 = N*) is 0.410842 by hand (test/stats/sequential.test.ts), or the day-7 one if smaller.
  near(last.difference, 0.0833333, 1e-6, "last difference");
  near(last.alwaysValidPValue, Math.min(0.410842, day7Sequential.pValue), 1e-5, "running minimum");
  assert.ok(
    last.runningInterval.lower >= first.interval.lower && last.runningInterval.upper <= first.interval.upper,
  );
  assert.equal(a.sequential.firstSignificantDay, null);
});

test("daily looks skip days before both arms can be tested; a significant day is reported", () => {
  // Day 0: one user per arm (no look); day 1: 40 + 40 users, baseline 1 click in 10, challenger 5 in 10.
  const make = (variant: string, user: number, day: number, clicked: 0 | 1): VisitEvent => ({
    visit: 0,
    requestId: `${variant}-${user}-${day}`,
    userId: user,
    variant,
    modelVersion: "v1",
    fallback: false,
    clicked,
    clickedMovieId: null,
    clickedPosition: null,
    shownAtMs: 0,
    clickedAtMs: null,
    day,
    phase: "experiment",
    latencyMs: null,
    clickedTeam: null,
    propensity: null,
  });
  const list: VisitEvent[] = [make("baseline", 0, 0, 1), make("challenger", 1000, 0, 1)];
  for (let u = 1; u < 40; u++) {
    for (let k = 0; k < 10; k++) list.push(make("baseline", u, 1, k < (u % 3 === 0 ? 2 : 0) ? 1 : 0));
    for (let k = 0; k < 10; k++)
      list.push(make("challenger", 1000 + u, 1, k < (u % 2 === 0 ? 8 : 2) ? 1 : 0));
  }
  const looks = dailyUserLooks(list, names, { alpha: 0.05, tuningParameter: 80, firstExperimentDay: 0 });
  assert.deepEqual(looks.daysBeforeFirstLook, [0]);
  assert.deepEqual(
    looks.looks.map((l) => [l.day, l.controlUsers, l.treatmentUsers]),
    [[1, 40, 40]],
  );
  assert.ok(looks.looks[0].alwaysValidPValue < 0.05);
  assert.equal(looks.firstSignificantDay, 1);
  assert.throws(
    () =>
      dailyUserLooks([{ ...list[0], day: null }], names, {
        alpha: 0.05,
        tuningParameter: 2,
        firstExperimentDay: 0,
      }),
    /has no simulated day/,
  );
});

test("guardrails: nearest-rank p99 latency, fallback share and error rate against the thresholds", () => {
  // R 4.2.2: quantile(1:200, 0.99, type = 1) = 198.
  assert.equal(
    nearestRankQuantile(
      Array.from({ length: 200 }, (_, i) => 200 - i),
      0.99,
    ),
    198,
  );
  const visit = (variant: string, latencyMs: number | null, fallback = false): VisitEvent => ({
    visit: 0,
    requestId: "r",
    userId: 1,
    variant,
    modelVersion: "v1",
    fallback,
    clicked: 0,
    clickedMovieId: null,
    clickedPosition: null,
    shownAtMs: 0,
    clickedAtMs: null,
    day: 7,
    phase: "experiment",
    latencyMs,
    clickedTeam: null,
    propensity: null,
  });
  const arm = (variant: string, p99: number, fallbacks: number) =>
    Array.from({ length: 100 }, (_, i) =>
      visit(variant, i === 99 ? 2 * p99 : i === 98 ? p99 : 1, i < fallbacks),
    );
  // 100 visits: the nearest-rank p99 is the 99th smallest latency.
  const slow = userLevelGuardrails([...arm("baseline", 80, 0), ...arm("challenger", 130, 2)], names);
  assert.deepEqual([slow.latencyP99.controlP99Ms, slow.latencyP99.treatmentP99Ms], [80, 130]);
  assert.equal(slow.latencyP99.status, "fail"); // 130 > 1.5 x 80 = 120 and not under 100 ms
  assert.equal(slow.fallbackShare.status, "fail"); // 2% > 0% + 1 point
  assert.equal(slow.errorRate.status, "not recorded");
  assert.equal(slow.allRecordedPass, false);
  const fine = userLevelGuardrails([...arm("baseline", 20, 0), ...arm("challenger", 90, 1)], names, {
    control: { requests: 1000, errors: 20 },
    treatment: { requests: 1000, errors: 9 },
  });
  assert.equal(fine.latencyP99.status, "pass"); // 4.5 x the baseline's but under 100 ms
  assert.equal(fine.fallbackShare.status, "pass"); // 1% <= 0% + 1 point
  assert.deepEqual([fine.errorRate.treatment, fine.errorRate.status], [0.009, "pass"]);
  assert.equal(fine.allRecordedPass, true);
  const failing = userLevelGuardrails(arm("baseline", 20, 0), names, {
    control: { requests: 100, errors: 0 },
    treatment: { requests: 100, errors: 1 },
  });
  assert.equal(failing.errorRate.status, "fail"); // 1% is not under 1%
  assert.equal(failing.latencyP99.status, "not recorded"); // no challenger visits
  assert.throws(
    () =>
      userLevelGuardrails([], names, {
        control: { requests: 0, errors: 0 },
        treatment: { requests: 1, errors: 0 },
      }),
    /servingErrors\.control\.requests/,
  );
});

test("userLevelMarkdown renders every section with the analysis' figures", () => {
  const a = analyzeUserLevel({
    counts: eventCounts(userRows(arms)),
    visits,
    names,
    plannedDays: 14,
    groundTruth: { control: 0.1, treatment: 0.4 },
    servingErrors: { control: { requests: 60, errors: 0 }, treatment: { requests: 60, errors: 0 } },
  });
  const md = userLevelMarkdown(a, {
    dataset: "hand-made",
    seed: 1,
    transport: "none",
    eventsFile: "events.sqlite",
  });
  for (const heading of [
    "## Decision",
    "## Primary: CTR per impression (delta method)",
    "## CUPED (pre-period covariate)",
    "## The wrong analysis: naive per-impression z-test",
    "## Secondary metrics",
    "## Guardrails",
    "## Sample ratio check (users)",
    "## Sequential analysis on users (daily looks)",
  ])
    assert.ok(md.includes(heading), heading);
  assert.ok(md.indexOf("**Reject H0.**") < md.indexOf("## Primary"), "decision first");
  assert.match(md, /one-sided p = 0\.0173 < 0\.05/);
  assert.match(md, /Interim: 2 of 14 planned days/);
  assert.match(md, /\| difference \| \+8\.33 pts \| 3\.94 pts \| \[\+0\.61 pts, \+16\.06 pts\] \|/);
  assert.match(md, /\| baseline \| 8 \| 60 \| 7 \| 11\.67% \|/);
  assert.match(md, /theta = 0\.3182/);
  assert.match(md, /reduced by \*\*9\.1%\*\*/);
  assert.match(md, /Wrong analysis: it treats every impression.*z = 1\.2503, one-sided p = 0\.1056/);
  assert.match(
    md,
    /\| share of users who clicked at least once \| 62\.50% \| 100\.00% \|.*\| 0\.0273 \| 0\.0547 \| 0\.0547 \| no \|/,
  );
  assert.match(
    md,
    /\| prediction latency p99 \(nearest rank\) \| 5\.9 ms \(60 visits\) \| 6\.9 ms \(60 visits\) \|.*\| pass \|/,
  );
  assert.match(md, /\| error rate \| 0\.00% \(0 of 60\) \| 0\.00% \(0 of 60\) \|/);
  assert.match(md, /8 vs 8 users, expected 8\.0 vs 8\.0/);
  assert.match(md, /\| 8 \| 2 \| 8 \+ 8 \| 11\.67% \| 20\.00% \| \+8\.33 pts \| 3\.94 pts \|/);
  assert.match(md, /never fell below 0\.05 in 2 daily looks/);
  assert.match(md, /\| 10\.00% \| yes \|/); // the baseline's ground truth covered
});
