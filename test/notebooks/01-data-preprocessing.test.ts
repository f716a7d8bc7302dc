import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runNotebook } from "../support/notebooks";

test("notebook 01 explores and prepares ml-latest-small and records its headline numbers", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb01-"));
  const run = runNotebook(path.join(PROJECT_ROOT, "notebooks", "01-data-preprocessing.ipynb"), {
    DATASET: "ml-latest-small",
    DATA_DIR: dataDir,
  });
  assert.equal(run.status, 0, run.stderr);
  const v = run.values;
  // ml-latest-small facts from the GroupLens release's README.txt: 100,836 ratings, 610 users, 9,742 movies,
  // 1996-03-29 .. 2018-09-24, every user >= 20 ratings; measured on its ratings.csv: 48.2% >= 4, mean 3.5016.
  assert.equal(v.ratings, 100_836);
  assert.equal(v.users, 610);
  assert.equal(v.movies, 9_742);
  assert.equal(v.firstRating, "1996-03-29");
  assert.equal(v.lastRating, "2018-09-24");
  assert.ok(Math.abs((v.positiveShare as number) - 0.482) < 0.0005, String(v.positiveShare));
  assert.ok(Math.abs((v.meanRating as number) - 3.5016) < 0.0005, String(v.meanRating));
  // The 80/20 split: round(0.2 * 100,836) = 20,167 test ratings, up to ties at the cutoff second.
  assert.equal((v.trainRatings as number) + (v.testRatings as number), 100_836);
  assert.ok(Math.abs((v.testRatings as number) - 20_167) <= 5, String(v.testRatings));
  assert.ok((v.coldUsers as number) > 0 && (v.coldUsers as number) < (v.testUsers as number));
  assert.equal(v.topGenre, "Drama");
  assert.ok(fs.existsSync(path.join(dataDir, "processed", "ml-latest-small", "manifest.json")));
  const figures = run.executed.cells
    .flatMap((cell) => cell.outputs ?? [])
    .filter((o) => o.data?.["image/svg+xml"]);
  assert.equal(figures.length, 5, "five figures shown inline");
});
