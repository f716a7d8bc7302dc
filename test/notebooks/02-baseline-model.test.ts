import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { assertRecordedClose, runNotebook } from "../support/notebooks";

// The baseline's headline values on ml-latest-small (default seed 20261128). The window choice and the popularity
// counts are deterministic, so the point estimates are pinned to 1e-6 (float formatting only); RESAMPLES changes
// the bootstrap intervals, not the estimates, so the intervals are only checked to contain them.
const TOLERANCE = 1e-6;

test("notebook 02 measures all-history popularity on the per-user split and the 730-day window on the global one", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb02-"));
  const run = runNotebook(path.join(PROJECT_ROOT, "notebooks", "02-baseline-model.ipynb"), {
    DATA_DIR: dataDir,
    RESAMPLES: "100",
  });
  assert.equal(run.status, 0, run.stderr);
  const values = run.values;
  assert.equal(values.dataset, "ml-latest-small");
  // The default split is per user: a popularity window has no single end there, so all history is the only
  // candidate (src/models/popularity.ts).
  assert.equal(values.split, "user-temporal");
  assert.equal(values.windowDays, null);
  assert.equal(values.windowCandidates, 1);
  // 590 users: the 592 with training history and a test positive (notebook 01) less the 2 with no positive in
  // training, counted independently with pandas on ratings.csv under the same per-user rule.
  assert.equal(values.evaluatedUsers, 590);
  assertRecordedClose(values, "ndcgAt10", 0.07792663270247059, TOLERANCE);
  // HR@10 = 190 of the 590 users get at least one of their test positives in the top 10.
  assertRecordedClose(values, "hitRateAt10", 190 / 590, TOLERANCE);
  assertRecordedClose(values, "coverage", 0.00934099774173681, TOLERANCE);
  for (const metric of ["ndcgAt10", "hitRateAt10"]) {
    const [lower, estimate, upper] = [`${metric}Lower`, metric, `${metric}Upper`].map(
      (k) => values[k] as number,
    );
    assert.ok(lower < estimate && estimate < upper, `${metric}: ${lower} < ${estimate} < ${upper}`);
  }
  // The leak-free check on the global split: the values results/offline-metrics.json recorded for the baseline
  // before the per-user split became the default (730-day window, 28 users, NDCG@10 0.149, HR@10 14 of 28).
  const global = values.global as Record<string, unknown>;
  assert.equal(global.windowDays, 730);
  assert.equal(global.evaluatedUsers, 28);
  assertRecordedClose(global, "ndcgAt10", 0.1490344662019286, TOLERANCE);
  assertRecordedClose(global, "hitRateAt10", 14 / 28, TOLERANCE);
});
