import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { assertRecordedClose, runNotebook } from "../support/notebooks";

// The headline values the README and docs/models.md quote (results/offline-metrics.json, default seed 20261128):
// both models on ml-latest-small's default per-user split (590 evaluated users), and the leak-free check on the
// global split (28 users), with the notebook's default settings (up to 30 epochs with early stopping). Training is
// seeded and deterministic (same seed, same data, same backend: same weights), so the estimates are pinned to 1e-6
// (float formatting only); RESAMPLES changes the bootstrap intervals, not the estimates.
const TOLERANCE = 1e-6;

test(
  "notebook 03: per-user split NDCG@10 0.078 vs 0.116 (+49%), HR@10 190 vs 289 of 590; global split beside it",
  { timeout: 900_000 },
  () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb03-"));
    const run = runNotebook(path.join(PROJECT_ROOT, "notebooks", "03-challenger-model.ipynb"), {
      DATA_DIR: dataDir,
      RESAMPLES: "100",
    });
    assert.equal(run.status, 0, run.stderr);
    const values = run.values;
    assert.equal(values.dataset, "ml-latest-small");
    assert.equal(values.split, "user-temporal");
    assert.equal(values.evaluatedUsers, 590);
    assert.equal(values.epochs, 11);
    assertRecordedClose(values, "validationNdcgAt10", 0.1286240833934325, TOLERANCE);
    assertRecordedClose(values, "baselineNdcgAt10", 0.07792663270247059, TOLERANCE);
    assertRecordedClose(values, "challengerNdcgAt10", 0.11618347007362971, TOLERANCE);
    // HR@10: 190 and 289 of the 590 users get a test positive in their top 10.
    assertRecordedClose(values, "baselineHitRateAt10", 190 / 590, TOLERANCE);
    assertRecordedClose(values, "challengerHitRateAt10", 289 / 590, TOLERANCE);
    // The lift is the ratio of the two estimates: +49% NDCG@10, +52% HR@10 (the goal is +30%).
    assertRecordedClose(values, "ndcgLift", 0.11618347007362971 / 0.07792663270247059 - 1, TOLERANCE);
    assertRecordedClose(values, "hitRateLift", 289 / 190 - 1, TOLERANCE);
    // The leak-free check: the global split's 28 users, both models trained as `abrec train` trains them.
    assert.equal(values.globalEvaluatedUsers, 28);
    assertRecordedClose(values, "globalBaselineNdcgAt10", 0.1490344662019286, TOLERANCE);
    assertRecordedClose(values, "globalChallengerNdcgAt10", 0.12545416804602033, TOLERANCE);
    assertRecordedClose(values, "globalBaselineHitRateAt10", 14 / 28, TOLERANCE);
    assertRecordedClose(values, "globalChallengerHitRateAt10", 18 / 28, TOLERANCE);
    assert.ok((values.lastLoss as number) < (values.firstLoss as number), "training loss decreases");
  },
);
