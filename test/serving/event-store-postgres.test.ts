import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import {
  type EventCounts,
  type ImpressionEvent,
  INTERLEAVED_VARIANT,
  PostgresEventStore,
  connectEventStore,
  loadVariantCounts,
  loadVisitEvents,
  openEventStore,
  openEventStoreReader,
  readVariantCounts,
  readVisitEvents,
  redactedUrl,
} from "../../src/serving/event-store";
import { EVENT_STORE_SCHEMA_VERSION } from "../../src/serving/event-store/schema";
import { InputError } from "../../src/core/errors";
import { PROJECT_ROOT } from "../../src/core/paths";
import { startServing } from "../../src/deployment/serve";
import { ROUTER_NAME, feedbackRequest, predictionRequest } from "../../src/serving/seldon";
import { testModels } from "../support/recommenders";
import { testCatalog } from "../support/catalog";
import { postJson } from "../support/http";
import { startPostgres } from "../support/postgres";

/** One server for the file, stopped after it. */
const server = startPostgres();
// Handled by the tests, each of which awaits it and fails with its message (PostgreSQL missing, say).
server.catch(() => {});
let databases = 0;

/** A new empty database on the test's server, so that each test starts from no tables. */
async function freshDatabase(): Promise<string> {
  const { url } = await server;
  const name = `store_${++databases}`;
  const admin = new pg.Client(url);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return url.replace(/\/abrec$/, `/${name}`);
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

test("PostgreSQL: counts per variant and per user add up impressions and first clicks", async () => {
  const store = await PostgresEventStore.open(await freshDatabase());
  try {
    assert.deepEqual(await store.enqueueImpression(impression("a1", 1, "baseline")), { newAssignment: true });
    assert.deepEqual(await store.enqueueImpression(impression("a2", 1, "baseline")), {
      newAssignment: false,
    });
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
    await store.recordSetting("routing", "sticky");
    const counts = await store.counts();
    assert.deepEqual(counts.variants, [
      { variant: "baseline", users: 1, impressions: 2, clicks: 2, clickedUsers: 1 },
      { variant: "challenger", users: 2, impressions: 2, clicks: 1, clickedUsers: 1 },
    ]);
    assert.deepEqual(
      counts.users.map((row) => [row.userId, row.variant, row.impressions, row.clicks]),
      [
        [1, "baseline", 2, 2],
        [2, "challenger", 1, 1],
        [3, "challenger", 1, 0],
      ],
    );
    assert.deepEqual(counts.settings, { routing: "sticky" });
    assert.equal(await store.variantOf("b1"), "challenger");
    assert.equal(await store.variantOf("nope"), undefined);
  } finally {
    await store.close();
  }
});

test("PostgreSQL: a second reward is a duplicate; unknown requests and movies not shown are rejected naming the field", async () => {
  const store = await PostgresEventStore.open(await freshDatabase());
  try {
    await store.enqueueImpression(impression("r1", 5, "baseline"));
    assert.equal(
      (await store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 20 })).status,
      "recorded",
    );
    assert.equal(
      (await store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 20 })).status,
      "duplicate",
    );
    assert.equal((await store.enqueueFeedback({ requestId: "r1", reward: 0 })).status, "duplicate");
    await store.enqueueImpression(impression("r2", 5, "baseline"));
    await assert.rejects(
      store.enqueueFeedback({ requestId: "nope", reward: 1, movieId: 10 }),
      (error: unknown) =>
        error instanceof InputError && /puid.*no impression with request id "nope"/.test(error.message),
    );
    await assert.rejects(
      store.enqueueFeedback({ requestId: "r2", reward: 1, movieId: 999 }),
      /truth.*movie 999/,
    );
    await assert.rejects(
      store.enqueueFeedback({ requestId: "r2", reward: 1, movieId: 20, position: 0 }),
      /position.*shown at position 1/,
    );
    assert.deepEqual(await store.tableSizes(), {
      assignments: 1,
      impressions: 2,
      impression_items: 6,
      feedback: 1,
    });
  } finally {
    await store.close();
  }
});

test("PostgreSQL: constraints make duplicate impressions, slots and bad values impossible", async () => {
  const store = await PostgresEventStore.open(await freshDatabase());
  try {
    await store.enqueueImpression(impression("r1", 5, "baseline"));
    await assert.rejects(store.enqueueImpression(impression("r1", 5, "baseline")), /impressions_pkey/);
    await assert.rejects(
      store.enqueueImpression(impression("r2", 6, "baseline", [1, 2, 1])),
      /unique constraint/,
    );
    await assert.rejects(
      store.enqueueImpression({ ...impression("d1", 7, "baseline"), day: -1 }),
      /check constraint/,
    );
    await assert.rejects(
      store.enqueueImpression({ ...impression("d2", 7, "baseline"), day: 1.5 }),
      (error: unknown) => error instanceof InputError && /field "day".*got 1\.5/.test(error.message),
    );
    // A reward row naming a movie outside its impression is refused by the composite foreign key itself.
    const client = new pg.Client(store.location);
    await client.connect();
    try {
      await assert.rejects(
        client.query(
          "INSERT INTO feedback (request_id, reward, movie_id, position, received_at_ms) VALUES ('r1', 1, 99, 0, 0)",
        ),
        /foreign key constraint/,
      );
    } finally {
      await client.end();
    }
    assert.deepEqual(await store.tableSizes(), {
      assignments: 1,
      impressions: 1,
      impression_items: 3,
      feedback: 0,
    });
  } finally {
    await store.close();
  }
});

test("PostgreSQL group commit: one invalid event among many is rejected alone, the others are stored once", async () => {
  const store = await PostgresEventStore.open(await freshDatabase());
  try {
    await store.enqueueImpression(impression("taken", 1, "baseline"));
    const events = Array.from({ length: 50 }, (_, i) => impression(`v${i}`, 2 + i, "challenger"));
    events[20] = impression("taken", 99, "challenger");
    events[35] = impression("v35", 99, "challenger", [1, 2, 1]);
    const before = store.groupCommitStats();
    const settled = await Promise.allSettled(events.map((event) => store.enqueueImpression(event)));
    assert.deepEqual(
      settled.flatMap((s, i) => (s.status === "rejected" ? [i] : [])),
      [20, 35],
    );
    assert.deepEqual(await store.tableSizes(), {
      assignments: 49,
      impressions: 49,
      impression_items: 147,
      feedback: 0,
    });
    // The 50 events were queued in one event-loop turn: one group, one transaction.
    const after = store.groupCommitStats();
    assert.deepEqual([after.commits - before.commits, after.writes - before.writes], [1, 50]);
    // Feedback in one group: stored once, repeats are duplicates, a click on a movie not shown rejected alone.
    const feedback = await Promise.allSettled([
      store.enqueueFeedback({ requestId: "v1", reward: 1, movieId: 20 }),
      store.enqueueFeedback({ requestId: "v1", reward: 1, movieId: 20 }),
      store.enqueueFeedback({ requestId: "v2", reward: 1, movieId: 999 }),
      store.enqueueFeedback({ requestId: "v2", reward: 0 }),
    ]);
    assert.deepEqual(
      feedback.map((s) => (s.status === "fulfilled" ? s.value.status : "rejected")),
      ["recorded", "duplicate", "rejected", "recorded"],
    );
    assert.ok((feedback[2] as PromiseRejectedResult).reason instanceof InputError);
    assert.deepEqual(
      (await store.requestIds()).filter((row) => row.reward !== null),
      [
        { requestId: "v1", variant: "challenger", reward: 1 },
        { requestId: "v2", variant: "challenger", reward: 0 },
      ],
    );
  } finally {
    await store.close();
  }
});

/** A database whose deadlocks are detected within 10 ms instead of 1 s (the test's user is a superuser). */
async function databaseWithQuickDeadlocks(): Promise<{ url: string; admin: pg.Client; name: string }> {
  const url = await freshDatabase();
  const admin = new pg.Client(url);
  await admin.connect();
  const name = new URL(url).pathname.slice(1);
  await admin.query(`ALTER DATABASE ${name} SET deadlock_timeout = '10ms'`);
  return { url, admin, name };
}

/**
 * The deadlocks the server broke in `database`, once the stores' backends have exited (a backend reports its
 * count by then): waits up to 10 s for `atLeast`.
 */
async function deadlocksIn(admin: pg.Client, database: string, atLeast: number): Promise<number> {
  let deadlocks = 0;
  for (let tries = 0; tries < 100; tries++) {
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    await admin.query("SELECT pg_stat_clear_snapshot()");
    const row = await admin.query<{ deadlocks: string }>(
      "SELECT deadlocks FROM pg_stat_database WHERE datname = $1",
      [database],
    );
    deadlocks = Number(row.rows[0].deadlocks);
    if (deadlocks >= atLeast) break;
  }
  return deadlocks;
}

test("two stores whose groups assign the same new users in opposite orders lock them in user order: no deadlock, every write stored once", async () => {
  const { url, admin, name } = await databaseWithQuickDeadlocks();
  const [first, second] = [await PostgresEventStore.open(url), await PostgresEventStore.open(url)];
  const rounds = 30;
  const usersPerRound = 4;
  let results: PromiseSettledResult<{ newAssignment: boolean }>[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const users = Array.from({ length: usersPerRound }, (_, i) => 1 + round * usersPerRound + i);
      // Queued in one event-loop turn: one group per store, with the users in opposite orders (each statement
      // upserts in one transaction; unsorted, the two deadlocked in 30 of 30 rounds).
      const groups = [
        users.map((user) => first.enqueueImpression(impression(`a${user}`, user, "baseline"))),
        [...users]
          .reverse()
          .map((user) => second.enqueueImpression(impression(`b${user}`, user, "baseline"))),
      ];
      results = results.concat(await Promise.allSettled(groups.flat()));
    }
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
  const users = rounds * usersPerRound;
  assert.deepEqual(
    results.flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : [])),
    [],
    "every write resolves",
  );
  assert.equal(
    results.filter((result) => result.status === "fulfilled" && result.value.newAssignment).length,
    users,
    "one new assignment per user, whichever store stored it first",
  );
  const reader = await openEventStoreReader(url);
  try {
    assert.deepEqual(await reader.tableSizes(), {
      assignments: users,
      impressions: 2 * users,
      impression_items: 6 * users,
      feedback: 0,
    });
  } finally {
    await reader.close();
  }
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await deadlocksIn(admin, name, 0), 0, "pg_stat_database.deadlocks");
  } finally {
    await admin.end();
  }
});

test("two stores storing the same requests' feedback in opposite orders deadlock, and each group is rerun until every feedback is stored once", async (t) => {
  const { url, admin, name } = await databaseWithQuickDeadlocks();
  const [first, second] = [await PostgresEventStore.open(url), await PostgresEventStore.open(url)];
  const rounds = 20;
  const perRound = 50;
  let recorded = 0;
  let duplicates = 0;
  const failures: string[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const ids = Array.from({ length: perRound }, (_, i) => `r${round}-${i}`);
      await Promise.all(ids.map((id, i) => first.enqueueImpression(impression(id, 1 + i, "baseline"))));
      // A client that sent each feedback to two replicas: one group per store, in opposite orders. Both groups
      // wait for the table lock held here, then insert at once (so they overlap in every round).
      await admin.query("BEGIN");
      await admin.query("LOCK TABLE feedback IN SHARE MODE");
      const settled = Promise.allSettled([
        ...ids.map((id) => first.enqueueFeedback({ requestId: id, reward: 1, movieId: 20 })),
        ...[...ids].reverse().map((id) => second.enqueueFeedback({ requestId: id, reward: 1, movieId: 20 })),
      ]);
      for (let waiting = 0; waiting < 2;) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const row = await admin.query<{ n: number }>(
          "SELECT COUNT(*)::integer AS n FROM pg_locks WHERE NOT granted AND relation = 'feedback'::regclass",
        );
        waiting = row.rows[0].n;
      }
      await admin.query("COMMIT");
      const results = await settled;
      for (const result of results)
        if (result.status === "rejected") failures.push(String(result.reason));
        else if (result.value.status === "duplicate") duplicates++;
        else recorded++;
    }
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
  assert.deepEqual(failures, [], "every feedback resolves");
  assert.equal(recorded, rounds * perRound, "each request's feedback recorded by one store");
  assert.equal(duplicates, rounds * perRound, "and a duplicate for the other");
  const reader = await openEventStoreReader(url);
  try {
    assert.equal((await reader.tableSizes()).feedback, rounds * perRound);
  } finally {
    await reader.close();
  }
  let deadlocks: number;
  try {
    deadlocks = await deadlocksIn(admin, name, 1);
  } finally {
    await admin.end();
  }
  assert.ok(deadlocks > 0, "the opposite orders deadlocked (pg_stat_database.deadlocks)");
  t.diagnostic(`${deadlocks} deadlocks in ${rounds} rounds, every group rerun to its commit`);
});

test("PostgreSQL group commit: an event resolves only once committed, and close() commits what is queued", async () => {
  const url = await freshDatabase();
  const store = await PostgresEventStore.open(url);
  const reader = new pg.Client(url);
  await reader.connect();
  try {
    const count = async () => Number((await reader.query("SELECT COUNT(*) AS n FROM impressions")).rows[0].n);
    const pending = store.enqueueImpression(impression("c1", 1, "baseline"));
    assert.equal(await count(), 0, "nothing is written before the flush");
    await pending;
    assert.equal(await count(), 1, "committed when the promise resolves");
    const late = store.enqueueImpression(impression("late", 2, "baseline"));
    await store.close();
    assert.deepEqual(await late, { newAssignment: true });
    assert.equal(await count(), 2);
  } finally {
    await reader.end();
  }
});

/**
 * A run of every kind of event: a pre-period on the baseline, sticky and random experiment impressions, an
 * interleaved slate with teams, propensities, latencies, clicks, "no click" feedback and none.
 */
function mixedEvents(): { impressions: ImpressionEvent[]; clicks: [string, number | null][] } {
  const impressions: ImpressionEvent[] = [];
  const clicks: [string, number | null][] = [];
  for (let i = 0; i < 60; i++) {
    const userId = 1 + (i % 13);
    const day = Math.floor(i / 10);
    const phase = day < 2 ? "pre" : "experiment";
    const interleaved = phase === "experiment" && i % 5 === 0;
    const variant =
      phase === "pre"
        ? "baseline"
        : interleaved
          ? INTERLEAVED_VARIANT
          : ["baseline", "challenger"][(userId + (i % 4 === 0 ? 1 : 0)) % 2];
    const movieIds = [100 + (i % 7), 200 + (i % 3), 300];
    impressions.push({
      requestId: `m${String(i).padStart(3, "0")}`,
      userId,
      variant,
      modelVersion: `${variant}-v1`,
      fallback: i % 11 === 0,
      movieIds,
      routingMode: interleaved ? "interleave" : i % 4 === 0 ? "random" : "sticky",
      shownAtMs: Date.UTC(2026, 0, 1) + 1000 * i,
      day,
      phase,
      latencyMs: (i % 9) / 4,
      teams: interleaved ? ["baseline", "challenger", "baseline"] : undefined,
      propensity: interleaved || phase === "pre" ? null : i % 4 === 0 ? 0.5 : 0.25,
    });
    if (i % 3 === 0) clicks.push([impressions[i].requestId, movieIds[i % 3]]);
    else if (i % 3 === 1) clicks.push([impressions[i].requestId, null]);
  }
  return { impressions, clicks };
}

test("PostgreSQL and SQLite answer the same counts() and visits() for the same events", async () => {
  const { impressions, clicks } = mixedEvents();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-store-pg-")), "events.sqlite");
  const url = await freshDatabase();
  for (const store of [openEventStore(file), await connectEventStore(url)]) {
    for (const [key, value] of [
      ["child_0", "baseline"],
      ["child_1", "challenger"],
      ["pre_days", "2"],
    ])
      await store.recordSetting(key, value);
    // Concurrently, as the router writes them (group commits), in serving order.
    await Promise.all(impressions.map((event) => store.enqueueImpression(event)));
    await Promise.all(
      clicks.map(([requestId, movieId], i) =>
        store.enqueueFeedback(
          movieId === null
            ? { requestId, reward: 0, receivedAtMs: 5 + i }
            : { requestId, reward: 1, movieId, receivedAtMs: 5 + i },
        ),
      ),
    );
    await store.close();
  }
  const sqliteCounts = readVariantCounts(file);
  const postgresCounts = await loadVariantCounts(url);
  assert.deepEqual(postgresCounts, sqliteCounts);
  // Not trivially equal: every part of the counts is filled.
  assert.equal(sqliteCounts.variants.length, 3);
  assert.ok(sqliteCounts.users.length > 10 && sqliteCounts.usersInSeveralVariants > 0);
  assert.ok(sqliteCounts.interleaving.length > 0 && sqliteCounts.prePeriod.clicks > 0);
  assert.equal(sqliteCounts.preDays, 2);
  const sqliteVisits = readVisitEvents(file);
  assert.deepEqual(await loadVisitEvents(url), sqliteVisits);
  assert.equal(sqliteVisits.length, 60);
  assert.ok(sqliteVisits.some((visit) => visit.clickedTeam !== null));
  assert.ok(sqliteVisits.some((visit) => visit.fallback && visit.clicked === 1));
  const readers = [await openEventStoreReader(url), await openEventStoreReader(file)];
  try {
    const [postgresSizes, sqliteSizes] = await Promise.all(readers.map((reader) => reader.tableSizes()));
    assert.deepEqual(postgresSizes, sqliteSizes);
    assert.equal(sqliteSizes.impression_items, 180);
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
  }
  // `abrec analyze --events URL` (per visit: users saw several variants) reads the same figures.
  const analyses = [url, file].map((location) => {
    const run = spawnSync(
      process.execPath,
      [path.join(PROJECT_ROOT, "bin", "abrec"), "analyze", "--events", location, "--unit", "visit", "--json"],
      { encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
  });
  assert.equal(analyses[0], analyses[1]);
  const baseline = sqliteCounts.variants.find((row) => row.variant === "baseline")!;
  assert.deepEqual(
    [JSON.parse(analyses[0]).control.units, JSON.parse(analyses[0]).control.clicks],
    [baseline.impressions, baseline.clicks],
  );
});

test("a PostgreSQL store of another schema version is refused, naming the URL without its password", async () => {
  const url = await freshDatabase();
  await (await PostgresEventStore.open(url)).close();
  const admin = new pg.Client(url);
  await admin.connect();
  await admin.query("UPDATE event_store_schema SET version = 2");
  await admin.end();
  // Trust authentication ignores the password: it is there to be kept out of the message.
  const withPassword = url.replace("//abrec@", "//abrec:s3cret@");
  const redacted = url.replace("//abrec@", "//abrec:***@");
  for (const open of [() => connectEventStore(withPassword), () => loadVariantCounts(withPassword)])
    await assert.rejects(open(), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(
        error.message,
        `${redacted}: event store schema version 2, expected ${EVENT_STORE_SCHEMA_VERSION} (written by an older abrec: use a new database)`,
      );
      return true;
    });
  await assert.rejects(loadVariantCounts(await freshDatabase()), /no event store in this database/);
  await assert.rejects(
    loadVariantCounts("postgresql://abrec:s3cret@127.0.0.1:1/abrec"),
    (error: unknown) =>
      error instanceof InputError &&
      error.message.startsWith(
        "postgresql://abrec:***@127.0.0.1:1/abrec: cannot open as a PostgreSQL event store",
      ) &&
      !error.message.includes("s3cret"),
  );
});

test('"env" takes the URL from ABREC_EVENTS_URL, and says so when it is unset', async () => {
  const url = await freshDatabase();
  const saved = process.env.ABREC_EVENTS_URL;
  try {
    delete process.env.ABREC_EVENTS_URL;
    await assert.rejects(connectEventStore("env"), /ABREC_EVENTS_URL is not set/);
    process.env.ABREC_EVENTS_URL = url;
    const store = await connectEventStore("env");
    assert.ok(store instanceof PostgresEventStore);
    await store.enqueueImpression(impression("e1", 1, "baseline"));
    await store.close();
    assert.equal((await loadVariantCounts()).variants[0].impressions, 1);
  } finally {
    if (saved === undefined) delete process.env.ABREC_EVENTS_URL;
    else process.env.ABREC_EVENTS_URL = saved;
  }
});

test("a router served by startServing on PostgreSQL stores every acknowledged prediction and click once", async () => {
  const url = await freshDatabase();
  const models = testModels();
  const serving = await startServing({
    role: "all",
    port: 0,
    eventsPath: url,
    recommenders: models,
    movies: testCatalog(),
    routing: { mode: "thompson", ratioA: 0.5, seed: 3 },
  });
  const requests = 300;
  let acknowledged: { puid: string; variant: string; clicked: number | null }[];
  try {
    assert.equal(serving.store, undefined, "no synchronous SQLite store");
    acknowledged = await Promise.all(
      Array.from({ length: requests }, async (_, i) => {
        const { status, json } = await postJson(
          `${serving.url}/api/v1.0/predictions`,
          predictionRequest(1 + (i % 40), 5),
        );
        assert.equal(status, 200);
        const movies = json.data.ndarray[0] as number[];
        const clicked = i % 2 === 0 ? movies[i % movies.length] : null;
        const feedback = await postJson(
          `${serving.url}/api/v1.0/feedback`,
          clicked === null ? feedbackRequest(json, 0) : feedbackRequest(json, 1, clicked),
        );
        assert.equal(feedback.status, 200);
        assert.equal(feedback.json.meta.tags.duplicate, false);
        assert.equal(json.meta.tags.model_name, models[json.meta.routing[ROUTER_NAME]].name);
        return { puid: json.meta.puid as string, variant: json.meta.tags.model_name as string, clicked };
      }),
    );
    // A repeated click is acknowledged as a duplicate and not stored again.
    const repeat = await postJson(
      `${serving.url}/api/v1.0/feedback`,
      feedbackRequest({ meta: { puid: acknowledged[1].puid } }, 0),
    );
    assert.equal(repeat.json.meta.tags.duplicate, true);
    const live = (await (await fetch(`${serving.url}/abrec/v1/counts`)).json()) as EventCounts;
    assert.equal(
      live.variants.reduce((n: number, row: { impressions: number }) => n + row.impressions, 0),
      requests,
    );
    assert.equal(
      serving.router!.banditArms()!.reduce((n, arm) => n + arm.pulls, 0),
      requests,
    );
  } finally {
    await serving.close();
  }
  const reader = await openEventStoreReader(url);
  try {
    const stored = await reader.requestIds();
    assert.deepEqual(
      stored,
      acknowledged
        .map(({ puid, variant, clicked }) => ({ requestId: puid, variant, reward: clicked === null ? 0 : 1 }))
        .sort((a, b) => (a.requestId < b.requestId ? -1 : 1)),
    );
    assert.equal((await reader.tableSizes()).feedback, requests);
    assert.equal((await reader.counts()).settings.routing_mode, "thompson");
  } finally {
    await reader.close();
  }
  // Restarted on the same database, the bandit's arms are rebuilt from the stored events.
  const again = await startServing({
    role: "all",
    port: 0,
    eventsPath: url,
    recommenders: models,
    movies: testCatalog(),
    routing: { mode: "thompson", ratioA: 0.5, seed: 3 },
  });
  try {
    const arms = again.router!.banditArms()!;
    assert.equal(arms[0].pulls + arms[1].pulls, requests);
    assert.equal(arms[0].rewards + arms[1].rewards, requests / 2);
  } finally {
    await again.close();
  }
});

test("a replica (or a restarted router) with other routing settings than the store's first router is refused, on both backends", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-settings-"));
  try {
    for (const location of [await freshDatabase(), path.join(dir, "events.sqlite")]) {
      const serve = (seed: number, mode: "sticky" | "random" = "sticky") =>
        startServing({
          role: "all",
          port: 0,
          eventsPath: location,
          recommenders: testModels(),
          movies: testCatalog(),
          routing: { mode, ratioA: 0.5, seed },
        });
      const first = await serve(11);
      try {
        // A second replica with the same settings joins; one with another salt would hash users elsewhere.
        const same = await serve(11);
        await same.close();
        // A replica that started anyway is closed, so that a failing check does not leave it running.
        const refusal = (seed: number, mode?: "sticky" | "random") =>
          serve(seed, mode).then(
            async (started) => {
              await started.close();
              return undefined;
            },
            (error: unknown) => error,
          );
        const otherSeed = await refusal(12);
        assert.ok(otherSeed instanceof InputError, `expected a refusal, got ${String(otherSeed)}`);
        assert.match(otherSeed.message, /routing_seed 11 \(this router: 12\)/);
        assert.ok(otherSeed.message.includes(redactedUrl(location)), otherSeed.message);
        assert.match(String(await refusal(11, "random")), /routing_mode sticky \(this router: random\)/);
        // The first router still serves, with its settings stored unchanged.
        const { status } = await postJson(`${first.url}/api/v1.0/predictions`, predictionRequest(5, 3));
        assert.equal(status, 200);
      } finally {
        await first.close();
      }
      const counts = await loadVariantCounts(location);
      assert.equal(counts.settings.routing_seed, "11");
      assert.equal(counts.settings.routing_mode, "sticky");
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("Thompson sampling on two replicas: a click fed back through the replica that did not serve it leaves both serving", async () => {
  const url = await freshDatabase();
  const models = testModels();
  const replica = () =>
    startServing({
      role: "all",
      port: 0,
      eventsPath: url,
      recommenders: testModels(),
      movies: testCatalog(),
      routing: { mode: "thompson", ratioA: 0.5, seed: 5 },
    });
  const [a, b] = [await replica(), await replica()];
  try {
    // Clicks served by a, fed back through b: b then holds rewards for pulls it never made.
    for (let user = 1; user <= 20; user++) {
      const served = await postJson(`${a.url}/api/v1.0/predictions`, predictionRequest(user, 3));
      assert.equal(served.status, 200);
      const movie = (served.json.data.ndarray[0] as number[])[0];
      const feedback = await postJson(`${b.url}/api/v1.0/feedback`, feedbackRequest(served.json, 1, movie));
      assert.equal(feedback.status, 200, JSON.stringify(feedback.json));
    }
    for (let user = 21; user <= 30; user++) {
      const { status, json } = await postJson(`${b.url}/api/v1.0/predictions`, predictionRequest(user, 3));
      assert.equal(status, 200, JSON.stringify(json));
      assert.ok(models.some((model) => model.name === json.meta.tags.model_name));
    }
    // Each replica's arms never claim more rewards than pulls.
    for (const arms of [a.router!.banditArms()!, b.router!.banditArms()!])
      for (const arm of arms) assert.ok(arm.rewards <= arm.pulls, JSON.stringify(arms));
  } finally {
    await a.close();
    await b.close();
  }
});

for (const breaksConstraint of [false, true])
  test(`one group holding every kind of write answers each write on PostgreSQL as SQLite does (one statement each)${breaksConstraint ? ", also when one breaks a constraint (the group rerun with a SAVEPOINT per write)" : " (batched statements)"}`, async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-store-group-")), "events.sqlite");
    const url = await freshDatabase();
    const at = (i: number) => ({ shownAtMs: Date.UTC(2026, 0, 1) + i, day: i < 10 ? 0 : 1 });
    const pre = (requestId: string, userId: number, i: number): ImpressionEvent => ({
      ...impression(requestId, userId, "baseline"),
      ...at(i),
      phase: "pre",
    });
    const experiment = (requestId: string, userId: number, variant: string, i: number): ImpressionEvent => ({
      ...impression(requestId, userId, variant),
      ...at(10 + i),
      phase: "experiment",
    });
    const outcomes: string[][] = [];
    for (const store of [openEventStore(file), await connectEventStore(url)]) {
      // An earlier group: user 3 seen in the pre-period, user 4 already assigned in the experiment.
      await Promise.all([
        store.enqueueImpression(pre("old-3", 3, 0)),
        store.enqueueImpression(experiment("old-4", 4, "challenger", 0)),
      ]);
      const writes: Promise<unknown>[] = [
        store.enqueueFeedback({ receivedAtMs: 7, requestId: "e1", reward: 0 }), // before its impression: unknown yet
        store.enqueueImpression(pre("p1", 1, 1)),
        store.enqueueImpression(experiment("e1", 1, "baseline", 1)), // upgrades user 1's pre row: new
        store.enqueueImpression(experiment("e2a", 2, "challenger", 2)), // new
        store.enqueueImpression(experiment("e2b", 2, "challenger", 3)), // the same user again: not new
        store.enqueueImpression(experiment("e3", 3, "baseline", 4)), // upgrades the earlier group's pre row
        store.enqueueImpression(experiment("e4", 4, "challenger", 5)), // already assigned
        store.enqueueImpression(pre("p5", 5, 2)), // pre only: no assignment
        store.enqueueFeedback({ receivedAtMs: 7, requestId: "p1", reward: 1, movieId: 20 }),
        store.enqueueFeedback({ receivedAtMs: 7, requestId: "e1", reward: 1, movieId: 30 }),
        store.enqueueFeedback({ receivedAtMs: 7, requestId: "e1", reward: 0 }), // a repeat in the same statement: duplicate
        store.enqueueFeedback({ receivedAtMs: 7, requestId: "e2a", reward: 1, movieId: 99 }), // not shown: rejected alone
        store.enqueueFeedback({ receivedAtMs: 7, requestId: "nobody", reward: 0 }), // unknown: rejected alone
        store.enqueueFeedback({ receivedAtMs: 7, requestId: "old-4", reward: 0 }),
        store.enqueueImpression(experiment("e6", 6, "baseline", 6)),
        ...(breaksConstraint ? [store.enqueueImpression(experiment("e2a", 7, "baseline", 7))] : []), // stored already
      ];
      const settled = await Promise.allSettled(writes);
      outcomes.push(
        settled.map((result) =>
          result.status === "fulfilled"
            ? JSON.stringify(result.value)
            : result.reason instanceof InputError
              ? `InputError: ${result.reason.message}`
              : "rejected by a constraint",
        ),
      );
      await store.close();
    }
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(
      outcomes[0].slice(1, 8).map((outcome) => JSON.parse(outcome).newAssignment),
      [false, true, true, false, true, false, false],
    );
    assert.match(outcomes[0][0], /no impression with request id "e1"/);
    if (breaksConstraint) assert.equal(outcomes[0].at(-1), "rejected by a constraint");
    assert.deepEqual(
      outcomes[0].slice(8, 14).map((outcome) => outcome.replace(/^(InputError|\{"status":"\w+").*/, "$1")),
      [
        '{"status":"recorded"',
        '{"status":"recorded"',
        '{"status":"duplicate"',
        "InputError",
        "InputError",
        '{"status":"recorded"',
      ],
    );
    assert.deepEqual(await loadVariantCounts(url), readVariantCounts(file));
    assert.deepEqual(await loadVisitEvents(url), readVisitEvents(file));
    // The assignments themselves (the mode and time each user was assigned with), which no count shows.
    const assignmentsSql =
      'SELECT user_id AS "userId", variant, routing_mode AS mode, assigned_at_ms AS at FROM assignments ORDER BY user_id, variant';
    const sqlite = new Database(file, { readonly: true });
    const admin = new pg.Client(url);
    await admin.connect();
    try {
      const expected = sqlite.prepare(assignmentsSql).all() as { mode: string }[];
      // A bare pg.Client gives BIGINTs as strings (the store's pool parses them).
      const stored = (await admin.query(assignmentsSql)).rows.map((row) => ({
        ...row,
        userId: Number(row.userId),
        at: Number(row.at),
      }));
      assert.deepEqual(stored, expected);
      assert.deepEqual(
        expected.map((row) => row.mode),
        ["sticky", "sticky", "sticky", "sticky", "pre", "sticky"],
      );
    } finally {
      sqlite.close();
      await admin.end();
    }
    const readers = [await openEventStoreReader(url), await openEventStoreReader(file)];
    try {
      const [postgresSizes, sqliteSizes] = await Promise.all(readers.map((reader) => reader.tableSizes()));
      assert.deepEqual(postgresSizes, sqliteSizes);
      assert.deepEqual(sqliteSizes, { assignments: 6, impressions: 10, impression_items: 30, feedback: 3 });
    } finally {
      await Promise.all(readers.map((reader) => reader.close()));
    }
  });
