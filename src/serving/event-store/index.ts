/**
 * The experiment's event store: every assignment, impression and click, durably. It is the source of truth for
 * the analysis (`readVariantCounts`, `readVisitEvents`, events.csv); Prometheus only mirrors it for monitoring.
 * This module is its one home: the records and the reader/writer interfaces (./types.ts), the tables
 * (./schema.ts, ./postgres-schema.ts), the SQLite backend (./sqlite.ts), the PostgreSQL backend (./postgres.ts)
 * and the events.csv export (./events-csv.ts).
 *
 * Where the events are (a "location"): a `postgresql://` or `postgres://` URL opens PostgreSQL (several router
 * replicas on one database); "env" (or no location) takes that URL from the environment variable
 * `ABREC_EVENTS_URL`, so a password stays out of command lines (a Kubernetes Secret sets the variable); anything
 * else is the path of an SQLite file (one machine, the default). `connectEventStore` and the async loaders take a
 * location; `openEventStore` and the sync readers (`readVariantCounts`, `readVisitEvents`) stay SQLite's, for
 * their callers that read a file synchronously.
 *
 * Durability: every event is committed before the HTTP response that acknowledges it is sent. In WAL mode with
 * `synchronous=NORMAL` (the default here) a committed transaction survives the process being killed (SIGKILL):
 * the WAL frames are in the OS page cache. It may not survive a power cut; choose `durability: "power-loss"`
 * (`synchronous=FULL`, one fsync per commit) for that.
 *
 * Group commit (`enqueueImpression` / `enqueueFeedback`): the events that arrive in the same event-loop turn are
 * written in ONE transaction, flushed on `setImmediate`, and each caller's promise settles only after that
 * transaction committed, so an acknowledged event is as durable as with one transaction per event, at a fraction
 * of the cost under load (one commit and one set of WAL frames per group instead of per event). If an event of the
 * group is invalid (a duplicate request id, a click on a movie that was not shown), the group is rolled back and
 * rerun with each event in its own SAVEPOINT, so the invalid event rolls back alone and rejects only its own
 * promise.
 *
 * PostgreSQL commits the same way with its own durability (`synchronous_commit`, on by default: a commit is
 * flushed to the server's WAL before it answers); a group is the events that arrive while the previous group
 * commits, one transaction, with the same SAVEPOINT rerun when one of them fails.
 *
 * Duplicates are impossible by construction: one impression per request id, one position and one movie per
 * slot of an impression, and at most one feedback (reward) per request id (PRIMARY KEY), which must name a movie
 * shown in that impression (composite FOREIGN KEY).
 *
 * @example
 * const store = openEventStore("results/events.sqlite");
 * await store.enqueueImpression({ requestId: "r1", userId: 7, variant: "baseline", modelVersion: "v1",
 *   fallback: false, movieIds: [318, 296], routingMode: "sticky" });
 * await store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 296 }); // => { status: "recorded", position: 1, ... }
 * store.close();
 * readVariantCounts("results/events.sqlite").variants; // => [{ variant: "baseline", users: 1, impressions: 1, clicks: 1, clickedUsers: 1 }]
 */
import { InputError } from "../../core/errors";
import { PostgresEventStore, isPostgresUrl, redactedUrl } from "./postgres";
import { type EventStoreOptions, SqliteEventStore } from "./sqlite";
import type { AsyncEventStoreReader, EventCounts, EventStoreReader, VisitEvent } from "./types";

export type * from "./types";
export { EventStoreUnavailableError, INTERLEAVED_VARIANT } from "./types";
export type { EventStoreOptions, SqliteEventStore } from "./sqlite";
export { PostgresEventStore, isPostgresUrl, redactedUrl } from "./postgres";
export type { PostgresEventStoreOptions } from "./postgres";
export { EVENTS_CSV_COLUMNS, visitEventsCsv } from "./events-csv";

/**
 * Opens the store at `file`: read-only (it must exist and be an event store of this schema version), or for
 * writing, created with the tables if it does not exist. Throws an `InputError` naming the file otherwise.
 */
export function openEventStore(
  file: string,
  options: EventStoreOptions & { readonly: true },
): EventStoreReader;
export function openEventStore(file: string, options?: EventStoreOptions): SqliteEventStore;
export function openEventStore(file: string, options: EventStoreOptions = {}): SqliteEventStore {
  if (isPostgresUrl(file) || file === EVENTS_URL_FROM_ENV)
    throw new InputError("a PostgreSQL location: openEventStore opens SQLite files, connectEventStore both", {
      file: file === EVENTS_URL_FROM_ENV ? file : redactedUrl(file),
    });
  return SqliteEventStore.open(file, options);
}

/** The location that names the PostgreSQL URL in `ABREC_EVENTS_URL`. */
export const EVENTS_URL_FROM_ENV = "env";

/**
 * The store location `location` stands for: the URL in `ABREC_EVENTS_URL` for "env" or none, else itself.
 * Throws an `InputError` when that variable is unset or not a PostgreSQL URL.
 *
 * @example
 * resolveEventsLocation("results/events.sqlite"); // => "results/events.sqlite"
 * resolveEventsLocation("env"); // => "postgresql://abrec:...@db:5432/abrec" with ABREC_EVENTS_URL set so
 */
export function resolveEventsLocation(location: string = EVENTS_URL_FROM_ENV): string {
  if (location !== EVENTS_URL_FROM_ENV) return location;
  const url = process.env.ABREC_EVENTS_URL;
  if (url === undefined || !isPostgresUrl(url))
    throw new InputError(
      url === undefined
        ? 'events location "env": the environment variable ABREC_EVENTS_URL is not set'
        : 'events location "env": ABREC_EVENTS_URL is not a postgresql:// URL',
      { field: "ABREC_EVENTS_URL" },
    );
  return url;
}

/**
 * Opens the store at `location` for the router (see the module comment for locations): PostgreSQL, its tables
 * created in an empty database, or an SQLite file (`options` apply to SQLite). Throws an `InputError` naming the
 * file or URL (without its password) when it is not an event store of this schema version or cannot be reached.
 *
 * @example
 * const store = await connectEventStore("postgresql://abrec@127.0.0.1:5432/abrec");
 * await store.enqueueImpression(impression); // committed when it resolves
 * await store.close();
 */
export async function connectEventStore(
  location?: string,
  options: Omit<EventStoreOptions, "readonly"> = {},
): Promise<SqliteEventStore | PostgresEventStore> {
  const resolved = resolveEventsLocation(location);
  return isPostgresUrl(resolved)
    ? PostgresEventStore.open(resolved)
    : SqliteEventStore.open(resolved, options);
}

/**
 * The reads of the store at `location`, as promises, on either backend (an SQLite file opened read-only, its
 * synchronous reads wrapped). Throws an `InputError` naming the location when there is no event store there.
 *
 * @example
 * const reader = await openEventStoreReader("postgresql://abrec@127.0.0.1:5432/abrec");
 * (await reader.tableSizes()).impressions; // => 4382
 * await reader.close();
 */
export async function openEventStoreReader(location?: string): Promise<AsyncEventStoreReader> {
  const resolved = resolveEventsLocation(location);
  if (isPostgresUrl(resolved)) return PostgresEventStore.open(resolved, { readonly: true, poolSize: 2 });
  const store = openEventStore(resolved, { readonly: true });
  return {
    counts: async () => store.counts(),
    visits: async () => store.visits(),
    requestIds: async () => store.requestIds(),
    tableSizes: async () => store.tableSizes(),
    close: async () => store.close(),
  };
}

/** Reads one thing from the store at `location`, opened read-only, and closes it. */
async function loadFromStore<T>(
  location: string | undefined,
  read: (store: AsyncEventStoreReader) => Promise<T>,
): Promise<T> {
  const store = await openEventStoreReader(location);
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

/**
 * `readVariantCounts` for any location: PostgreSQL aggregates on the server. This is what `abrec analyze
 * --events LOCATION` reads.
 *
 * @example
 * (await loadVariantCounts("postgresql://abrec@127.0.0.1:5432/abrec")).variants[0].impressions; // => 2191
 */
export function loadVariantCounts(location?: string): Promise<EventCounts> {
  return loadFromStore(location, (store) => store.counts());
}

/**
 * `readVisitEvents` for any location.
 *
 * @example
 * (await loadVisitEvents("results/events.sqlite")).length; // => 4382
 */
export function loadVisitEvents(location?: string): Promise<VisitEvent[]> {
  return loadFromStore(location, (store) => store.visits());
}

/** Reads one thing from the store at `file`, opened read-only, and closes it. */
function readStore<T>(file: string, read: (store: EventStoreReader) => T): T {
  const store = openEventStore(file, { readonly: true });
  try {
    return read(store);
  } finally {
    store.close();
  }
}

/**
 * Per-variant counts (users, impressions, clicks) and per-user rows of the store at `file`. This is what
 * `abrec analyze --events PATH` reads.
 */
export function readVariantCounts(file: string): EventCounts {
  return readStore(file, (store) => store.counts());
}

/** Every visit of the store at `file`, in serving order: events.csv, the cumulative figures, notebook 05. */
export function readVisitEvents(file: string): VisitEvent[] {
  return readStore(file, (store) => store.visits());
}
