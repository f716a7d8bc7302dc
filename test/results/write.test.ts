import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sha256File } from "../../src/core/files";
import { formatP } from "../../src/results/report";
import { RESULTS_FILES, writeResults, type RunRecord } from "../../src/results/write";
import { fillEventStore } from "../support/event-store-fill";

test("writeResults writes report, analysis, events.csv, figures and run.json that agree with the event store", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-results-"));
  const eventsPath = await fillEventStore(
    [
      ["baseline", 1124, 79],
      ["challenger", 1124, 124],
    ],
    dir,
  );
  const { analysis, run } = await writeResults({
    resultsDir: dir,
    eventsPath,
    // 0.07 lies inside the baseline's interval [5.66%, 8.68%]; 0.30 lies far outside the challenger's.
    groundTruth: [
      { variant: "baseline", ctr: 0.07 },
      { variant: "challenger", ctr: 0.3 },
    ],
    report: { dataset: "test", seed: 7, transport: "a filled store" },
    run: {
      seed: 7,
      dataset: { name: "test", checksum: "abc" },
      stageTimingsMs: { data: 1 },
      parameters: { visits: 2248 },
    },
  });
  for (const name of [RESULTS_FILES.report, RESULTS_FILES.analysis, RESULTS_FILES.events, RESULTS_FILES.run])
    assert.ok(fs.existsSync(path.join(dir, name)), name);
  for (const figure of ["ctr-by-variant", "cumulative", "power-curve"])
    for (const ext of ["svg", "png"])
      assert.ok(fs.statSync(path.join(dir, "figures", `${figure}.${ext}`)).size > 1000);

  // events.csv: one row per visit; clicks recomputed from it match the analysis.
  const lines = fs.readFileSync(path.join(dir, RESULTS_FILES.events), "utf8").trim().split("\n");
  assert.equal(lines.length, 1 + 2248);
  const header = lines[0].split(",");
  for (const column of [
    "visit",
    "user_id",
    "variant",
    "clicked",
    "clicked_movie_id",
    "clicked_position",
    "shown_at",
  ])
    assert.ok(header.includes(column), column);
  const rows = lines.slice(1).map((line) => line.split(","));
  const count = (variant: string, clicked: string) =>
    rows.filter(
      (row) =>
        row[header.indexOf("variant")] === variant &&
        (clicked === "*" || row[header.indexOf("clicked")] === clicked),
    ).length;
  assert.deepEqual(
    [count("baseline", "*"), count("baseline", "1"), count("challenger", "*"), count("challenger", "1")],
    [1124, 79, 1124, 124],
  );

  // Pre-registered one-sided z-test: z = 3.3114 for 79/1124 vs 124/1124 (R's prop.test, correct = FALSE), p = 1 - Phi(3.3114) = 0.000464
  // (standard normal upper tail; the two-sided 0.000928 is twice it). Tolerances 1e-4 on z, 1e-6 on p.
  assert.ok(Math.abs(analysis.preRegistered.zTest.z - 3.3114) < 1e-4);
  assert.ok(Math.abs(analysis.preRegistered.zTest.pValue - 0.000464) < 1e-6);
  assert.ok(Math.abs(analysis.twoSided.zTest.pValue - 0.000928) < 1e-6);
  assert.equal(analysis.rejectNull, true);
  assert.equal(analysis.coverage.control?.covered, true);
  assert.equal(analysis.coverage.treatment?.covered, false);
  // The last look is the whole experiment.
  const last = analysis.looks[analysis.looks.length - 1];
  assert.deepEqual([last.visits, last.controlClicks, last.treatmentClicks], [2248, 79, 124]);
  assert.ok(Math.abs(last.pValueOneSided - analysis.preRegistered.zTest.pValue) < 1e-12);
  assert.ok(
    analysis.looks.every((l, i) => i === 0 || l.alwaysValidPValue <= analysis.looks[i - 1].alwaysValidPValue),
  );

  const report = fs.readFileSync(path.join(dir, RESULTS_FILES.report), "utf8");
  assert.match(report, /H1: CTR\(challenger\) > CTR\(baseline\)/);
  assert.match(report, /one-sided, alpha 0\.05/);
  assert.match(report, /z = 3\.3114/);
  assert.match(report, /0\.000464/);
  assert.match(report, /Reject H0/);
  assert.match(report, /\| baseline \| 1124 \| 79 \| 7\.03% \|/);
  assert.match(report, /\*\*no\*\*/);
  // The report's always-valid p-value is the last look's running minimum, as analysis.json records it.
  assert.ok(
    report.includes(`always-valid p = ${formatP(last.alwaysValidPValue)}`),
    `report quotes the always-valid p ${formatP(last.alwaysValidPValue)}`,
  );

  const saved = JSON.parse(fs.readFileSync(path.join(dir, RESULTS_FILES.run), "utf8")) as RunRecord;
  assert.equal(saved.seed, 7);
  assert.equal(saved.dataset?.checksum, "abc");
  assert.equal(saved.environment.node, process.version);
  assert.ok("results" in saved.stageTimingsMs && "data" in saved.stageTimingsMs);
  assert.equal(saved.results.treatment.clicks, 124);
  assert.equal(saved.files["events.csv"], await sha256File(path.join(dir, "events.csv")));
  assert.deepEqual(run.results, saved.results);
});
