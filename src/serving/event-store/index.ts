/**
 * The experiment's event store: every assignment, impression and click, durably. It is the source of truth for
 * the analysis (`readVariantCounts`, `readVisitEvents`, events.csv); Prometheus only mirrors it for monitoring.
 * This module is its one home: the records and the reader/writer interfaces (./types.ts), the tables
 * (./schema.ts), the SQLite backend (./sqlite.ts) and the events.csv export (./events-csv.ts).
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
import { type EventStoreOptions, SqliteEventStore } from "./sqlite";
import type { EventCounts, EventStoreReader, VisitEvent } from "./types";

export type * from "./types";
export { INTERLEAVED_VARIANT } from "./types";
export type { EventStoreOptions, SqliteEventStore } from "./sqlite";
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
  return SqliteEventStore.open(file, options);
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
