import { test } from "node:test";
import * as assert from "node:assert/strict";
import { validationSplit } from "../../src/models/validation-split";
import { InputError } from "../../src/core/errors";
import * as fs from "node:fs";
import * as path from "node:path";
import { Random } from "../../src/core/random";
import { prepareDataset } from "../../src/data/prepare";
import { loadPreparedDataset } from "../../src/data/load";
import type { InteractionColumns, PreparedDataset } from "../../src/data/types";
import { tinyDataset } from "../support/tiny-dataset";
import { tempDir } from "../support/movielens";

test("the validation period is the end of the training period and never touches the test period", () => {
  const dataset = tinyDataset();
  const validation = validationSplit(dataset, 0.25);
  const cutoff = validation.manifest.cutoffTimestamp;
  assert.ok(cutoff < dataset.manifest.cutoffTimestamp);
  assert.equal(validation.train.length + validation.test.length, dataset.train.length);
  assert.ok(Math.abs(validation.test.length / dataset.train.length - 0.25) < 0.02);
  for (let row = 0; row < validation.train.length; row++) assert.ok(validation.train.timestamp[row] < cutoff);
  for (let row = 0; row < validation.test.length; row++) {
    assert.ok(validation.test.timestamp[row] >= cutoff);
    assert.ok(validation.test.timestamp[row] < dataset.manifest.cutoffTimestamp);
  }
  assert.throws(() => validationSplit(dataset, 1), InputError);
});

test("user-temporal: validation is each user's last training ratings, carved as prepareDataset splits", async () => {
  // Random users with 1..30 ratings over 40 distinct seconds (many ties in time), prepared user-temporal; then the
  // whole dataset is handed to validationSplit as if it were a training period: both must pick the same rows.
  const rng = new Random(11);
  const rawDir = tempDir();
  const lines = ["userId,movieId,rating,timestamp"];
  for (let user = 1; user <= 200; user++) {
    const movies = new Set<number>();
    const n = 1 + rng.int(30);
    while (movies.size < n) movies.add(1 + rng.int(60));
    for (const movie of movies) lines.push(`${user},${movie},${1 + rng.int(5)}.0,${1e9 + rng.int(40)}`);
  }
  const movieLines = Array.from({ length: 60 }, (_, m) => `${m + 1},Movie ${m + 1} (2000),Drama`);
  fs.writeFileSync(path.join(rawDir, "ratings.csv"), lines.join("\n") + "\n");
  fs.writeFileSync(
    path.join(rawDir, "movies.csv"),
    ["movieId,title,genres", ...movieLines].join("\n") + "\n",
  );
  const outDir = path.join(tempDir(), "out");
  await prepareDataset({ dataset: "synthetic", rawDir, outDir, split: "user-temporal", quiet: true });
  const prepared = await loadPreparedDataset(outDir);
  const whole: PreparedDataset = { ...prepared, train: concat(prepared.train, prepared.test) };
  const validation = validationSplit(whole, prepared.manifest.testFraction);
  assert.equal(validation.manifest.split, "user-temporal");
  assert.deepEqual(keys(validation.test), keys(prepared.test));
  assert.deepEqual(keys(validation.train), keys(prepared.train));
  assert.equal(validation.manifest.cutoffTimestamp, Math.max(...validation.train.timestamp) + 1);
});

/** Sorted "user:movie:time" of each row. */
function keys(columns: InteractionColumns): string[] {
  return Array.from(
    columns.userIndex,
    (u, row) => `${u}:${columns.movieIndex[row]}:${columns.timestamp[row]}`,
  ).sort();
}

function concat(a: InteractionColumns, b: InteractionColumns): InteractionColumns {
  const join = <T extends Int32Array | Float32Array | Float64Array>(
    x: T,
    y: T,
    make: (n: number) => T,
  ): T => {
    const out = make(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    length: a.length + b.length,
    userIndex: join(a.userIndex, b.userIndex, (n) => new Int32Array(n)),
    movieIndex: join(a.movieIndex, b.movieIndex, (n) => new Int32Array(n)),
    rating: join(a.rating, b.rating, (n) => new Float32Array(n)),
    timestamp: join(a.timestamp, b.timestamp, (n) => new Float64Array(n)),
  };
}
