import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../../src/core/errors";
import { SHARED_DATA_DIR } from "../../src/core/paths";
import { prepareDataset, userTestCount } from "../../src/data/prepare";
import { loadPreparedDataset, PREPARED_FILES } from "../../src/data/load";
import { tempDir, writeTinyDataset } from "../support/movielens";

test("a hand-checked split: cutoff, dense indices, cold users and movies", async () => {
  const outDir = path.join(tempDir(), "processed", "tiny");
  const manifest = await prepareDataset({
    dataset: "synthetic",
    rawDir: writeTinyDataset(),
    outDir,
    testFraction: 0.3,
    positiveThreshold: 4,
    quiet: true,
  });
  assert.equal(manifest.cutoffTimestamp, 1_000_000_008);
  assert.deepEqual(manifest.read, { ratings: 10, users: 3, movies: 4 });
  assert.equal(manifest.counts.trainRatings, 7);
  assert.equal(manifest.counts.testRatings, 3);
  assert.equal(manifest.counts.trainPositives, 4); // 4, 5, 4.5, 4 before the cutoff
  assert.equal(manifest.counts.testPositives, 2); // 4, 5 from the cutoff on
  assert.equal(manifest.counts.coldUsers, 1); // user 9
  assert.equal(manifest.counts.coldMovies, 1); // movie 30
  assert.equal(manifest.counts.unratedMovies, 1); // movie 40
  assert.equal(manifest.counts.testUsers, 2); // users 7 and 9
  assert.equal(manifest.counts.testUsersWithTrainHistory, 1); // user 7
  assert.deepEqual(fs.readdirSync(outDir).sort(), [...PREPARED_FILES].sort());

  const data = await loadPreparedDataset(outDir);
  assert.deepEqual([...data.userIds], [5, 7, 9]);
  assert.deepEqual(
    data.movies.map((m) => [m.movieIndex, m.movieId, m.year, m.genres]),
    [
      [0, 10, 1990, ["Drama"]],
      [1, 20, 2000, ["Comedy", "Drama"]],
      [2, 30, null, []],
      [3, 40, 2010, ["Horror"]],
    ],
  );
  // Rows in ratings.csv order. Test: (7,30,4,t8), (9,30,5,t9), (9,10,3.5,t10).
  assert.deepEqual([...data.test.userIndex], [1, 2, 2]);
  assert.deepEqual([...data.test.movieIndex], [2, 2, 0]);
  assert.deepEqual([...data.test.rating], [4, 5, 3.5]);
  assert.deepEqual([...data.test.timestamp], [1_000_000_008, 1_000_000_009, 1_000_000_010]);
  assert.deepEqual([...data.train.userIndex], [0, 0, 1, 1, 0, 1, 1]); // users 5, 5, 7, 7, 5, 7, 7
  assert.deepEqual([...data.train.movieIndex], [0, 1, 0, 1, 0, 0, 1]);
  assert.deepEqual(
    [...data.train.timestamp].map((t) => t - 1e9),
    [1, 2, 3, 4, 5, 6, 7],
  );
  assert.ok(data.train.timestamp.every((t) => t < manifest.cutoffTimestamp));
});

test("ratings naming a movie missing from movies.csv are dropped with a warning and counted", async () => {
  const rawDir = writeTinyDataset();
  // Appended after the tiny dataset's 10 ratings (lines 2-11); user 11 rates only an unknown movie.
  fs.appendFileSync(
    path.join(rawDir, "ratings.csv"),
    "5,999,4.0,1000000003\r\n11,998,4.0,1000000004\r\n7,20,2.0,1000000002\r\n",
  );
  const warnings: string[] = [];
  const outDir = path.join(tempDir(), "out");
  const manifest = await prepareDataset({
    dataset: "synthetic",
    rawDir,
    outDir,
    quiet: true,
    warn: (message) => warnings.push(message),
  });
  assert.equal(manifest.read.ratings, 13);
  assert.equal(manifest.read.users, 4);
  assert.equal(manifest.counts.ratingsWithUnknownMovie, 2);
  assert.equal(manifest.counts.trainRatings + manifest.counts.testRatings, 11);
  // 11 kept ratings: round(0.2 * 11) = 2 in the test period, t9 and t10.
  assert.equal(manifest.cutoffTimestamp, 1_000_000_009);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    /2 ratings name a movieId missing from movies\.csv \(first: movieId 999 on line 12\)/,
  );
  const data = await loadPreparedDataset(outDir);
  assert.deepEqual([...data.userIds], [5, 7, 9, 11], "user 11 keeps an index");
  // The kept training ratings, in file order: t1..t8 then the appended (7, 20, t2).
  assert.deepEqual(
    [...data.train.timestamp].map((t) => t - 1e9),
    [1, 2, 3, 4, 5, 6, 7, 8, 2],
  );
  assert.deepEqual([...data.train.userIndex], [0, 0, 1, 1, 0, 1, 1, 1, 1]);
});

test("interactions keep ratings.csv order when DuckDB reads and writes in parallel", async () => {
  const rawDir = tempDir();
  const n = 400_000; // ~10 MB: several CSV buffers and Parquet row groups, two threads
  const lines = ["userId,movieId,rating,timestamp"];
  const timestamps: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = 1_000_000_000 + ((i * 7919) % n); // a permutation: file order is not time order
    timestamps.push(t);
    lines.push(`${1 + (i % 1000)},${1 + (i % 50)},${1 + (i % 9) / 2},${t}`);
  }
  const movies = ["movieId,title,genres"];
  for (let m = 1; m <= 50; m++) movies.push(`${m},Movie ${m} (2000),Drama`);
  fs.writeFileSync(path.join(rawDir, "ratings.csv"), lines.join("\r\n") + "\r\n");
  fs.writeFileSync(path.join(rawDir, "movies.csv"), movies.join("\r\n") + "\r\n");
  const outDir = path.join(tempDir(), "out");
  const manifest = await prepareDataset({ dataset: "synthetic", rawDir, outDir, threads: 2, quiet: true });
  const data = await loadPreparedDataset(outDir);
  // Expected: the file's rows before the cutoff, in file order; user ids 1..1000 all occur, so index = id - 1.
  const rows = timestamps
    .map((t, i) => ({ t, user: i % 1000 }))
    .filter((row) => row.t < manifest.cutoffTimestamp);
  assert.equal(data.train.length, rows.length);
  assert.ok(
    rows.every((row, i) => data.train.timestamp[i] === row.t && data.train.userIndex[i] === row.user),
    "train rows in file order with their users",
  );
});

test("bad input leaves no output folder behind and an existing one untouched", async () => {
  const rawDir = writeTinyDataset();
  const outDir = path.join(tempDir(), "out");
  await prepareDataset({ dataset: "synthetic", rawDir, outDir, quiet: true });
  const before = fs.readFileSync(path.join(outDir, "manifest.json"), "utf8");
  fs.appendFileSync(path.join(rawDir, "ratings.csv"), "5,10,6.0,1000000003\r\n");
  await assert.rejects(prepareDataset({ dataset: "synthetic", rawDir, outDir, quiet: true }), InputError);
  assert.equal(fs.readFileSync(path.join(outDir, "manifest.json"), "utf8"), before);
  assert.deepEqual(fs.readdirSync(path.dirname(outDir)), ["out"]);
  const fresh = path.join(tempDir(), "never");
  await assert.rejects(
    prepareDataset({ dataset: "synthetic", rawDir, outDir: fresh, quiet: true }),
    InputError,
  );
  assert.equal(fs.existsSync(fresh), false);
});

test("options outside their range are named", async () => {
  const rawDir = writeTinyDataset();
  const outDir = path.join(tempDir(), "out");
  await assert.rejects(
    prepareDataset({ dataset: "synthetic", rawDir, outDir, testFraction: 1.5, quiet: true }),
    /field "testFraction": expected a fraction in \(0, 1\), got 1.5/,
  );
  await assert.rejects(
    prepareDataset({ dataset: "synthetic", rawDir, outDir, positiveThreshold: 7, quiet: true }),
    /field "positiveThreshold"/,
  );
});

test("ml-latest-small: 100,836 ratings, 610 users, 9,742 movies read; 80/20 global temporal split loads back", async () => {
  const rawDir = path.join(SHARED_DATA_DIR, "ml-latest-small");
  const outDir = path.join(tempDir(), "ml-latest-small");
  const manifest = await prepareDataset({
    dataset: "ml-latest-small",
    split: "global",
    rawDir,
    outDir,
    quiet: true,
  });
  assert.deepEqual(manifest.read, { ratings: 100_836, users: 610, movies: 9_742 });
  assert.equal(
    manifest.inputChecksums["ratings.csv"],
    "aa289ca83157595d0df6aea1be6a4ded676ddc4385472e8313a8ed9805352646",
  );
  assert.equal(manifest.counts.trainRatings + manifest.counts.testRatings, 100_836);
  // quantile_disc: the test period holds the last 20% of ratings, up to ties at the cutoff second.
  assert.ok(Math.abs(manifest.counts.testRatings - 0.2 * 100_836) < 50, `${manifest.counts.testRatings}`);
  // 48.2% of ml-latest-small ratings are >= 4 (measured on the release's ratings.csv, checksum above).
  const positives = manifest.counts.trainPositives + manifest.counts.testPositives;
  assert.ok(Math.abs(positives / 100_836 - 0.482) < 0.001, `${positives}`);
  assert.ok((manifest.environment as { packages: Record<string, string> }).packages["@duckdb/node-api"]);

  const data = await loadPreparedDataset(outDir);
  assert.equal(data.userIds.length, 610);
  assert.equal(data.movies.length, 9_742);
  assert.equal(data.train.length, manifest.counts.trainRatings);
  assert.equal(data.test.length, manifest.counts.testRatings);
  assert.equal(data.movies[0].title, "Toy Story (1995)");
  assert.ok(data.train.timestamp.every((t) => t < manifest.cutoffTimestamp));
  assert.ok(data.test.timestamp.every((t) => t >= manifest.cutoffTimestamp));
  assert.ok(data.train.userIndex.every((u) => u >= 0 && u < 610));
  assert.ok(data.test.movieIndex.every((m) => m >= 0 && m < 9_742));
  // The mean rating of ml-latest-small is 3.50 (sum over both periods); a check that ratings survived the trip.
  let sum = 0;
  for (const r of data.train.rating) sum += r;
  for (const r of data.test.rating) sum += r;
  assert.ok(Math.abs(sum / 100_836 - 3.5016) < 0.0005, `${sum / 100_836}`);
});

/**
 * Five users, ratings in scrambled file order (user, movie, time - 1e9):
 *   user 1, 10 ratings: times 1..9 with two at time 8 (movies 80 and 85);
 *   user 2, 1 rating; user 3, 3 ratings; user 4, 2 ratings; user 5, 5 ratings, all at time 50 (ties only).
 */
function writeUserTemporalDataset(): string {
  const rawDir = tempDir();
  const rows: [number, number, number][] = [
    [1, 90, 9],
    [3, 10, 21],
    [1, 10, 1],
    [5, 40, 50],
    [1, 85, 8],
    [2, 10, 30],
    [1, 20, 2],
    [4, 20, 41],
    [1, 30, 3],
    [5, 20, 50],
    [1, 40, 4],
    [3, 30, 23],
    [1, 50, 5],
    [5, 50, 50],
    [1, 60, 6],
    [4, 10, 40],
    [1, 70, 7],
    [5, 10, 50],
    [1, 80, 8],
    [3, 20, 22],
    [5, 30, 50],
  ];
  const movies = [10, 20, 30, 40, 50, 60, 70, 80, 85, 90].map((m) => `${m},Movie ${m} (2000),Drama`);
  fs.writeFileSync(
    path.join(rawDir, "ratings.csv"),
    ["userId,movieId,rating,timestamp", ...rows.map(([u, m, t]) => `${u},${m},4.0,${1e9 + t}`)].join("\n") +
      "\n",
  );
  fs.writeFileSync(path.join(rawDir, "movies.csv"), ["movieId,title,genres", ...movies].join("\n") + "\n");
  return rawDir;
}

/** (userId, movieId) of each row, in file order. */
function pairs(data: Awaited<ReturnType<typeof loadPreparedDataset>>, part: "train" | "test"): string[] {
  const columns = data[part];
  return Array.from(
    columns.userIndex,
    (u, row) => `${data.userIds[u]}:${data.movies[columns.movieIndex[row]].movieId}`,
  );
}

test("userTestCount rounds n * fraction to nearest, halves up, and leaves each user a training rating", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 10].map((n) => userTestCount(n, 0.2)),
    [0, 0, 1, 1, 1, 2],
  );
  // Halves: 2.5 -> 3 (Python's round, used by LensKit's LastFrac, gives 2), 1.5 -> 2, 0.5 -> 1 capped at n - 1 = 0.
  assert.deepEqual(
    [5, 3, 1, 2].map((n) => userTestCount(n, 0.5)),
    [3, 2, 0, 1],
  );
  assert.equal(userTestCount(4, 0.99), 3);
});

test("user-temporal split: each user's last ratings by time are test, ties by movieId, in file order", async () => {
  const rawDir = writeUserTemporalDataset();
  const outDir = path.join(tempDir(), "out");
  const manifest = await prepareDataset({
    dataset: "synthetic",
    rawDir,
    outDir,
    split: "user-temporal",
    testFraction: 0.2,
    quiet: true,
  });
  assert.equal(manifest.split, "user-temporal");
  assert.equal(manifest.testFraction, 0.2);
  const data = await loadPreparedDataset(outDir);
  // User 1: 2 of 10; of the two ratings at time 8, movie 85 is the later. User 3: round(0.6) = 1. User 5: 1 of
  // 5, all at time 50: the largest movieId. Users 2 (1 rating) and 4 (round(0.4) = 0) keep all in training.
  assert.deepEqual(pairs(data, "test"), ["1:90", "1:85", "3:30", "5:50"]);
  assert.deepEqual(pairs(data, "train"), [
    "3:10",
    "1:10",
    "5:40",
    "2:10",
    "1:20",
    "4:20",
    "1:30",
    "5:20",
    "1:40",
    "1:50",
    "1:60",
    "4:10",
    "1:70",
    "5:10",
    "1:80",
    "3:20",
    "5:30",
  ]);
  assert.equal(manifest.counts.testRatings, 4);
  assert.equal(manifest.counts.testUsers, 3);
  assert.equal(manifest.counts.testUsersWithTrainHistory, 3);
  assert.equal(manifest.counts.testUsersWithTrainHistoryAndPositives, 3);
  assert.equal(manifest.counts.coldUsers, 0);
  // Every training rating is before cutoffTimestamp (the latest, user 5's at time 50, plus one second).
  assert.equal(manifest.cutoffTimestamp, 1e9 + 51);

  // Halves round up: user 5's 2.5 -> 3 test ratings, user 1's 5, user 3's 1.5 -> 2, user 4's 1, user 2's 0.
  const half = await prepareDataset({
    dataset: "synthetic",
    rawDir,
    outDir: path.join(tempDir(), "half"),
    split: "user-temporal",
    testFraction: 0.5,
    quiet: true,
  });
  assert.equal(half.counts.testRatings, 3 + 5 + 2 + 1);
});

test("the global split is unchanged by the split option and recorded in the manifest", async () => {
  const rawDir = writeTinyDataset();
  const global = await prepareDataset({
    dataset: "synthetic",
    rawDir,
    outDir: path.join(tempDir(), "g"),
    testFraction: 0.3,
    split: "global",
    quiet: true,
  });
  assert.equal(global.split, "global");
  assert.equal(global.cutoffTimestamp, 1_000_000_008);
  await assert.rejects(
    prepareDataset({
      dataset: "synthetic",
      rawDir,
      outDir: path.join(tempDir(), "x"),
      split: "per-user" as never,
      quiet: true,
    }),
    /field "split": expected one of user-temporal, global, got "per-user"/,
  );
});

test("loading a folder with a missing file names it", async () => {
  const dir = tempDir();
  await assert.rejects(loadPreparedDataset(dir), (error: Error) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /manifest\.json: missing; expected a dataset prepared by `abrec data`/);
    return true;
  });
});

test("ml-latest-small is split per user by default: each user's test count is userTestCount of their ratings", async () => {
  const rawDir = path.join(SHARED_DATA_DIR, "ml-latest-small");
  const outDir = path.join(tempDir(), "ml-latest-small");
  const manifest = await prepareDataset({ dataset: "ml-latest-small", rawDir, outDir, quiet: true });
  assert.equal(manifest.split, "user-temporal");
  // Ratings per user counted straight from ratings.csv.
  const perUser = new Map<number, number>();
  const lines = fs.readFileSync(path.join(rawDir, "ratings.csv"), "utf8").trim().split(/\r?\n/).slice(1);
  for (const line of lines) {
    const userId = Number(line.split(",")[0]);
    perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
  }
  const data = await loadPreparedDataset(outDir);
  const testPerUser = new Map<number, number>();
  for (const u of data.test.userIndex)
    testPerUser.set(data.userIds[u], (testPerUser.get(data.userIds[u]) ?? 0) + 1);
  for (const [userId, n] of perUser)
    assert.equal(testPerUser.get(userId) ?? 0, userTestCount(n, 0.2), `user ${userId}`);
  // Every user of ml-latest-small has >= 20 ratings, so all 610 have test ratings; 592 of them a test positive.
  assert.equal(manifest.counts.testUsersWithTrainHistory, 610);
  assert.equal(manifest.counts.testUsersWithTrainHistoryAndPositives, 592);
});
