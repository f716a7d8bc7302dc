import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sha256File } from "../../src/core/files";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runExperiment, runFolderName } from "../../src/pipeline/experiment";
import { readVisitEvents } from "../../src/serving/event-store";
import { compareRatioArms, ratioSummaryFromUsers } from "../../src/stats/ratio-metric";
import { formatP } from "../../src/results/report";
import type { RunRecord } from "../../src/results/write";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-e2e-"));
const dataDir = path.join(root, "data");
const modelsDir = path.join(root, "models");

/** Impressions of both phases in an event store. */
function impressionsIn(eventsPath: string): number {
  return readVisitEvents(eventsPath).length;
}

/** A calendar small enough for a test: 592 users at 1 visit in 20 days, about 30 visits a day, 1 + 1 days. */
const SMALL_CALENDAR = { preDays: 1, experimentDays: 1, visitRates: { meanVisitsPerDay: 0.05 } };

/** Reads a CSV written by the project (no quoted commas in these columns). */
function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, "utf8").trim().split("\n");
  const names = header.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
}

test(
  "abrec experiment end to end in the browser: a calendar of 1 + 1 days gives consistent user-level results files",
  { timeout: 600_000 },
  async () => {
    const resultsDir = path.join(root, "results-browser");
    const outcome = await runExperiment({
      dataset: "ml-latest-small",
      transport: "browser",
      ...SMALL_CALENDAR,
      epochs: 2,
      seed: 11,
      resultsDir,
      dataDir,
      modelsDir,
      quiet: true,
    });
    assert.equal(outcome.complete, true);
    for (const file of ["report.md", "analysis.json", "events.csv", "run.json", "offline-metrics.json"])
      assert.ok(fs.existsSync(path.join(resultsDir, file)), file);
    for (const figure of ["ctr-by-variant", "cumulative", "power-curve", "offline-comparison"])
      for (const ext of ["svg", "png"])
        assert.ok(fs.existsSync(path.join(resultsDir, "figures", `${figure}.${ext}`)));

    // events.csv: one row per visit, day 0 the pre-period on the baseline, day 1 the experiment, sticky users.
    const rows = readCsv(path.join(resultsDir, "events.csv"));
    assert.equal(rows.length, outcome.simulation.summary.completedVisits);
    assert.ok(rows.length >= 30, `${rows.length} visits`);
    for (const row of rows) {
      assert.equal(row.phase, row.day === "0" ? "pre" : "experiment", row.visit);
      if (row.phase === "pre") assert.equal(row.variant, "baseline");
      assert.equal(
        row.clicked === "1",
        row.clicked_movie_id !== "" && row.clicked_position !== "",
        row.visit,
      );
    }
    const experiment = rows.filter((r) => r.phase === "experiment");
    assert.deepEqual(new Set(experiment.map((r) => r.variant)), new Set(["baseline", "challenger"]));
    const variantOf = new Map<string, string>();
    for (const row of experiment) {
      assert.equal(variantOf.get(row.user_id) ?? row.variant, row.variant, `user ${row.user_id}`);
      variantOf.set(row.user_id, row.variant);
    }

    // The report's primary analysis is the delta method recomputed from events.csv's per-user sums.
    const perUser = (variant: string) => {
      const users = [...variantOf].filter(([, v]) => v === variant).map(([user]) => user);
      const of = (user: string) => experiment.filter((r) => r.user_id === user);
      return {
        users: users.length,
        clicks: users.map((user) => of(user).filter((r) => r.clicked === "1").length),
        impressions: users.map((user) => of(user).length),
      };
    };
    const control = perUser("baseline");
    const treatment = perUser("challenger");
    const comparison = compareRatioArms(
      ratioSummaryFromUsers(control.clicks, control.impressions),
      ratioSummaryFromUsers(treatment.clicks, treatment.impressions),
    );
    const report = fs.readFileSync(path.join(resultsDir, "report.md"), "utf8");
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    for (const [variant, arm] of [
      ["baseline", control],
      ["challenger", treatment],
    ] as const) {
      const clicks = sum(arm.clicks);
      const impressions = sum(arm.impressions);
      assert.ok(
        report.includes(
          `| ${arm.users} | ${impressions} | ${clicks} | ${((100 * clicks) / impressions).toFixed(2)}% |`,
        ),
        `${variant} row`,
      );
    }
    assert.ok(
      report.includes(`one-sided p = ${formatP(comparison.difference.pValueGreater)}`),
      "one-sided p-value",
    );
    assert.match(report, /H1: CTR\(challenger\) > CTR\(baseline\)/);
    assert.match(report, /## Design\n\n.*The length was fixed at 1 days/);
    assert.match(report, /## A\/A and power study on this calendar/);

    // run.json: seed, the dataset's checksums, versions, stage timings, parameters.
    const run = JSON.parse(fs.readFileSync(path.join(resultsDir, "run.json"), "utf8")) as RunRecord;
    assert.equal(run.seed, 11);
    assert.equal(
      run.dataset?.inputChecksums?.["ratings.csv"],
      await sha256File(path.join(dataDir, "ml-latest-small", "ratings.csv")),
    );
    assert.match(run.dataset?.checksum ?? "", /^[0-9a-f]{64}$/);
    assert.equal(run.environment.node, process.version);
    assert.ok(run.environment.packages["selenium-webdriver"]);
    for (const stage of [
      "data",
      "training",
      "evaluation",
      "calibration",
      "serving",
      "pre-period",
      "design",
      "experiment",
      "results",
    ])
      assert.ok(Number.isFinite(run.stageTimingsMs[stage]), stage);
    const calendar = run.parameters.calendar as { preDays: number; experimentDays: number };
    assert.deepEqual([calendar.preDays, calendar.experimentDays], [1, 1]);
    assert.equal(run.parameters.unit, "user");
    assert.equal(run.parameters.transport, "browser");
    // No path of the machine that wrote it: folders and files are relative to the project root.
    assert.equal(run.parameters.resultsDir, path.relative(PROJECT_ROOT, resultsDir));
    assert.equal(run.parameters.modelsDir, path.relative(PROJECT_ROOT, modelsDir));
    assert.equal(run.parameters.dataDir, path.relative(PROJECT_ROOT, dataDir));
    const journal = (run.simulation as { journalFile: string }).journalFile;
    assert.equal(path.resolve(PROJECT_ROOT, journal), path.join(outcome.runDir, "journal.jsonl"));
    const absolute: string[] = [];
    JSON.stringify(run, (_key, value: unknown) => {
      if (typeof value === "string" && path.isAbsolute(value)) absolute.push(value);
      return value;
    });
    assert.deepEqual(absolute, []);
    assert.equal(run.results.unit, "user");
    assert.deepEqual(
      [run.results.control.clicks, run.results.treatment.clicks],
      [sum(control.clicks), sum(treatment.clicks)],
    );
    assert.equal(run.results.pValueOneSided, comparison.difference.pValueGreater);
    const prometheus = run.prometheus as {
      enabled: boolean;
      ctrPerModel?: { byModel: Record<string, number> };
    };
    if (fs.existsSync("/usr/bin/prometheus")) {
      assert.equal(prometheus.enabled, true);
      // Prometheus mirrors the event store (both phases: its counters count every impression served).
      for (const variant of ["baseline", "challenger"]) {
        const served = rows.filter((r) => r.variant === variant);
        const ctr = served.filter((r) => r.clicked === "1").length / served.length;
        assert.ok(Math.abs(prometheus.ctrPerModel!.byModel[variant] - ctr) < 1e-12, variant);
      }
    }
  },
);

test(
  "an interrupted experiment continues when run again, reusing the trained models",
  { timeout: 600_000 },
  async () => {
    const resultsDir = path.join(root, "results-http");
    const settings = {
      dataset: "ml-latest-small" as const,
      transport: "http" as const,
      ...SMALL_CALENDAR,
      epochs: 2,
      seed: 11,
      resultsDir,
      dataDir,
      modelsDir,
      prometheus: false,
      quiet: true,
    };
    // Interrupt as the simulation starts: no visit is made, no results are written.
    const controller = new AbortController();
    const first = await runExperiment({
      ...settings,
      signal: controller.signal,
      log: (line) => {
        if (line.includes("pre-period ...")) controller.abort();
      },
    });
    assert.equal(first.complete, false);
    assert.ok(!fs.existsSync(path.join(resultsDir, "report.md")));
    const second = await runExperiment(settings);
    assert.equal(second.complete, true);
    assert.equal(second.runDir, first.runDir);
    const visits = second.simulation.summary.completedVisits;
    assert.ok(visits >= 30, `${visits} visits`);
    const run = second.run!;
    const models = run.models as { name: string; reused: boolean }[];
    assert.deepEqual(
      models.map((m) => [m.name, m.reused]),
      [
        ["baseline", true],
        ["challenger", true],
      ],
    );
    assert.equal(
      fs.readFileSync(path.join(resultsDir, "events.csv"), "utf8").trim().split("\n").length,
      visits + 1,
    );

    // A retrained challenger (another epoch count) is a new run: its own folder, its own 40 visits, none of the
    // old model's visits resumed or mixed into its event store (the same calendar: the same number of visits).
    const retrained = await runExperiment({ ...settings, epochs: 3 });
    assert.equal(retrained.complete, true);
    assert.notEqual(retrained.runDir, second.runDir);
    assert.equal(retrained.simulation.summary.completedVisits, visits);
    assert.equal(impressionsIn(retrained.eventsPath), visits);
  },
);

test("the run folder names the settings and changes with any model version or calendar setting", () => {
  const versions = { baseline: "v1", challenger: "v2" };
  const calendar = { preDays: 7, maxExperimentDays: 14 };
  const name = runFolderName("ml-latest-small", 1, "browser", calendar, versions);
  assert.match(name, /^ml-latest-small-seed1-browser-calendar-[0-9a-f]{8}$/);
  assert.equal(
    runFolderName("ml-latest-small", 1, "browser", calendar, { challenger: "v2", baseline: "v1" }),
    name,
  );
  assert.notEqual(
    runFolderName("ml-latest-small", 1, "browser", calendar, { ...versions, challenger: "v3" }),
    name,
  );
  assert.notEqual(
    runFolderName("ml-latest-small", 1, "browser", { ...calendar, preDays: 3 }, versions),
    name,
  );
});
