import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sha256File } from "../../src/core/files";
import { PROJECT_ROOT } from "../../src/core/paths";
import { analyzeCounts } from "../../src/stats/analysis";
import { runExperiment, runFolderName } from "../../src/pipeline/experiment";
import { readVariantCounts } from "../../src/serving/event-store";
import { formatP } from "../../src/results/report";
import type { RunRecord } from "../../src/results/write";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-e2e-"));
const dataDir = path.join(root, "data");
const modelsDir = path.join(root, "models");

/** Impressions of all variants in an event store. */
function impressionsIn(eventsPath: string): number {
  return readVariantCounts(eventsPath).variants.reduce((sum, v) => sum + v.impressions, 0);
}

/** Reads a CSV written by the project (no quoted commas in these columns). */
function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, "utf8").trim().split("\n");
  const names = header.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
}

test(
  "abrec experiment end to end: 60 browser visits on ml-latest-small give consistent results files",
  { timeout: 600_000 },
  async () => {
    const resultsDir = path.join(root, "results-browser");
    const outcome = await runExperiment({
      dataset: "ml-latest-small",
      transport: "browser",
      visits: 60,
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

    // events.csv: one row per visit, every one served through the site by one of the two models.
    const rows = readCsv(path.join(resultsDir, "events.csv"));
    assert.equal(rows.length, 60);
    assert.deepEqual(new Set(rows.map((r) => r.variant)), new Set(["baseline", "challenger"]));
    for (const row of rows)
      assert.equal(
        row.clicked === "1",
        row.clicked_movie_id !== "" && row.clicked_position !== "",
        row.visit,
      );

    // The report's numbers are those recomputed from events.csv.
    const count = (variant: string) => ({
      units: rows.filter((r) => r.variant === variant).length,
      clicks: rows.filter((r) => r.variant === variant && r.clicked === "1").length,
    });
    const control = count("baseline");
    const treatment = count("challenger");
    const report = fs.readFileSync(path.join(resultsDir, "report.md"), "utf8");
    for (const [variant, arm] of [
      ["baseline", control],
      ["challenger", treatment],
    ] as const)
      assert.ok(
        report.includes(
          `| ${variant} | ${arm.units} | ${arm.clicks} | ${((100 * arm.clicks) / arm.units).toFixed(2)}% |`,
        ),
        `${variant} row`,
      );
    const recomputed = analyzeCounts(
      { control, treatment },
      { alternative: "greater", sequentialTuningParameter: 2248 },
    );
    assert.ok(report.includes(`one-sided p = ${formatP(recomputed.zTest.pValue)}`), "one-sided p-value");
    assert.match(report, /H1: CTR\(challenger\) > CTR\(baseline\)/);

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
      "design",
      "calibration",
      "serving",
      "simulation",
      "results",
    ])
      assert.ok(Number.isFinite(run.stageTimingsMs[stage]), stage);
    assert.equal(run.parameters.visits, 60);
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
    assert.deepEqual(
      [run.results.control.clicks, run.results.treatment.clicks],
      [control.clicks, treatment.clicks],
    );
    const prometheus = run.prometheus as {
      enabled: boolean;
      ctrPerModel?: { byModel: Record<string, number> };
    };
    if (fs.existsSync("/usr/bin/prometheus")) {
      assert.equal(prometheus.enabled, true);
      // Prometheus mirrors the event store: its CTR per model equals clicks / visits.
      assert.ok(Math.abs(prometheus.ctrPerModel!.byModel.baseline - control.clicks / control.units) < 1e-12);
      assert.ok(
        Math.abs(prometheus.ctrPerModel!.byModel.challenger - treatment.clicks / treatment.units) < 1e-12,
      );
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
      visits: 40,
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
        if (line.includes("simulation ...")) controller.abort();
      },
    });
    assert.equal(first.complete, false);
    assert.ok(!fs.existsSync(path.join(resultsDir, "report.md")));
    const second = await runExperiment(settings);
    assert.equal(second.complete, true);
    assert.equal(second.runDir, first.runDir);
    assert.equal(second.simulation.summary.completedVisits, 40);
    const run = second.run!;
    const models = run.models as { name: string; reused: boolean }[];
    assert.deepEqual(
      models.map((m) => [m.name, m.reused]),
      [
        ["baseline", true],
        ["challenger", true],
      ],
    );
    assert.equal(fs.readFileSync(path.join(resultsDir, "events.csv"), "utf8").trim().split("\n").length, 41);

    // A retrained challenger (another epoch count) is a new run: its own folder, its own 40 visits, none of the
    // old model's visits resumed or mixed into its event store.
    const retrained = await runExperiment({ ...settings, epochs: 3 });
    assert.equal(retrained.complete, true);
    assert.notEqual(retrained.runDir, second.runDir);
    assert.equal(retrained.simulation.summary.completedVisits, 40);
    assert.equal(fs.readFileSync(path.join(resultsDir, "events.csv"), "utf8").trim().split("\n").length, 41);
    assert.equal(impressionsIn(retrained.eventsPath), 40);
  },
);

test("the run folder names the settings and changes with any model version", () => {
  const versions = { baseline: "v1", challenger: "v2" };
  const name = runFolderName("ml-latest-small", 1, "browser", 2248, versions);
  assert.match(name, /^ml-latest-small-seed1-browser-2248-models-[0-9a-f]{8}$/);
  assert.equal(
    runFolderName("ml-latest-small", 1, "browser", 2248, { challenger: "v2", baseline: "v1" }),
    name,
  );
  assert.notEqual(
    runFolderName("ml-latest-small", 1, "browser", 2248, { ...versions, challenger: "v3" }),
    name,
  );
});
