import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runNotebook } from "../support/notebooks";

test("notebook 01 explores ml-latest-small, prepares both splits and records their headline numbers", () => {
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
  assert.equal(v.topGenre, "Drama");
  // The default split of ml-latest-small is the per-user one, written to the data folder.
  assert.equal(v.split, "user-temporal");
  assert.ok(fs.existsSync(path.join(dataDir, "processed", "ml-latest-small", "manifest.json")));
  // Both splits, counted exactly (the splits are deterministic). Per-user: the same rule measured independently
  // with pandas on the release's ratings.csv (sort by userId, timestamp, movieId; the last floor(0.2 n + 0.5),
  // at most n - 1, of each user's ratings are test): 20,164 test ratings, 592 users with a training rating and a
  // test positive. Every user has >= 20 ratings (README.txt), so every user is on both sides and none is cold.
  // Global: round(0.2 * 100,836) = 20,167 test ratings from the cutoff second 2016-03-22 08:27:17 UTC on; 116 users
  // rate then, 88 of them for the first time.
  const bySplit = v.bySplit as Record<string, Record<string, number>>;
  assert.deepEqual(bySplit["user-temporal"], {
    trainRatings: 80_672,
    testRatings: 20_164,
    testPositives: 9_358,
    coldUsers: 0,
    testUsers: 610,
    testUsersWithTrainHistory: 610,
    testUsersWithTrainHistoryAndPositives: 592,
    coldMovies: 1_485,
  });
  assert.deepEqual(bySplit.global, {
    trainRatings: 80_669,
    testRatings: 20_167,
    testPositives: 9_325,
    coldUsers: 88,
    testUsers: 116,
    testUsersWithTrainHistory: 28,
    testUsersWithTrainHistoryAndPositives: 28,
    coldMovies: 1_857,
  });
  assert.equal(v.testUsersWithTrainHistoryAndPositives, 592);
  assert.equal(v.testRatings, 20_164);
  const figures = run.executed.cells
    .flatMap((cell) => cell.outputs ?? [])
    .filter((o) => o.data?.["image/svg+xml"]);
  assert.equal(figures.length, 6, "six figures shown inline, ratings over time once per split");
});
