import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runNotebook } from "../support/notebooks";

test("notebook 03 tunes, trains and compares the challenger on ml-latest-small (3 epochs)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb03-"));
  const run = runNotebook(path.join(PROJECT_ROOT, "notebooks", "03-challenger-model.ipynb"), {
    DATA_DIR: dataDir,
    MAX_EPOCHS: "3",
    RESAMPLES: "100",
  });
  assert.equal(run.status, 0, run.stderr);
  const values = run.values as Record<string, number | string>;
  assert.equal(values.dataset, "ml-latest-small");
  assert.ok((values.epochs as number) >= 1 && (values.epochs as number) <= 3);
  assert.ok((values.evaluatedUsers as number) >= 20);
  assert.ok((values.validationNdcgAt10 as number) > 0);
  // Both models rank far above random on the test period; lifts are consistent with the two metrics.
  for (const key of ["baselineHitRateAt10", "challengerHitRateAt10"])
    assert.ok((values[key] as number) > 0.2, key);
  const ndcgLift = (values.challengerNdcgAt10 as number) / (values.baselineNdcgAt10 as number) - 1;
  assert.ok(Math.abs(ndcgLift - (values.ndcgLift as number)) < 1e-9);
  if ((values.epochs as number) > 1) assert.ok((values.lastLoss as number) < (values.firstLoss as number));
});
