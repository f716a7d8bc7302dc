import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runNotebook } from "../support/notebooks";

test("notebook 02 chooses a popularity window on validation and evaluates the baseline on ml-latest-small", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb02-"));
  const run = runNotebook(path.join(PROJECT_ROOT, "notebooks", "02-baseline-model.ipynb"), {
    DATA_DIR: dataDir,
    RESAMPLES: "100",
  });
  assert.equal(run.status, 0, run.stderr);
  const values = run.values as Record<string, number | null | string>;
  assert.equal(values.dataset, "ml-latest-small");
  assert.ok(values.windowDays === null || (values.windowDays as number) > 0);
  // ml-latest-small, 20% test fraction: a few dozen users have positives on both sides of the cutoff.
  assert.ok((values.evaluatedUsers as number) >= 20 && (values.evaluatedUsers as number) <= 100);
  // Popularity is far better than random (random HR@10 over ~9.7k movies is ~0.01 per relevant movie).
  assert.ok((values.hitRateAt10 as number) > 0.3, JSON.stringify(values));
  assert.ok((values.ndcgAt10 as number) > 0.05 && (values.ndcgAt10 as number) < 1);
  assert.ok((values.coverage as number) > 0 && (values.coverage as number) < 0.05);
});
