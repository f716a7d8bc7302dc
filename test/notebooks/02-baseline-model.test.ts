import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { assertRecordedClose, runNotebook } from "../support/notebooks";

// The headline values the README's results table quotes (results/offline-metrics.json, default seed 20261128):
// the baseline on ml-latest-small's test period, 28 evaluated users. The window choice and the popularity counts
// are deterministic, so the point estimates are pinned to 1e-6 (float formatting only); RESAMPLES changes the
// bootstrap intervals, not the estimates.
const TOLERANCE = 1e-6;

test("notebook 02 chooses the 730-day window and reproduces the baseline's NDCG@10 0.149 and HR@10 0.5", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb02-"));
  const run = runNotebook(path.join(PROJECT_ROOT, "notebooks", "02-baseline-model.ipynb"), {
    DATA_DIR: dataDir,
    RESAMPLES: "100",
  });
  assert.equal(run.status, 0, run.stderr);
  const values = run.values;
  assert.equal(values.dataset, "ml-latest-small");
  assert.equal(values.windowDays, 730);
  assert.equal(values.evaluatedUsers, 28);
  assertRecordedClose(values, "ndcgAt10", 0.1490344662019286, TOLERANCE);
  // HR@10 = 14 of the 28 users get at least one of their test-period positives in the top 10.
  assertRecordedClose(values, "hitRateAt10", 14 / 28, TOLERANCE);
  assertRecordedClose(values, "coverage", 0.006980086224594539, TOLERANCE);
});
