import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runExperiment } from "../../src/pipeline/experiment";
import { readVariantCounts } from "../../src/serving/event-store";
import { exactBinomialTest } from "../../src/stats/interleaving";
import { formatP } from "../../src/results/report";
import type { BanditRunResults, InterleavingRunResults, RunRecord } from "../../src/results/write";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-methods-"));
const dataDir = path.join(root, "data");
const modelsDir = path.join(root, "models");

/** As test/pipeline/experiment.test.ts: 592 users at 1 visit in 20 days, 1 + 1 days. */
const SMALL_CALENDAR = { preDays: 1, experimentDays: 1, visitRates: { meanVisitsPerDay: 0.05 } };

function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, "utf8").trim().split("\n");
  const names = header.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
}

test(
  "abrec experiment --method interleaving end to end in the browser: the report's preferences are events.csv's",
  { timeout: 600_000 },
  async () => {
    const resultsDir = path.join(root, "results-interleaving");
    const outcome = await runExperiment({
      dataset: "ml-latest-small",
      transport: "browser",
      method: "interleaving",
      ...SMALL_CALENDAR,
      epochs: 2,
      seed: 11,
      resultsDir,
      dataDir,
      modelsDir,
      quiet: true,
    });
    assert.equal(outcome.complete, true);
    assert.match(
      path.basename(outcome.runDir),
      /^ml-latest-small-seed11-browser-interleaving-calendar-[0-9a-f]{8}$/,
    );
    assert.equal(readVariantCounts(outcome.eventsPath).settings.routing_mode, "interleave");

    // events.csv: the pre-period on the baseline, then every visit an interleaved slate; a click names its team.
    const rows = readCsv(path.join(resultsDir, "events.csv"));
    assert.equal(rows.length, outcome.simulation.summary.completedVisits);
    const experiment = rows.filter((r) => r.phase === "experiment");
    assert.ok(experiment.length >= 15, `${experiment.length} experiment visits`);
    for (const row of rows) {
      if (row.phase === "pre") assert.equal(row.variant, "baseline");
      else {
        assert.equal(row.variant, "interleaved", row.visit);
        assert.equal(row.propensity, "", row.visit);
        assert.equal(row.clicked === "1", ["baseline", "challenger"].includes(row.clicked_team), row.visit);
      }
    }
    // Per user: wins of each team, then the preferences and the sign test, recomputed from the CSV.
    const byUser = new Map<string, { a: number; b: number }>();
    for (const row of experiment) {
      const user = byUser.get(row.user_id) ?? { a: 0, b: 0 };
      if (row.clicked_team === "baseline") user.a++;
      if (row.clicked_team === "challenger") user.b++;
      byUser.set(row.user_id, user);
    }
    const users = [...byUser.values()];
    const prefersA = users.filter((u) => u.a > u.b).length;
    const prefersB = users.filter((u) => u.b > u.a).length;
    const report = fs.readFileSync(path.join(resultsDir, "report.md"), "utf8");
    assert.match(report, /^# Interleaving experiment results\n\n\*\*(Reject|Do not reject) H0\.\*\*/);
    assert.ok(
      report.includes(
        `| ${users.length} | ${prefersA} | ${prefersB} | ${users.length - prefersA - prefersB} |`,
      ),
      "users row",
    );
    const sign = exactBinomialTest(prefersB, prefersA + prefersB);
    assert.ok(report.includes(`one-sided p = ${formatP(sign.pValueGreater)}`), "sign test");
    const clicks = (team: string) => experiment.filter((r) => r.clicked_team === team).length;
    assert.ok(
      report.includes(
        `| ${experiment.length} | ${clicks("baseline")} | ${clicks("challenger")} | ${experiment.filter((r) => r.clicked === "0").length} |`,
      ),
      "impressions row",
    );
    assert.match(report, /## Ground truth\n\nExact under the click model over 1 days/);

    const run = JSON.parse(
      fs.readFileSync(path.join(resultsDir, "run.json"), "utf8"),
    ) as RunRecord<InterleavingRunResults>;
    assert.equal(run.results.method, "interleaving");
    assert.deepEqual(
      [run.results.users, run.results.prefersControl, run.results.prefersTreatment],
      [users.length, prefersA, prefersB],
    );
    assert.equal(run.results.pValueOneSided, sign.pValueGreater);
    assert.equal(run.results.deltaAB, (prefersA - prefersB) / (2 * users.length));
    assert.ok(Number.isFinite(run.results.groundTruthDeltaAB));
    assert.equal(run.parameters.method, "interleaving");
    assert.equal((run.parameters.routing as { mode: string }).mode, "interleave");
  },
);

test(
  "abrec experiment --method bandit over HTTP: shares and weighted CTRs of run.json are events.csv's",
  { timeout: 600_000 },
  async () => {
    const resultsDir = path.join(root, "results-bandit");
    const outcome = await runExperiment({
      dataset: "ml-latest-small",
      transport: "http",
      method: "bandit",
      ...SMALL_CALENDAR,
      epochs: 2,
      seed: 11,
      resultsDir,
      dataDir,
      modelsDir,
      prometheus: false,
      quiet: true,
    });
    assert.equal(outcome.complete, true);
    assert.match(
      path.basename(outcome.runDir),
      /^ml-latest-small-seed11-http-thompson-calendar-[0-9a-f]{8}$/,
    );
    const experiment = readCsv(path.join(resultsDir, "events.csv")).filter((r) => r.phase === "experiment");
    const n = experiment.length;
    assert.ok(n >= 15, `${n} experiment visits`);
    const run = JSON.parse(
      fs.readFileSync(path.join(resultsDir, "run.json"), "utf8"),
    ) as RunRecord<BanditRunResults>;
    assert.equal(run.results.method, "bandit");
    assert.equal(run.results.policy, "thompson");
    assert.equal(run.results.impressions, n);
    for (const arm of [run.results.control, run.results.treatment]) {
      const served = experiment.filter((r) => r.variant === arm.variant);
      for (const row of served) {
        const p = Number(row.propensity);
        assert.ok(
          row.propensity !== "" && p > 0 && p <= 1,
          `visit ${row.visit} propensity ${row.propensity}`,
        );
      }
      assert.equal(arm.impressions, served.length);
      assert.equal(arm.servedShare, served.length / n);
      const ipw = served.reduce((s, r) => s + (r.clicked === "1" ? 1 / Number(r.propensity) : 0), 0) / n;
      assert.ok(Math.abs(arm.ipwCtr - ipw) < 1e-12, `${arm.variant} IPW ${arm.ipwCtr} vs ${ipw}`);
    }
    assert.ok(run.results.regretClicks !== null && Number.isFinite(run.results.regretClicks));
    const report = fs.readFileSync(path.join(resultsDir, "report.md"), "utf8");
    assert.match(report, /^# Bandit experiment results\n\n\*\*P\(challenger better\) = /);
    assert.match(report, /naive CTR \(biased\)/);
    assert.match(report, /## Regret/);
  },
);

test(
  "the other transport of each method: interleaving over HTTP, an epsilon-greedy bandit in the browser",
  { timeout: 600_000 },
  async () => {
    const settings = {
      dataset: "ml-latest-small" as const,
      ...SMALL_CALENDAR,
      epochs: 2,
      seed: 11,
      dataDir,
      modelsDir,
    };
    const interleavingDir = path.join(root, "results-interleaving-http");
    const interleaving = await runExperiment({
      ...settings,
      transport: "http",
      method: "interleaving",
      resultsDir: interleavingDir,
      prometheus: false,
      quiet: true,
    });
    assert.equal(interleaving.complete, true);
    const slates = readCsv(path.join(interleavingDir, "events.csv")).filter((r) => r.phase === "experiment");
    assert.ok(slates.length >= 15 && slates.every((r) => r.variant === "interleaved"));
    for (const row of slates)
      assert.equal(row.clicked === "1", ["baseline", "challenger"].includes(row.clicked_team), row.visit);
    const interleavingRun = JSON.parse(
      fs.readFileSync(path.join(interleavingDir, "run.json"), "utf8"),
    ) as RunRecord<InterleavingRunResults>;
    assert.equal(interleavingRun.results.method, "interleaving");

    const banditDir = path.join(root, "results-epsilon-browser");
    const bandit = await runExperiment({
      ...settings,
      transport: "browser",
      method: "bandit",
      bandit: "epsilon-greedy",
      epsilon: 0.2,
      resultsDir: banditDir,
      quiet: true,
    });
    assert.equal(bandit.complete, true);
    assert.match(path.basename(bandit.runDir), /^ml-latest-small-seed11-browser-epsilon-greedy-calendar-/);
    const served = readCsv(path.join(banditDir, "events.csv")).filter((r) => r.phase === "experiment");
    assert.ok(served.length >= 15);
    // Epsilon-greedy's propensity with two arms: 1 - epsilon for the leader, epsilon for the other, 1/2 each while
    // their CTRs tie (the lead is then drawn at random).
    for (const row of served)
      assert.ok(
        [0.2, 0.5, 0.8].some((p) => Math.abs(Number(row.propensity) - p) < 1e-12),
        row.propensity,
      );
    // After the experiment's first click (one arm's CTR > 0, the other's 0) the next visit has a leader.
    const firstClick = served.findIndex((row) => row.clicked === "1");
    if (firstClick >= 0 && firstClick + 1 < served.length)
      assert.notEqual(Number(served[firstClick + 1].propensity), 0.5, "a leader after the first click");
    const banditRun = JSON.parse(
      fs.readFileSync(path.join(banditDir, "run.json"), "utf8"),
    ) as RunRecord<BanditRunResults>;
    assert.equal(banditRun.results.policy, "epsilon-greedy");
  },
);
