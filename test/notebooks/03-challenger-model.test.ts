import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { assertRecordedClose, runNotebook } from "../support/notebooks";

// The headline values the README's results table quotes (results/offline-metrics.json, default seed 20261128):
// both models on ml-latest-small's test period, 28 evaluated users, with the notebook's default settings (up to 30
// epochs, early stopping after 12). Training is seeded and deterministic (same seed, same data, same backend: same
// weights), so the estimates are pinned to 1e-6 (float formatting only); RESAMPLES changes the bootstrap
// intervals, not the estimates.
const TOLERANCE = 1e-6;

test(
  "notebook 03 trains the challenger with the defaults and reproduces NDCG@10 0.149 vs 0.100, HR@10 0.5 vs 0.464",
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
    assert.equal(values.evaluatedUsers, 28);
    assert.equal(values.epochs, 12);
    assertRecordedClose(values, "validationNdcgAt10", 0.23165784108613066, TOLERANCE);
    assertRecordedClose(values, "baselineNdcgAt10", 0.1490344662019286, TOLERANCE);
    assertRecordedClose(values, "challengerNdcgAt10", 0.10036451305120057, TOLERANCE);
    // HR@10: 14 and 13 of the 28 users.
    assertRecordedClose(values, "baselineHitRateAt10", 14 / 28, TOLERANCE);
    assertRecordedClose(values, "challengerHitRateAt10", 13 / 28, TOLERANCE);
    // The README's "NDCG@10 -33%": the lift is the ratio of the two estimates.
    assertRecordedClose(values, "ndcgLift", 0.10036451305120057 / 0.1490344662019286 - 1, TOLERANCE);
    assert.ok((values.lastLoss as number) < (values.firstLoss as number), "training loss decreases");
  },
);
