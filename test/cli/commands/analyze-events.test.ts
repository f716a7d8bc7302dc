import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../../src/core/paths";
import { fillEventStore } from "../../support/event-store-fill";
import { openEventStore } from "../../../src/serving/event-store";

const abrec = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], { encoding: "utf8" });

test("abrec analyze --events counts visits per variant: 79/1124 vs 124/1124 gives R prop.test's pooled z", async () => {
  const file = await fillEventStore([
    ["baseline", 1124, 79],
    ["challenger", 1124, 124],
  ]);
  const run = abrec("analyze", "--events", file, "--json");
  assert.equal(run.status, 0, run.stderr);
  const a = JSON.parse(run.stdout);
  assert.deepEqual(
    [a.control.units, a.control.clicks, a.treatment.units, a.treatment.clicks],
    [1124, 79, 1124, 124],
  );
  // Pooled two-proportion z by hand: p = 203/2248, z = (124 - 79)/1124 / sqrt(p (1 - p) 2/1124) = 3.3114
  // (R's prop.test(c(124, 79), c(1124, 1124), correct = FALSE) gives X-squared 10.966 = z^2). Tolerance 1e-4.
  const pooled = 203 / 2248;
  const z = (124 / 1124 - 79 / 1124) / Math.sqrt(pooled * (1 - pooled) * (2 / 1124));
  assert.ok(Math.abs(a.zTest.z - z) < 1e-9, `z ${a.zTest.z} vs ${z} by hand`);
  assert.ok(Math.abs(a.zTest.z - 3.3114) < 1e-4, `z ${a.zTest.z} vs 3.3114`);
  const readable = abrec("analyze", "--events", file, "--one-sided");
  assert.equal(readable.status, 0, readable.stderr);
  assert.match(readable.stdout, /one trial per visit/);
  assert.match(readable.stdout, /greater/);
});

test("abrec analyze --events --unit user is refused when users saw both variants (random routing)", async () => {
  const file = await fillEventStore([
    ["baseline", 100, 7],
    ["challenger", 100, 11],
  ]);
  const run = abrec("analyze", "--events", file, "--unit", "user");
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /more than one variant/);
});

test("abrec analyze --events: missing file, unknown variant, and mixing both forms exit 2 with the reason", async () => {
  const file = await fillEventStore([
    ["baseline", 10, 1],
    ["challenger", 10, 2],
  ]);
  const cases: [string[], RegExp][] = [
    [["--events", path.join(os.tmpdir(), "no-such-abrec-store.sqlite")], /event store not found/],
    [
      ["--events", file, "--treatment-variant", "nope"],
      /no impressions of variant "nope".*baseline, challenger/,
    ],
    [["--events", file, "--control", "1/10"], /either --events or --control/],
    [["--control", "1/10"], /--treatment.*or --events/],
  ];
  for (const [args, pattern] of cases) {
    const run = abrec("analyze", ...args);
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, pattern);
  }
});

/**
 * A calendar store written through the event store's writer: user u of an arm has one pre-period impression on
 * day 0 (on the baseline, clicked when u is even), then impressions[u] impressions on day 1 from the arm's
 * variant, the first clicks[u] of them clicked.
 */
async function calendarStore(
  clicks: Record<"control" | "treatment", number[]>,
  impressions: Record<"control" | "treatment", number[]>,
): Promise<string> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-analyze-calendar-")), "events.sqlite");
  const store = openEventStore(file);
  for (const [key, value] of Object.entries({
    pre_days: "1",
    routing_mode: "sticky",
    ratio_a: "0.5",
    child_0: "baseline",
    child_1: "challenger",
  }))
    store.recordSetting(key, value);
  let userId = 0;
  const show = async (day: number, variant: string, clicked: boolean) => {
    const requestId = `r${userId}-${day}-${Math.random()}`;
    await store.enqueueImpression({
      requestId,
      userId,
      variant,
      modelVersion: "v1",
      fallback: false,
      movieIds: [10, 20],
      routingMode: "sticky",
      day,
      phase: day === 0 ? "pre" : "experiment",
      latencyMs: 1,
    });
    await store.enqueueFeedback(clicked ? { requestId, reward: 1, movieId: 20 } : { requestId, reward: 0 });
  };
  for (const [role, variant] of [
    ["control", "baseline"],
    ["treatment", "challenger"],
  ] as const)
    for (let u = 0; u < impressions[role].length; u++) {
      userId++;
      await show(0, "baseline", u % 2 === 0);
      for (let i = 0; i < impressions[role][u]; i++) await show(1, variant, i < clicks[role][u]);
    }
  store.close();
  return file;
}

test("abrec analyze --events on a calendar store gives the user-level analysis: the delta method on per-user sums", async () => {
  // gbstats' ratio-metric example (test/stats/ratio-metric.test.ts): difference 0.083333, SE 0.0394182.
  const clicks = { control: [1, 0, 2, 1, 0, 1, 2, 0], treatment: [2, 1, 2, 1, 1, 3, 1, 1] };
  const impressions = { control: [10, 5, 8, 12, 3, 7, 9, 6], treatment: [9, 6, 11, 4, 8, 10, 7, 5] };
  const file = await calendarStore(clicks, impressions);
  const run = abrec("analyze", "--events", file, "--json");
  assert.equal(run.status, 0, run.stderr);
  const a = JSON.parse(run.stdout);
  assert.ok(Math.abs(a.primary.difference.estimate - 0.0833333) < 1e-6, a.primary.difference.estimate);
  assert.ok(Math.abs(a.primary.difference.standardError - 0.0394182) < 1e-6);
  assert.equal(a.cuped.available, true);
  assert.equal(a.control.preImpressions, 8);
  const readable = abrec("analyze", "--events", file);
  assert.equal(readable.status, 0, readable.stderr);
  assert.match(readable.stdout, /## Primary: CTR per impression \(delta method\)/);
  assert.match(readable.stdout, /## The wrong analysis: naive per-impression z-test/);
  // The per-impression reading stays available on request.
  const perVisit = abrec("analyze", "--events", file, "--unit", "visit", "--json");
  assert.equal(perVisit.status, 0, perVisit.stderr);
  assert.equal(JSON.parse(perVisit.stdout).control.units, 60);
});
