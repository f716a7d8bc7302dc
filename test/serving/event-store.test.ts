import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { EventStore, readVariantCounts } from "../../src/serving/event-store";
import { InputError } from "../../src/core/errors";

function tempDb(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-store-")), "events.sqlite");
}

function impression(requestId: string, userId: number, variant: string, movieIds = [10, 20, 30]) {
  return {
    requestId,
    userId,
    variant,
    modelVersion: "v1",
    fallback: false,
    movieIds,
    routingMode: "sticky" as const,
  };
}

test("the store is a real SQLite file in WAL mode with foreign keys", () => {
  const file = tempDb();
  const store = EventStore.open(file);
  store.recordImpression(impression("r1", 1, "baseline"));
  store.close();
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
  db.close();
});

test("durability levels: process-crash is WAL + synchronous NORMAL, power-loss is WAL + FULL", () => {
  const normal = EventStore.open(tempDb());
  assert.deepEqual(normal.journal(), { journalMode: "wal", synchronous: 1 });
  normal.close();
  const full = EventStore.open(tempDb(), { durability: "power-loss" });
  assert.deepEqual(full.journal(), { journalMode: "wal", synchronous: 2 });
  full.close();
});

test("counts per variant and per user add up impressions and first clicks", () => {
  const file = tempDb();
  const store = EventStore.open(file);
  assert.deepEqual(store.recordImpression(impression("a1", 1, "baseline")), { newAssignment: true });
  assert.deepEqual(store.recordImpression(impression("a2", 1, "baseline")), { newAssignment: false });
  store.recordImpression(impression("b1", 2, "challenger"));
  store.recordImpression(impression("b2", 3, "challenger"));
  assert.deepEqual(store.recordFeedback({ requestId: "a1", reward: 1, movieId: 30 }), {
    status: "recorded",
    variant: "baseline",
    position: 2,
  });
  store.recordFeedback({ requestId: "a2", reward: 1, movieId: 10 });
  store.recordFeedback({ requestId: "b1", reward: 1, movieId: 10 });
  store.recordFeedback({ requestId: "b2", reward: 0 });
  store.recordSetting("routing", "sticky");
  store.close();
  const counts = readVariantCounts(file);
  assert.deepEqual(counts.variants, [
    { variant: "baseline", users: 1, impressions: 2, clicks: 2, clickedUsers: 1 },
    { variant: "challenger", users: 2, impressions: 2, clicks: 1, clickedUsers: 1 },
  ]);
  assert.deepEqual(counts.users, [
    { userId: 1, variant: "baseline", impressions: 2, clicks: 2 },
    { userId: 2, variant: "challenger", impressions: 1, clicks: 1 },
    { userId: 3, variant: "challenger", impressions: 1, clicks: 0 },
  ]);
  assert.equal(counts.usersInSeveralVariants, 0);
  assert.deepEqual(counts.settings, { routing: "sticky" });
});

test("a second reward for the same request is ignored, never double counted", () => {
  const store = EventStore.open(tempDb());
  store.recordImpression(impression("r1", 5, "baseline"));
  assert.equal(store.recordFeedback({ requestId: "r1", reward: 1, movieId: 20 }).status, "recorded");
  assert.equal(store.recordFeedback({ requestId: "r1", reward: 1, movieId: 20 }).status, "duplicate");
  assert.equal(store.recordFeedback({ requestId: "r1", reward: 0 }).status, "duplicate");
  assert.deepEqual(store.counts().variants, [
    { variant: "baseline", users: 1, impressions: 1, clicks: 1, clickedUsers: 1 },
  ]);
  assert.equal(store.tableSizes().feedback, 1);
  store.close();
});

test("unknown requests and movies that were not shown are rejected naming the field", () => {
  const store = EventStore.open(tempDb());
  store.recordImpression(impression("r1", 5, "baseline"));
  assert.throws(
    () => store.recordFeedback({ requestId: "nope", reward: 1, movieId: 10 }),
    (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /puid.*no impression with request id "nope"/);
      return true;
    },
  );
  assert.throws(() => store.recordFeedback({ requestId: "r1", reward: 1, movieId: 999 }), /truth.*movie 999/);
  assert.equal(store.tableSizes().feedback, 0);
  store.close();
});

test("constraints make duplicate impressions and slots impossible, and a failed write leaves nothing", () => {
  const store = EventStore.open(tempDb());
  store.recordImpression(impression("r1", 5, "baseline"));
  assert.throws(() => store.recordImpression(impression("r1", 5, "baseline")), /UNIQUE|PRIMARY KEY/);
  // The same movie twice in one impression violates UNIQUE (request_id, movie_id); the whole transaction rolls back.
  assert.throws(() => store.recordImpression(impression("r2", 6, "baseline", [1, 2, 1])), /UNIQUE/);
  assert.deepEqual(store.tableSizes(), { assignments: 1, impressions: 1, impression_items: 3, feedback: 0 });
  store.close();
});

test("random routing exposes a user to both variants and the counts say so", () => {
  const store = EventStore.open(tempDb());
  store.recordImpression({ ...impression("r1", 5, "baseline"), routingMode: "random" });
  store.recordImpression({ ...impression("r2", 5, "challenger"), routingMode: "random" });
  assert.equal(store.counts().usersInSeveralVariants, 1);
  store.close();
});

test("opening something that is not an event store fails with an InputError naming the file", () => {
  const file = tempDb();
  fs.writeFileSync(file, "not a database");
  assert.throws(
    () => EventStore.open(file),
    (error: unknown) => error instanceof InputError && error.message.includes(file),
  );
  assert.throws(
    () => readVariantCounts(path.join(path.dirname(file), "missing.sqlite")),
    /event store not found/,
  );
});

test("group commit: many concurrent impressions are stored once each, in one transaction", async () => {
  const file = tempDb();
  const store = EventStore.open(file);
  const n = 300;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      store.enqueueImpression(impression(`g${i}`, 1 + (i % 7), "baseline")),
    ),
  );
  // Users 1..7 are each assigned once, on their first impression (the first 7 requests).
  assert.equal(results.filter((r) => r.newAssignment).length, 7);
  assert.deepEqual(store.tableSizes(), {
    assignments: 7,
    impressions: n,
    impression_items: 3 * n,
    feedback: 0,
  });
  assert.deepEqual(
    store.requestIds().map((row) => row.requestId),
    Array.from({ length: n }, (_, i) => `g${i}`).sort(),
  );
  // All 300 were queued in the same event-loop turn, so they shared one commit.
  const stats = store.groupCommitStats();
  assert.deepEqual({ commits: stats.commits, writes: stats.writes }, { commits: 1, writes: n });
  assert.ok(stats.longestMs > 0);
  store.close();
});

test("group commit: an event resolves only once committed (another connection already sees it)", async () => {
  const file = tempDb();
  const store = EventStore.open(file);
  const reader = new Database(file, { readonly: true });
  const count = reader.prepare("SELECT COUNT(*) AS n FROM impressions");
  const pending = store.enqueueImpression(impression("c1", 1, "baseline"));
  assert.equal((count.get() as { n: number }).n, 0, "nothing is written before the flush");
  await pending;
  assert.equal((count.get() as { n: number }).n, 1, "committed when the promise resolves");
  reader.close();
  store.close();
});

test("group commit: one invalid event among many is rejected alone, the others are stored", async () => {
  const store = EventStore.open(tempDb());
  store.recordImpression(impression("taken", 1, "baseline"));
  const events = Array.from({ length: 50 }, (_, i) => impression(`v${i}`, 2 + i, "challenger"));
  events[20] = impression("taken", 99, "challenger"); // duplicate request id: PRIMARY KEY
  events[35] = impression("v35", 99, "challenger", [1, 2, 1]); // a movie twice: UNIQUE (request_id, movie_id)
  const settled = await Promise.allSettled(events.map((event) => store.enqueueImpression(event)));
  const rejected = settled.flatMap((s, i) => (s.status === "rejected" ? [i] : []));
  assert.deepEqual(rejected, [20, 35]);
  assert.match(String((settled[20] as PromiseRejectedResult).reason), /UNIQUE|PRIMARY KEY/);
  // 1 earlier + 48 valid; nothing of the two invalid ones (their savepoints rolled back), not even user 99's
  // assignment.
  assert.deepEqual(store.tableSizes(), {
    assignments: 49,
    impressions: 49,
    impression_items: 147,
    feedback: 0,
  });
  assert.equal(store.counts().variants.find((v) => v.variant === "baseline")?.impressions, 1);
  store.close();
});

test("group commit: feedback in one group is stored once; repeats are duplicates, unknown ids rejected", async () => {
  const store = EventStore.open(tempDb());
  store.recordImpression(impression("r1", 1, "baseline"));
  store.recordImpression(impression("r2", 2, "challenger"));
  const settled = await Promise.allSettled([
    store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 20 }),
    store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 20 }),
    store.enqueueFeedback({ requestId: "nope", reward: 1, movieId: 20 }),
    store.enqueueFeedback({ requestId: "r2", reward: 1, movieId: 999 }),
    store.enqueueFeedback({ requestId: "r2", reward: 0 }),
  ]);
  assert.deepEqual(
    settled.map((s) => (s.status === "fulfilled" ? s.value.status : "rejected")),
    ["recorded", "duplicate", "rejected", "rejected", "recorded"],
  );
  assert.ok((settled[2] as PromiseRejectedResult).reason instanceof InputError);
  assert.deepEqual(store.requestIds(), [
    { requestId: "r1", variant: "baseline", reward: 1 },
    { requestId: "r2", variant: "challenger", reward: 0 },
  ]);
  assert.equal(store.groupCommitStats().commits, 1);
  assert.equal(store.groupCommitStats().writes, 5);
  store.close();
});

test("close() commits the writes still queued before closing the file", async () => {
  const file = tempDb();
  const store = EventStore.open(file);
  const pending = store.enqueueImpression(impression("late", 3, "baseline"));
  store.close();
  assert.deepEqual(await pending, { newAssignment: true });
  assert.equal(readVariantCounts(file).variants[0].impressions, 1);
});

test('checkpoint "background": a worker thread copies the WAL into the database file, not the writer', async () => {
  const writeAndWatch = async (checkpoint: "auto" | "background") => {
    const file = tempDb();
    const store = EventStore.open(file, { checkpoint });
    const initialBytes = fs.statSync(file).size;
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        store.enqueueImpression(impression(`k${i}`, 1 + (i % 9), "baseline")),
      ),
    );
    // Far below SQLite's automatic checkpoint (1000 pages): only a background checkpoint grows the file.
    const deadline = Date.now() + 10_000;
    while (fs.statSync(file).size === initialBytes && Date.now() < deadline && checkpoint === "background")
      await new Promise((resolve) => setTimeout(resolve, 50));
    const grew = fs.statSync(file).size > initialBytes;
    store.close();
    assert.equal(readVariantCounts(file).variants[0].impressions, 500);
    return grew;
  };
  assert.equal(await writeAndWatch("auto"), false);
  assert.equal(await writeAndWatch("background"), true);
});
