import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runExperiment } from "../../src/pipeline/experiment";
import { runNotebook } from "../support/notebooks";
import type { AbRunResults } from "../../src/results/write";

test(
  "notebook 05 reads a small calendar experiment's results and event store and records the same numbers as run.json",
  { timeout: 900_000 },
  async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb05-"));
    const resultsDir = path.join(root, "results");
    // About 60 visits a day over 2 + 2 days: enough users in both arms for every section to have figures.
    const outcome = await runExperiment({
      transport: "http",
      preDays: 2,
      experimentDays: 2,
      visitRates: { meanVisitsPerDay: 0.1 },
      epochs: 2,
      seed: 3,
      resultsDir,
      dataDir: path.join(root, "data"),
      modelsDir: path.join(root, "models"),
      prometheus: false,
      quiet: true,
    });
    assert.equal(outcome.complete, true);
    const run = runNotebook(path.join(PROJECT_ROOT, "notebooks", "05-results-analysis.ipynb"), {
      RESULTS_DIR: resultsDir,
    });
    assert.equal(run.status, 0, run.stderr);
    const v = run.values;
    // The A/B method (the default): its results are the user-level headline.
    const results = outcome.run!.results as AbRunResults;
    assert.equal(v.impressions, outcome.simulation.summary.completedVisits);
    assert.equal(v.csvRows, v.impressions);
    assert.equal(v.experimentDays, 2);
    assert.deepEqual(
      [
        v.controlUsers,
        v.controlImpressions,
        v.controlClicks,
        v.treatmentUsers,
        v.treatmentImpressions,
        v.treatmentClicks,
      ],
      [
        results.control.users,
        results.control.trials,
        results.control.clicks,
        results.treatment.users,
        results.treatment.trials,
        results.treatment.clicks,
      ],
    );
    assert.equal(v.difference, results.difference);
    assert.equal(v.pValueOneSided, results.pValueOneSided);
    assert.equal(v.pValueTwoSided, results.pValueTwoSided);
    assert.equal(v.rejectNull, results.rejectNull);
    assert.equal(v.cupedPValueOneSided, results.cuped?.pValueOneSided ?? null);
    assert.equal(v.usersInSeveralVariants, 0);
    assert.ok((v.srmPValue as number) > 0 && (v.srmPValue as number) <= 1);
    // The run's A/A study (2,000 experiments): the delta method within 4 binomial SE (0.0195) of alpha 5%.
    assert.ok(Math.abs((v.aaDeltaTypeOneError as number) - 0.05) < 0.0195, String(v.aaDeltaTypeOneError));
    assert.equal(typeof v.differenceCovered, "boolean");
    assert.match(String(v.conclusion), /^(Ship the challenger|Keep the baseline)/);
    const figures = run.executed.cells
      .flatMap((cell) => cell.outputs ?? [])
      .filter((o) => o.data?.["image/svg+xml"]);
    assert.equal(figures.length, 2, "CTR per variant and the cumulative figure shown inline");
  },
);
