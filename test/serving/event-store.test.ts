import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import {
  EVENTS_CSV_COLUMNS,
  openEventStore,
  readVariantCounts,
  readVisitEvents,
  visitEventsCsv,
} from "../../src/serving/event-store";
import { EVENT_STORE_SCHEMA_VERSION } from "../../src/serving/event-store/schema";
import { InputError } from "../../src/core/errors";
import { PROJECT_ROOT } from "../../src/core/paths";
import { FILLED_SLATE, fillEventStore } from "../support/event-store-fill";

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

test("the store is a real SQLite file in WAL mode with foreign keys", async () => {
  const file = tempDb();
  const store = openEventStore(file);
  await store.enqueueImpression(impression("r1", 1, "baseline"));
  store.close();
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
  db.close();
});

test("durability levels: process-crash is WAL + synchronous NORMAL, power-loss is WAL + FULL", () => {
  const normal = openEventStore(tempDb());
  assert.deepEqual(normal.journal(), { journalMode: "wal", synchronous: 1 });
  normal.close();
  const full = openEventStore(tempDb(), { durability: "power-loss" });
  assert.deepEqual(full.journal(), { journalMode: "wal", synchronous: 2 });
  full.close();
});

test("counts per variant and per user add up impressions and first clicks", async () => {
  const file = tempDb();
  const store = openEventStore(file);
  assert.deepEqual(await store.enqueueImpression(impression("a1", 1, "baseline")), { newAssignment: true });
  assert.deepEqual(await store.enqueueImpression(impression("a2", 1, "baseline")), { newAssignment: false });
  await store.enqueueImpression(impression("b1", 2, "challenger"));
  await store.enqueueImpression(impression("b2", 3, "challenger"));
  assert.deepEqual(await store.enqueueFeedback({ requestId: "a1", reward: 1, movieId: 30 }), {
    status: "recorded",
    variant: "baseline",
    position: 2,
    phase: "experiment",
    team: null,
  });
  await store.enqueueFeedback({ requestId: "a2", reward: 1, movieId: 10 });
  await store.enqueueFeedback({ requestId: "b1", reward: 1, movieId: 10 });
  await store.enqueueFeedback({ requestId: "b2", reward: 0 });
  store.recordSetting("routing", "sticky");
  store.close();
  const counts = readVariantCounts(file);
  assert.deepEqual(counts.variants, [
    { variant: "baseline", users: 1, impressions: 2, clicks: 2, clickedUsers: 1 },
    { variant: "challenger", users: 2, impressions: 2, clicks: 1, clickedUsers: 1 },
  ]);
  assert.deepEqual(counts.users, [
    {
      userId: 1,
      variant: "baseline",
      impressions: 2,
      clicks: 2,
      preImpressions: 0,
      preClicks: 0,
      firstDay: null,
    },
    {
      userId: 2,
      variant: "challenger",
      impressions: 1,
      clicks: 1,
      preImpressions: 0,
      preClicks: 0,
      firstDay: null,
    },
    {
      userId: 3,
      variant: "challenger",
      impressions: 1,
      clicks: 0,
      preImpressions: 0,
      preClicks: 0,
      firstDay: null,
    },
  ]);
  assert.equal(counts.usersInSeveralVariants, 0);
  assert.deepEqual(counts.settings, { routing: "sticky" });
  assert.deepEqual(counts.interleaving, []);
});

test("a second reward for the same request is ignored, never double counted", async () => {
  const store = openEventStore(tempDb());
  await store.enqueueImpression(impression("r1", 5, "baseline"));
  assert.equal((await store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 20 })).status, "recorded");
  assert.equal(
    (await store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 20 })).status,
    "duplicate",
  );
  assert.equal((await store.enqueueFeedback({ requestId: "r1", reward: 0 })).status, "duplicate");
  assert.deepEqual(store.counts().variants, [
    { variant: "baseline", users: 1, impressions: 1, clicks: 1, clickedUsers: 1 },
  ]);
  assert.equal(store.tableSizes().feedback, 1);
  store.close();
});

test("unknown requests and movies that were not shown are rejected naming the field", async () => {
  const store = openEventStore(tempDb());
  await store.enqueueImpression(impression("r1", 5, "baseline"));
  await assert.rejects(
    store.enqueueFeedback({ requestId: "nope", reward: 1, movieId: 10 }),
    (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /puid.*no impression with request id "nope"/);
      return true;
    },
  );
  await assert.rejects(
    store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 999 }),
    /truth.*movie 999/,
  );
  await assert.rejects(
    store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 20, position: 0 }),
    /position.*shown at position 1/,
  );
  assert.equal(store.tableSizes().feedback, 0);
  store.close();
});

test("constraints make duplicate impressions and slots impossible, and a failed write leaves nothing", async () => {
  const store = openEventStore(tempDb());
  await store.enqueueImpression(impression("r1", 5, "baseline"));
  await assert.rejects(store.enqueueImpression(impression("r1", 5, "baseline")), /UNIQUE|PRIMARY KEY/);
  // The same movie twice in one impression violates UNIQUE (request_id, movie_id); its savepoint rolls back,
  // user 6's assignment with it.
  await assert.rejects(store.enqueueImpression(impression("r2", 6, "baseline", [1, 2, 1])), /UNIQUE/);
  assert.deepEqual(store.tableSizes(), { assignments: 1, impressions: 1, impression_items: 3, feedback: 0 });
  store.close();
});

test("random routing exposes a user to both variants and the counts say so", async () => {
  const store = openEventStore(tempDb());
  await store.enqueueImpression({ ...impression("r1", 5, "baseline"), routingMode: "random" });
  await store.enqueueImpression({ ...impression("r2", 5, "challenger"), routingMode: "random" });
  assert.equal(store.counts().usersInSeveralVariants, 1);
  store.close();
});

test("opening something that is not an event store fails with an InputError naming the file", () => {
  const file = tempDb();
  fs.writeFileSync(file, "not a database");
  assert.throws(
    () => openEventStore(file),
    (error: unknown) => error instanceof InputError && error.message.includes(file),
  );
  assert.throws(
    () => readVariantCounts(path.join(path.dirname(file), "missing.sqlite")),
    /event store not found/,
  );
});

for (const older of [1, 2])
  test(`a store of schema version ${older} (before ${older === 1 ? "the calendar" : "interleaving and bandits"}) is refused, read-only or for writing, naming the file`, () => {
    assert.equal(EVENT_STORE_SCHEMA_VERSION, 3);
    const file = tempDb();
    const old = new Database(file);
    old.exec("CREATE TABLE impressions (request_id TEXT PRIMARY KEY, user_id INTEGER NOT NULL)");
    old.pragma(`user_version = ${older}`);
    old.close();
    for (const readonly of [true, false])
      assert.throws(
        () => openEventStore(file, { readonly }),
        (error: unknown) =>
          error instanceof InputError &&
          error.message.startsWith(
            `${file}: event store schema version ${older}, expected 3 (written by an older abrec`,
          ),
      );
  });

/** A day of the calendar: `[requestId, userId, variant, day, phase, routingMode, clicked]`. */
type CalendarVisit = [string, number, string, number, "pre" | "experiment", "sticky" | "random", 0 | 1];

/**
 * Pre-period days 0-2 (all on the baseline), experiment from day 3. User 1: two pre visits (one click), then the
 * baseline. User 2: one pre visit, then the challenger twice. User 3: the challenger only. User 4: pre only. User
 * 5 (random routing): one pre visit, then both variants.
 */
const CALENDAR_VISITS: CalendarVisit[] = [
  ["p1", 1, "baseline", 0, "pre", "sticky", 1],
  ["p2", 5, "baseline", 0, "pre", "random", 0],
  ["p3", 1, "baseline", 1, "pre", "sticky", 0],
  ["p4", 4, "baseline", 1, "pre", "sticky", 1],
  ["p5", 2, "baseline", 2, "pre", "sticky", 0],
  ["e1", 1, "baseline", 3, "experiment", "sticky", 1],
  ["e2", 5, "baseline", 3, "experiment", "random", 0],
  ["e3", 2, "challenger", 4, "experiment", "sticky", 1],
  ["e4", 2, "challenger", 4, "experiment", "sticky", 0],
  ["e5", 1, "baseline", 5, "experiment", "sticky", 0],
  ["e6", 3, "challenger", 6, "experiment", "sticky", 0],
  ["e7", 5, "challenger", 7, "experiment", "random", 0],
];

async function fillCalendarStore(): Promise<{ file: string; newAssignments: Map<string, boolean> }> {
  const file = tempDb();
  const store = openEventStore(file);
  store.recordSetting("pre_days", "3");
  const newAssignments = new Map<string, boolean>();
  for (const [requestId, userId, variant, day, phase, routingMode, clicked] of CALENDAR_VISITS) {
    const event = {
      ...impression(requestId, userId, variant),
      day,
      phase,
      routingMode,
      shownAtMs: 1000 * day,
    };
    newAssignments.set(requestId, (await store.enqueueImpression(event)).newAssignment);
    if (clicked) await store.enqueueFeedback({ requestId, reward: 1, movieId: 10 });
  }
  store.close();
  return { file, newAssignments };
}

test("counts(): experiment-phase variants and users, each user with their pre-period counts and first day", async () => {
  const { file } = await fillCalendarStore();
  const counts = readVariantCounts(file);
  assert.deepEqual(counts.variants, [
    { variant: "baseline", users: 2, impressions: 3, clicks: 1, clickedUsers: 1 },
    { variant: "challenger", users: 3, impressions: 4, clicks: 1, clickedUsers: 1 },
  ]);
  const row = (
    userId: number,
    variant: string,
    [impressions, clicks, preImpressions, preClicks, firstDay]: number[],
  ) => ({ userId, variant, impressions, clicks, preImpressions, preClicks, firstDay });
  assert.deepEqual(counts.users, [
    row(1, "baseline", [2, 1, 2, 1, 3]),
    row(2, "challenger", [2, 1, 1, 0, 4]),
    row(3, "challenger", [1, 0, 0, 0, 6]),
    row(5, "baseline", [1, 0, 1, 0, 3]),
    row(5, "challenger", [1, 0, 1, 0, 7]),
  ]);
  // User 2 saw the baseline in the pre-period and the challenger after: one variant in the experiment.
  assert.equal(counts.usersInSeveralVariants, 1);
  assert.equal(counts.preDays, 3);
  assert.deepEqual(counts.prePeriod, { users: 4, impressions: 5, clicks: 2 });
  // visits(): every impression of both phases, in serving order, with its day and phase.
  assert.deepEqual(
    readVisitEvents(file).map((v) => [v.requestId, v.day, v.phase, v.clicked]),
    CALENDAR_VISITS.map(([requestId, , , day, phase, , clicked]) => [requestId, day, phase, clicked]),
  );
});

test("a user seen in the pre-period and then assigned the baseline is a new assignment once, at that time", async () => {
  const { file, newAssignments } = await fillCalendarStore();
  assert.deepEqual(Object.fromEntries(newAssignments), {
    p1: false,
    p2: false,
    p3: false,
    p4: false,
    p5: false,
    e1: true, // user 1's pre-period row upgraded
    e2: true,
    e3: true, // user 2: a new row beside the pre-period one
    e4: false,
    e5: false,
    e6: true,
    e7: true,
  });
  const db = new Database(file, { readonly: true });
  assert.deepEqual(
    db
      .prepare(
        "SELECT user_id, variant, routing_mode, assigned_at_ms FROM assignments ORDER BY user_id, variant",
      )
      .all(),
    [
      { user_id: 1, variant: "baseline", routing_mode: "sticky", assigned_at_ms: 3000 },
      { user_id: 2, variant: "baseline", routing_mode: "pre", assigned_at_ms: 2000 },
      { user_id: 2, variant: "challenger", routing_mode: "sticky", assigned_at_ms: 4000 },
      { user_id: 3, variant: "challenger", routing_mode: "sticky", assigned_at_ms: 6000 },
      { user_id: 4, variant: "baseline", routing_mode: "pre", assigned_at_ms: 1000 },
      { user_id: 5, variant: "baseline", routing_mode: "random", assigned_at_ms: 3000 },
      { user_id: 5, variant: "challenger", routing_mode: "random", assigned_at_ms: 7000 },
    ],
  );
  db.close();
});

test("a simulated day must be an integer >= 0, and a phase pre or experiment", async () => {
  const store = openEventStore(tempDb());
  await assert.rejects(store.enqueueImpression({ ...impression("d1", 1, "baseline"), day: -1 }), /CHECK/);
  await assert.rejects(
    store.enqueueImpression({ ...impression("d2", 1, "baseline"), day: 1.5 }),
    (error: unknown) => error instanceof InputError && /field "day".*got 1\.5/.test(error.message),
  );
  await assert.rejects(
    store.enqueueImpression({ ...impression("d3", 1, "baseline"), phase: "later" as "pre" }),
    /CHECK/,
  );
  assert.deepEqual(store.tableSizes(), { assignments: 0, impressions: 0, impression_items: 0, feedback: 0 });
  store.close();
});

test("group commit: many concurrent impressions are stored once each, in one transaction", async () => {
  const file = tempDb();
  const store = openEventStore(file);
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
  const store = openEventStore(file);
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
  const store = openEventStore(tempDb());
  await store.enqueueImpression(impression("taken", 1, "baseline"));
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
  const store = openEventStore(tempDb());
  await Promise.all([
    store.enqueueImpression(impression("r1", 1, "baseline")),
    store.enqueueImpression(impression("r2", 2, "challenger")),
  ]);
  const before = store.groupCommitStats();
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
  // The five feedback events shared one commit.
  const after = store.groupCommitStats();
  assert.deepEqual([after.commits - before.commits, after.writes - before.writes], [1, 5]);
  store.close();
});

test("close() commits the writes still queued before closing the file", async () => {
  const file = tempDb();
  const store = openEventStore(file);
  const pending = store.enqueueImpression(impression("late", 3, "baseline"));
  store.close();
  assert.deepEqual(await pending, { newAssignment: true });
  assert.equal(readVariantCounts(file).variants[0].impressions, 1);
});

test('checkpoint "background": a worker thread copies the WAL into the database file, not the writer', async () => {
  const writeAndWatch = async (checkpoint: "auto" | "background") => {
    const file = tempDb();
    const store = openEventStore(file, { checkpoint });
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

test("readVisitEvents lists every visit in serving order with its click, movie and position", async () => {
  const file = await fillEventStore([
    ["baseline", 5, 2],
    ["challenger", 4, 1],
  ]);
  const events = readVisitEvents(file);
  assert.equal(events.length, 9);
  assert.deepEqual(
    events.map((e) => e.variant),
    [
      "baseline",
      "challenger",
      "baseline",
      "challenger",
      "baseline",
      "challenger",
      "baseline",
      "challenger",
      "baseline",
    ],
  );
  assert.deepEqual(
    events.map((e) => e.clicked),
    [1, 1, 1, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(
    events.map((e) => e.visit),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.equal(events[0].clickedMovieId, FILLED_SLATE[1]);
  assert.equal(events[0].clickedPosition, 1);
  assert.equal(events[3].clickedMovieId, null);
  assert.ok(events.every((e, i) => i === 0 || e.shownAtMs > events[i - 1].shownAtMs));
});

test("events.csv has one row per visit, times in ISO 8601 UTC, empty fields where there was no click", async () => {
  const file = await fillEventStore([
    ["baseline", 2, 1],
    ["challenger", 1, 0],
  ]);
  assert.deepEqual(visitEventsCsv(readVisitEvents(file)).split("\n"), [
    "visit,request_id,user_id,variant,model_version,fallback,clicked,clicked_movie_id,clicked_position,shown_at,clicked_at,day,phase,latency_ms,clicked_team,propensity",
    "1,req-0,1,baseline,baseline-v1,0,1,202,1,2026-11-28T12:00:00.000Z,2026-11-28T12:00:00.500Z,,experiment,,,",
    "2,req-1,2,challenger,challenger-v1,0,0,,,2026-11-28T12:00:01.000Z,,,experiment,,,",
    "3,req-2,3,baseline,baseline-v1,0,0,,,2026-11-28T12:00:02.000Z,,,experiment,,,",
    "",
  ]);
  assert.deepEqual(EVENTS_CSV_COLUMNS.slice(-5), [
    "day",
    "phase",
    "latency_ms",
    "clicked_team",
    "propensity",
  ]);
});

test("events.csv carries each visit's simulated day, phase and latency", async () => {
  const file = tempDb();
  const store = openEventStore(file);
  await store.enqueueImpression({
    ...impression("p1", 1, "baseline"),
    day: 0,
    phase: "pre",
    latencyMs: 1.25,
  });
  await store.enqueueImpression({
    ...impression("e1", 1, "baseline"),
    day: 7,
    phase: "experiment",
    latencyMs: 0.5,
  });
  await store.enqueueFeedback({
    requestId: "e1",
    reward: 1,
    movieId: 20,
    receivedAtMs: Date.UTC(2026, 0, 1),
  });
  store.close();
  const [header, pre, experiment] = visitEventsCsv(readVisitEvents(file)).split("\n");
  assert.equal(header, EVENTS_CSV_COLUMNS.join(","));
  assert.match(pre, /^1,p1,1,baseline,v1,0,0,,,[^,]+,,0,pre,1\.25,,$/);
  assert.match(
    experiment,
    /^2,e1,1,baseline,v1,0,1,20,1,[^,]+,2026-01-01T00:00:00\.000Z,7,experiment,0\.5,,$/,
  );
});

test("the event stores committed under results/runs open read-only, and their experiment visits agree with their counts", () => {
  const runs = path.join(PROJECT_ROOT, "results", "runs");
  const stores = fs
    .readdirSync(runs)
    .map((run) => path.join(runs, run, "events.sqlite"))
    .filter((file) => fs.existsSync(file));
  assert.ok(stores.length > 0, `no events.sqlite under ${runs}`);
  for (const committed of stores) {
    // A copy: opening a WAL store, even read-only, creates its -wal and -shm files beside it.
    const file = tempDb();
    fs.copyFileSync(committed, file);
    const counts = readVariantCounts(file);
    const visits = readVisitEvents(file).filter((visit) => visit.phase === "experiment");
    const pre = readVisitEvents(file).filter((visit) => visit.phase === "pre");
    assert.equal(pre.length, counts.prePeriod.impressions, `${committed}: pre-period impressions`);
    assert.ok(
      pre.every((visit) => visit.variant === "baseline"),
      `${committed}: the pre-period is on the baseline`,
    );
    for (const arm of counts.variants) {
      const own = visits.filter((visit) => visit.variant === arm.variant);
      assert.equal(own.length, arm.impressions, `${committed}: ${arm.variant} impressions`);
      assert.equal(
        own.filter((visit) => visit.clicked === 1).length,
        arm.clicks,
        `${committed}: ${arm.variant} clicks`,
      );
    }
  }
});
