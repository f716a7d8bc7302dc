import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runExperiment } from "../../src/pipeline/experiment";
import { runNotebook } from "../support/notebooks";

test(
  "notebook 05 reads a small experiment's results and event store and records the same numbers as run.json",
  { timeout: 900_000 },
  async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb05-"));
    const resultsDir = path.join(root, "results");
    const outcome = await runExperiment({
      transport: "http",
      visits: 1000,
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
      AA_SPLITS: "200",
    });
    assert.equal(run.status, 0, run.stderr);
    const v = run.values;
    const results = outcome.run!.results;
    assert.equal(v.visits, 1000);
    assert.equal(v.csvRows, 1000);
    assert.deepEqual(
      [v.controlVisits, v.controlClicks, v.treatmentVisits, v.treatmentClicks],
      [results.control.trials, results.control.clicks, results.treatment.trials, results.treatment.clicks],
    );
    assert.equal(v.pValueOneSided, results.pValueOneSided);
    assert.equal(v.pValueTwoSided, results.pValueTwoSided);
    assert.equal(v.rejectNull, results.rejectNull);
    assert.equal(v.probabilityTreatmentBetter, results.probabilityTreatmentBetter);
    assert.ok((v.srmPValue as number) > 0 && (v.srmPValue as number) <= 1);
    // A/A splits of the baseline's ~500 visits (~35 clicks) into halves: a z-test at alpha 5% should call about 5%
    // of them significant. The 200 splits re-use one sample (a permutation distribution, not 200 independent
    // experiments) and the counts are small and discrete, so the bound is twice alpha: a badly anti-conservative
    // test (e.g. the wrong variance) fails it.
    assert.ok((v.aaFalsePositiveRate as number) <= 0.1, String(v.aaFalsePositiveRate));
    assert.equal(typeof v.controlCovered, "boolean");
    assert.match(String(v.conclusion), /^(Ship the challenger|Keep the baseline)/);
    const figures = run.executed.cells
      .flatMap((cell) => cell.outputs ?? [])
      .filter((o) => o.data?.["image/svg+xml"]);
    assert.equal(figures.length, 3, "CTR per variant, cumulative, power curve shown inline");
  },
);
