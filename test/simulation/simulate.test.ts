import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { groundTruth } from "../../src/simulation/ground-truth";
import { inProcessTransport } from "../../src/simulation/in-process";
import { SIMULATION_FILES, simulate, type SimulationRecord } from "../../src/simulation/simulate";
import { slateRecommender, syntheticPopulation } from "../support/simulation";

test("simulate writes the click model, journal, one CSV row per visit and a summary with ground truth", async () => {
  const population = syntheticPopulation();
  const baseline = slateRecommender("baseline", population, 1);
  const challenger = slateRecommender("challenger", population, 2);
  const truth = groundTruth(population, baseline, [challenger]);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-simulate-"));
  const record = await simulate({
    population,
    truth,
    transport: inProcessTransport({
      variants: [
        { name: "baseline", recommender: baseline },
        { name: "challenger", recommender: challenger },
      ],
      slateLength: 10,
      seed: 2,
    }),
    visits: 300,
    seed: 2,
    outDir,
    quiet: true,
  });
  for (const file of Object.values(SIMULATION_FILES)) assert.ok(fs.existsSync(path.join(outDir, file)), file);
  const lines = fs.readFileSync(path.join(outDir, SIMULATION_FILES.visits), "utf8").trim().split("\n");
  assert.equal(lines.length, 301);
  const header = lines[0].split(",");
  assert.ok(header.includes("variant") && header.includes("clicked"));
  const rows = lines.slice(1).map((line) => line.split(","));
  const clicked = header.indexOf("clicked");
  const clicks = rows.filter((row) => row[clicked] === "1").length;
  assert.equal(
    clicks,
    record.summary.variants.reduce((sum, v) => sum + v.clicks, 0),
  );
  const saved = JSON.parse(
    fs.readFileSync(path.join(outDir, SIMULATION_FILES.summary), "utf8"),
  ) as SimulationRecord;
  assert.equal(saved.summary.completedVisits, 300);
  assert.equal(saved.groundTruth[0].model, "baseline");
  assert.ok(Math.abs(saved.clickModel.achievedCtr - 0.07) < 1e-6);
});
