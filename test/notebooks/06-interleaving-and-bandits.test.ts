import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runNotebook } from "../support/notebooks";

test(
  "notebook 06 rebuilds the recorded run's models and measures interleaving's sensitivity and the bandits' regret",
  { timeout: 900_000 },
  () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb06-"));
    // Small settings: 100 experiments per user count, 3 user counts, 100 bandit experiments.
    const run = runNotebook(path.join(PROJECT_ROOT, "notebooks", "06-interleaving-and-bandits.ipynb"), {
      DATA_DIR: path.join(root, "data"),
      MODELS_DIR: path.join(root, "models"),
      EXPERIMENTS: "100",
      USER_COUNTS: "200,800,3200",
      BANDIT_EXPERIMENTS: "100",
    });
    assert.equal(run.status, 0, run.stderr);
    const v = run.values as Record<string, number | boolean | null>;
    // Seeded training rebuilds the committed run's models (the same content hashes in results/run.json).
    assert.equal(v.sameModels, true);
    // Exact (no Monte Carlo): the expected per-user preference of the recorded run's models under its click model,
    // -0.0179 (the challenger preferred), as the study's exact enumeration of team-draft coins gives it.
    assert.ok(Math.abs((v.deltaABPerUser as number) + 0.0179) < 5e-5, String(v.deltaABPerUser));
    assert.ok((v.agreementAtLargest as number) > 0.9, String(v.agreementAtLargest));
    assert.ok((v.worseChallengerCorrectInterleaving as number) > 0.5);
    // Both bandits lose fewer clicks than the 50/50 A/B test (20.9 vs 13.6 and 11.3 at 100 experiments, SE <= 1).
    assert.ok((v.regretThompson as number) < (v.regretAbTest as number));
    assert.ok((v.regretEpsilonGreedy as number) < (v.regretAbTest as number));
    // The weighted estimate under Thompson sampling is unbiased within 4 SE.
    assert.ok(Math.abs(v.thompsonIpwBias as number) < 4 * (v.thompsonIpwBiasSE as number));
  },
);
