import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../../src/core/paths";
import { Random } from "../../../src/core/random";
import { openEventStore } from "../../../src/serving/event-store";
import { ratioSummaryFromUsers } from "../../../src/stats/ratio-metric";
import { ratioDaysForPower, ratioPowerAfterDays, ratioVarianceModel } from "../../../src/stats/ratio-power";

const abrec = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], { encoding: "utf8" });

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-design-ratio-"));
test.after(() => fs.rmSync(directory, { recursive: true, force: true }));
const write = (name: string, lines: string[]) => {
  const file = path.join(directory, name);
  fs.writeFileSync(file, ["variant,clicks,impressions", ...lines].join("\n") + "\n");
  return file;
};

// A seeded 14-day pre-period of 590 users, everyone on the baseline: Poisson visits at Exponential rates (mean
// 0.5 per day), one impression per visit, Beta(1, 13) CTRs. Users who never visited are left out of the file, as
// an export of the event store would; --population 590 counts them back.
const random = new Random(20261203);
const clicks: number[] = [];
const impressions: number[] = [];
for (let u = 0; u < 590; u++) {
  const rate = -0.5 * Math.log(1 - random.float());
  const ctr = 1 - (1 - random.float()) ** (1 / 13);
  let visits = 0;
  for (let product = random.float(); product > Math.exp(-rate * 14); product *= random.float()) visits++;
  if (visits > 0) {
    clicks.push(random.binomial(visits, ctr));
    impressions.push(visits);
  }
}
const rows = clicks.map((c, u) => `baseline,${c},${impressions[u]}`);
const prePeriod = write("pre-period.csv", rows);
const model = ratioVarianceModel(ratioSummaryFromUsers(clicks, impressions), 14, 590);
const args = [
  "--ratio-metric",
  "--per-user",
  prePeriod,
  "--pre-days",
  "14",
  "--population",
  "590",
  "--one-sided",
];

test("abrec design --ratio-metric prints the library's design effect, variance, days for 90% power and the power of 7 days", () => {
  const run = abrec("design", ...args, "--days", "7");
  assert.equal(run.status, 0, run.stderr);
  const expected = ratioDaysForPower(model, 0.04, 0.9, { oneSided: true });
  assert.ok(expected.days !== null);
  assert.match(run.stdout, new RegExp(`design effect ${model.prePeriod.designEffect.toFixed(2)}\\n`));
  assert.match(run.stdout, new RegExp(`per-user variance ${model.prePeriod.perUserVariance.toFixed(5)}`));
  assert.match(run.stdout, new RegExp(`days needed for power 0.9: ${expected.days} \\(power `));
  const power7 = ratioPowerAfterDays(model, 7, 0.04, { oneSided: true });
  assert.match(run.stdout, new RegExp(`at --days 7: power ${power7.toFixed(4)}`));
  assert.match(run.stdout, /295 users per arm/);
});

test("abrec design --ratio-metric --json: a capped length gives less than the target, the days needed reach it", () => {
  const run = abrec("design", ...args, "--days", "3", "--json");
  assert.equal(run.status, 0, run.stderr);
  const design = JSON.parse(run.stdout);
  assert.equal(design.usersInFile, clicks.length);
  assert.equal(design.model.population, 590);
  assert.ok(design.atGivenDays.power < 0.9, `3 days: ${design.atGivenDays.power}`);
  assert.ok(design.atDaysNeeded.power >= 0.9);
  assert.ok(design.atGivenDays.designEffect < design.atDaysNeeded.designEffect, "deff grows with the days");
});

test("the variants of the pre-period file are pooled: the same users split in two give the same design", () => {
  const split = write(
    "split.csv",
    clicks.map((c, u) => `${u % 2 === 0 ? "baseline" : "challenger"},${c},${impressions[u]}`),
  );
  const json = (file: string) =>
    JSON.parse(abrec("design", ...args.map((a) => (a === prePeriod ? file : a)), "--json").stdout).model;
  assert.deepEqual(json(split), json(prePeriod));
});

test("a population too small for the lift says so, with the most power it can give", () => {
  // 60 users, 20 impressions each, CTR 0 or 0.2: B is about var(p) = 0.01, above N delta^2 / (4 (z_a + z_b)^2).
  const few = write(
    "few.csv",
    Array.from({ length: 60 }, (_, u) => `baseline,${u % 2 === 0 ? 0 : 4},20`),
  );
  const run = abrec("design", "--ratio-metric", "--per-user", few, "--pre-days", "14", "--one-sided");
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stdout,
    /days needed: none reaches power 0.9; the most this population can give is 0\.\d{4}/,
  );
});

test("ratio-metric options are checked: missing, conflicting or misplaced ones exit 2 naming the option", () => {
  for (const [options, pattern] of [
    [["--ratio-metric"], /--per-user/],
    [["--ratio-metric", "--per-user", prePeriod], /--pre-days/],
    [[...args, "--baseline", "0.07"], /--baseline.*does not apply with --ratio-metric/],
    [[...args, "--daily-users", "100"], /--daily-users/],
    [["--days", "7"], /--days.*applies only with --ratio-metric/],
    [["--ratio-metric", "--per-user", prePeriod, "--pre-days", "14", "--population", "10"], /--population/],
    [
      ["--ratio-metric", "--per-user", path.join(directory, "missing.csv"), "--pre-days", "14"],
      /missing\.csv/,
    ],
  ] as const) {
    const run = abrec("design", ...options);
    assert.equal(run.status, 2, `${options.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, pattern);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  }
});

test("--events reads the same pre-period from an event store: the same design as its per-user file", async () => {
  // The file's users as pre-period impressions of a calendar store (14 pre days), the first clicks[u] clicked.
  const store = openEventStore(path.join(directory, "events.sqlite"));
  store.recordSetting("pre_days", "14");
  for (let u = 0; u < clicks.length; u++)
    for (let i = 0; i < impressions[u]; i++) {
      const requestId = `u${u + 1}-${i}`;
      await store.enqueueImpression({
        requestId,
        userId: u + 1,
        variant: "baseline",
        modelVersion: "v1",
        fallback: false,
        movieIds: [1, 2],
        routingMode: "sticky",
        day: i % 14,
        phase: "pre",
      });
      await store.enqueueFeedback(
        i < clicks[u] ? { requestId, reward: 1, movieId: 2 } : { requestId, reward: 0 },
      );
    }
  store.close();
  const fromFile = abrec(
    "design",
    "--ratio-metric",
    "--per-user",
    prePeriod,
    "--pre-days",
    "14",
    "--population",
    "590",
    "--json",
  );
  const fromStore = abrec(
    "design",
    "--ratio-metric",
    "--events",
    path.join(directory, "events.sqlite"),
    "--population",
    "590",
    "--json",
  );
  assert.equal(fromFile.status, 0, fromFile.stderr);
  assert.equal(fromStore.status, 0, fromStore.stderr);
  const strip = (json: string) => ({ ...JSON.parse(json), file: undefined });
  assert.deepEqual(strip(fromStore.stdout), strip(fromFile.stdout));
  const both = abrec("design", "--ratio-metric", "--events", "x.sqlite", "--per-user", prePeriod);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--per-user FILE\.csv or --events PATH \(one\)/);
});
