/**
 * The PostgreSQL backend of the event store (node-postgres Pool): one database that several router replicas
 * write at once, with the tables and constraints of SQLite's (./postgres-schema.ts). See ./index.ts for
 * durability and group commit: each event is committed before its promise settles, the events that arrive
 * while a group commit is in flight go into the next one (one transaction), and an invalid event is rolled back
 * alone in its own SAVEPOINT. Every read is a promise and aggregates in SQL on the server.
 *
 * Outages: while the server cannot be reached (down, restarting, a broken connection), every write and read
 * rejects with an `EventStoreUnavailableError` within `CONNECT_TIMEOUT_MS`, and the pool reconnects by itself once
 * the server is back. Replicas writing the same users' assignments may deadlock: such a group is rerun whole.
 */
import pg from "pg";
import { InputError } from "../../core/errors";
import { POSTGRES_SCHEMA, POSTGRES_VERSION_TABLE } from "./postgres-schema";
import {
  type InterleavingRow,
  type VisitRow,
  interleavingCounts,
  preDaysSetting,
  readQueries,
  visitEvent,
} from "./rows";
import { GroupCommitLog, type WriteOutcome } from "./group-commit";
import { EVENT_STORE_SCHEMA_VERSION } from "./schema";
import {
  EventStoreUnavailableError,
  INTERLEAVED_VARIANT,
  checkImpression,
  feedbackResult,
  feedbackSlot,
} from "./types";
import type {
  AsyncEventStoreReader,
  CalendarPhase,
  EventCounts,
  EventStoreWriter,
  FeedbackEvent,
  FeedbackResult,
  GroupCommitStats,
  ImpressionEvent,
  StoredRequest,
  TableSizes,
  UserCounts,
  VariantCounts,
  VisitEvent,
} from "./types";

export interface PostgresEventStoreOptions {
  /** Read only: the tables must exist (nothing is created). */
  readonly?: boolean;
  /** Connections of the pool (default 4): one for the group commits, the others for reads. */
  poolSize?: number;
}

/** True for the locations the PostgreSQL backend opens: `postgresql://...` and `postgres://...` URLs. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * The URL without its password, for messages and logs.
 *
 * @example
 * redactedUrl("postgresql://abrec:secret@db:5432/abrec"); // => "postgresql://abrec:***@db:5432/abrec"
 */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  }
}

/** PostgreSQL's OID of BIGINT (int8): COUNT, SUM and the BIGINT columns, which node-postgres gives as strings. */
const INT8_OID = 20;

/** BIGINTs as JavaScript numbers (counts, user ids, Unix milliseconds are all far below 2^53). */
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string) => {
          const parsed = Number(value);
          if (!Number.isSafeInteger(parsed)) throw new RangeError(`BIGINT ${value} exceeds 2^53`);
          return parsed;
        }
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** How long a connection may take to open before the request fails (unavailable) instead of waiting on. */
const CONNECT_TIMEOUT_MS = 3000;

/** Socket errors of a server that is down or unreachable. */
const UNREACHABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** node-postgres' own errors for a connection that broke, timed out opening, or was already broken. */
const BROKEN_CONNECTION_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable/;

/**
 * Whether `error` says the server cannot be reached or the connection broke: a socket error, node-postgres'
 * broken-connection errors, SQLSTATE class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown
 * or 57P03 cannot_connect_now (starting up or shutting down).
 */
function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (/^08|^57P0[123]$/.test(code) || UNREACHABLE_SOCKET_CODES.has(code)))
    return true;
  // Node tries each address of "localhost" and reports them together.
  if (error instanceof AggregateError) return error.errors.some(isConnectionFailure);
  return BROKEN_CONNECTION_MESSAGE.test(error.message);
}

/** 40P01 deadlock_detected, 40001 serialization_failure: the transaction may succeed if run again. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "40P01" || code === "40001";
}

/** Runs of a group that deadlocks (or fails to serialise) before its writes are rejected with that error. */
const GROUP_ATTEMPTS = 5;

/** The pause before run `attempt + 1` of a group: growing, jittered so that the deadlocked replicas part. */
function retryPauseMs(attempt: number): number {
  return 5 * attempt * (0.5 + Math.random());
}

/** The advisory lock that serialises creating the tables, so replicas starting together create them once. */
const SCHEMA_LOCK_KEY = 0x61627265; // "abre"

/** A write waiting for the next group commit, with the callbacks of the promise its caller awaits. */
interface PendingWrite {
  /** The event, for the group's batched statements (`runBatched`). */
  event: { kind: "impression"; impression: ImpressionEvent } | { kind: "feedback"; feedback: FeedbackEvent };
  /** The write alone, for a group rerun with one SAVEPOINT per write (`runIsolated`). */
  write: (client: pg.PoolClient) => Promise<unknown>;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/**
 * A named statement: node-postgres prepares it once per connection, so PostgreSQL does not parse and plan the
 * hot statements again for every event (it did, at about a third of the server's CPU per event).
 */
function prepared(name: string, text: string) {
  return (values: unknown[]): pg.QueryConfig => ({ name, text, values });
}

/**
 * One impression in one statement: the assignment upserted (a pre-period row upgraded by the user's first
 * experiment impression, as in SQLite), the impression and its movies; `assigned` is 1 for a new assignment.
 * The foreign keys see the rows of the sibling clauses: they are checked at the end of the statement.
 */
const INSERT_IMPRESSION = prepared(
  "abrec_insert_impression",
  `
WITH assigned AS (
  INSERT INTO assignments (user_id, variant, routing_mode, assigned_at_ms) VALUES ($2, $3, $11, $6)
  ON CONFLICT (user_id, variant) DO UPDATE
    SET routing_mode = EXCLUDED.routing_mode, assigned_at_ms = EXCLUDED.assigned_at_ms
    WHERE assignments.routing_mode = 'pre' AND EXCLUDED.routing_mode <> 'pre'
  RETURNING 1
), shown AS (
  INSERT INTO impressions (request_id, user_id, variant, model_version, fallback, shown_at_ms, day, phase,
                           latency_ms, propensity)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  RETURNING request_id
), items AS (
  INSERT INTO impression_items (request_id, position, movie_id, team)
  SELECT shown.request_id, item.ordinality - 1, item.movie_id, ($13::text[])[item.ordinality]
  FROM shown, unnest($12::integer[]) WITH ORDINALITY AS item (movie_id, ordinality)
  RETURNING 1
)
SELECT (SELECT COUNT(*) FROM assigned) AS assigned, (SELECT COUNT(*) FROM items) AS items`,
);

/** The impression a feedback is about, with the clicked movie's slot (if shown). */
const FIND_FEEDBACK_SLOT = prepared(
  "abrec_find_feedback_slot",
  `SELECT i.variant, i.phase, it.position, it.team
   FROM impressions i
   LEFT JOIN impression_items it ON it.request_id = i.request_id AND it.movie_id = $2::integer
   WHERE i.request_id = $1`,
);

/** The feedback, unless one for the same request is stored (then a duplicate: nothing written). */
const INSERT_FEEDBACK = prepared(
  "abrec_insert_feedback",
  `INSERT INTO feedback (request_id, reward, movie_id, position, received_at_ms)
   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING`,
);

/** The variant that served a request (the router's check before a feedback). */
const VARIANT_OF = prepared("abrec_variant_of", "SELECT variant FROM impressions WHERE request_id = $1");

/**
 * A run of impressions in one statement, from one array per column (`INSERT_IMPRESSION` for many): the
 * assignments upserted once per (user, variant), from the run's first experiment impression if it has one (else
 * its first), in user order so that replicas lock the same rows in the same order; the impressions in the run's
 * order (their `seq`); the movies flattened. Returns the (user, variant) rows inserted or upgraded from 'pre'.
 */
const INSERT_IMPRESSIONS = prepared(
  "abrec_insert_impressions",
  `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::boolean[], $6::bigint[],
                       $7::integer[], $8::text[], $9::double precision[], $10::double precision[], $11::text[])
    WITH ORDINALITY AS input (request_id, user_id, variant, model_version, fallback, shown_at_ms, day, phase,
                              latency_ms, propensity, routing_mode, ord)
), assigned AS (
  INSERT INTO assignments (user_id, variant, routing_mode, assigned_at_ms)
  SELECT DISTINCT ON (user_id, variant) user_id, variant, routing_mode, shown_at_ms
  FROM input ORDER BY user_id, variant, phase = 'pre', ord
  ON CONFLICT (user_id, variant) DO UPDATE
    SET routing_mode = EXCLUDED.routing_mode, assigned_at_ms = EXCLUDED.assigned_at_ms
    WHERE assignments.routing_mode = 'pre' AND EXCLUDED.routing_mode <> 'pre'
  RETURNING user_id, variant
), shown AS (
  INSERT INTO impressions (request_id, user_id, variant, model_version, fallback, shown_at_ms, day, phase,
                           latency_ms, propensity)
  SELECT request_id, user_id, variant, model_version, fallback, shown_at_ms, day, phase, latency_ms, propensity
  FROM input ORDER BY ord
  RETURNING 1
), items AS (
  INSERT INTO impression_items (request_id, position, movie_id, team)
  SELECT * FROM unnest($12::text[], $13::integer[], $14::integer[], $15::text[])
  RETURNING 1
)
SELECT user_id AS "userId", variant FROM assigned`,
);

/** `FIND_FEEDBACK_SLOT` for a run of feedbacks, in the run's order (`ord`, from 1). */
const FIND_FEEDBACK_SLOTS = prepared(
  "abrec_find_feedback_slots",
  `SELECT input.ord, i.variant, i.phase, it.position, it.team
   FROM unnest($1::text[], $2::integer[]) WITH ORDINALITY AS input (request_id, movie_id, ord)
   LEFT JOIN impressions i ON i.request_id = input.request_id
   LEFT JOIN impression_items it ON it.request_id = i.request_id AND it.movie_id = input.movie_id
   ORDER BY input.ord`,
);

/**
 * `INSERT_FEEDBACK` for a run, in its order: of two feedbacks for one request the first is stored (the second is
 * skipped by DO NOTHING, as it would be in a later statement). Returns the request ids written.
 */
const INSERT_FEEDBACKS = prepared(
  "abrec_insert_feedbacks",
  `INSERT INTO feedback (request_id, reward, movie_id, position, received_at_ms)
   SELECT request_id, reward, movie_id, position, received_at_ms
   FROM unnest($1::text[], $2::smallint[], $3::integer[], $4::integer[], $5::bigint[])
     WITH ORDINALITY AS input (request_id, reward, movie_id, position, received_at_ms, ord)
   ORDER BY ord
   ON CONFLICT (request_id) DO NOTHING
   RETURNING request_id AS "requestId"`,
);

/** The consecutive writes of one kind in a group, as [start, end) index ranges. */
function runsOfOneKind(writes: readonly PendingWrite[]): [number, number][] {
  const runs: [number, number][] = [];
  writes.forEach((write, i) => {
    const last = runs.at(-1);
    if (last && writes[last[0]].event.kind === write.event.kind) last[1] = i + 1;
    else runs.push([i, i + 1]);
  });
  return runs;
}

/** The read queries in PostgreSQL's words: byte order for text (the C collation), serving order is `seq`. */
const QUERIES = readQueries({ byteOrder: 'COLLATE "C"', servingOrder: "i.seq", parameter: "$1" });

/** Writes and reads the experiment's events in one PostgreSQL database. */
export class PostgresEventStore implements EventStoreWriter, AsyncEventStoreReader {
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  /** The running group commit, if any: the next group starts when it is done (see `flush`). */
  private flushing: Promise<void> | undefined;
  private readonly groups = new GroupCommitLog();
  private closed = false;
  /** When the current outage began (the first request that found the server unreachable), if one is on. */
  private unreachableSince: number | undefined;

  private constructor(
    /** The URL without its password. */
    readonly location: string,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * Connects to the database at `url`, creates the tables in an empty database (unless read-only), and checks
   * the schema version. Throws an `InputError` naming the URL (without its password) when the database cannot
   * be reached, holds no event store (read-only) or one of another version.
   *
   * @example
   * const store = await PostgresEventStore.open("postgresql://abrec@127.0.0.1:5432/abrec");
   * await store.enqueueImpression({ requestId: "r1", userId: 7, variant: "baseline", modelVersion: "v1",
   *   fallback: false, movieIds: [318, 296], routingMode: "sticky" });
   * (await store.counts()).variants; // => [{ variant: "baseline", users: 1, impressions: 1, clicks: 0, clickedUsers: 0 }]
   * await store.close();
   */
  static async open(url: string, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const location = redactedUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 4,
      types: TYPES,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // The OS notices a server gone without a word (a cut network) on an idle connection too.
      keepAlive: true,
    });
    // An idle connection broken by a server restart emits here; the next query takes a new connection.
    pool.on("error", (error) =>
      process.stderr.write(`event store ${location}: idle connection lost: ${error.message}\n`),
    );
    // The pool listens to a connection's errors only while it is idle: a server's goodbye (57P01) reaching one
    // the pool is closing, or one between check-out and our own listener, would be an unheard "error" event and
    // end the process. The queries of a broken connection still reject (and the pool drops it).
    pool.on("connect", (client) => client.on("error", () => {}));
    try {
      await PostgresEventStore.prepareSchema(pool, options.readonly ?? false, location);
    } catch (error) {
      await pool.end();
      if (error instanceof InputError) throw error;
      throw new InputError(`cannot open as a PostgreSQL event store: ${(error as Error).message}`, {
        file: location,
      });
    }
    return new PostgresEventStore(location, pool);
  }

  /** Creates the tables in an empty database (under an advisory lock) or checks the stored schema version. */
  private static async prepareSchema(pool: pg.Pool, readonly: boolean, location: string): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      if (!readonly) await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK_KEY]);
      const exists = await client.query<{ table: string | null }>("SELECT to_regclass($1)::text AS table", [
        POSTGRES_VERSION_TABLE,
      ]);
      let version: number | undefined;
      if (exists.rows[0].table !== null) {
        const stored = await client.query<{ version: number }>(
          `SELECT version FROM ${POSTGRES_VERSION_TABLE}`,
        );
        version = stored.rows[0]?.version ?? 0;
      } else if (readonly) {
        throw new InputError("no event store in this database (its tables were never created)", {
          file: location,
        });
      } else {
        await client.query(POSTGRES_SCHEMA);
        await client.query(`INSERT INTO ${POSTGRES_VERSION_TABLE} (version) VALUES ($1)`, [
          EVENT_STORE_SCHEMA_VERSION,
        ]);
        version = EVENT_STORE_SCHEMA_VERSION;
      }
      await client.query("COMMIT");
      if (version !== EVENT_STORE_SCHEMA_VERSION) {
        const hint =
          version > 0 && version < EVENT_STORE_SCHEMA_VERSION
            ? "written by an older abrec: use a new database"
            : "written by a newer abrec?";
        throw new InputError(
          `event store schema version ${version}, expected ${EVENT_STORE_SCHEMA_VERSION} (${hint})`,
          { file: location },
        );
      }
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async recordSetting(key: string, value: string): Promise<string> {
    await this.query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [
      key,
      value,
    ]);
    // A statement of its own: its snapshot sees the row of a replica whose insert this one waited for.
    const stored = await this.query<{ value: string }>("SELECT value FROM settings WHERE key = $1", [key]);
    return stored.rows[0].value;
  }

  /**
   * The impression in the next group commit: resolves once the transaction holding it has committed (durable),
   * rejects with this event's own error if it violates a constraint (the others in its group are unaffected).
   */
  enqueueImpression(event: ImpressionEvent): Promise<{ newAssignment: boolean }> {
    return this.enqueue({ kind: "impression", impression: event }, async (client) => {
      checkImpression(event);
      const phase = event.phase ?? "experiment";
      const result = await client.query<{ assigned: number }>(
        INSERT_IMPRESSION([
          event.requestId,
          event.userId,
          event.variant,
          event.modelVersion,
          event.fallback,
          event.shownAtMs ?? Date.now(),
          event.day ?? null,
          phase,
          event.latencyMs ?? null,
          event.propensity ?? null,
          phase === "pre" ? "pre" : event.routingMode,
          event.movieIds,
          event.teams ?? null,
        ]),
      );
      return { newAssignment: phase === "experiment" && result.rows[0].assigned === 1 };
    });
  }

  /** The feedback in the next group commit; settles after the commit, like `enqueueImpression`. */
  enqueueFeedback(event: FeedbackEvent): Promise<FeedbackResult> {
    return this.enqueue({ kind: "feedback", feedback: event }, async (client): Promise<FeedbackResult> => {
      const found = await client.query<{
        variant: string;
        phase: CalendarPhase;
        position: number | null;
        team: string | null;
      }>(FIND_FEEDBACK_SLOT([event.requestId, event.reward === 1 ? (event.movieId ?? null) : null]));
      const row = found.rows[0];
      const impression = row && { variant: row.variant, phase: row.phase };
      const item = row?.position != null ? { position: row.position, team: row.team } : undefined;
      const slot = feedbackSlot(event, impression, item);
      const written = await client.query(
        INSERT_FEEDBACK([
          event.requestId,
          event.reward,
          event.reward === 1 ? event.movieId : null,
          slot.position,
          event.receivedAtMs ?? Date.now(),
        ]),
      );
      return feedbackResult(impression!, slot, written.rowCount === 1);
    });
  }

  private enqueue<T>(event: PendingWrite["event"], write: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`event store ${this.location} is closed`));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ event, write, resolve: resolve as (value: never) => void, reject });
      if (!this.flushing) this.scheduleFlush();
    });
  }

  /** The next group commit on `setImmediate`: the events of this event-loop turn go in one transaction. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /**
   * Commits the queued writes as groups, one transaction each, until none is left: the writes that arrive while
   * a group commits form the next group (under load, groups grow with the commit's round trips).
   */
  private flush(): Promise<void> {
    this.flushScheduled = false;
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      // Writes queued between the last group and this callback saw a flush running and scheduled none.
      if (this.pending.length > 0) this.scheduleFlush();
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const writes = this.pending;
      this.pending = [];
      await this.commitGroup(writes);
    }
  }

  /**
   * One group: its promises settle after the COMMIT. If the transaction fails (not one write of it), every write
   * of the group is rejected (none of them is acknowledged): with an `EventStoreUnavailableError` when the server
   * cannot be reached or the connection broke, else with the error itself.
   */
  private async commitGroup(writes: PendingWrite[]): Promise<void> {
    const started = performance.now();
    let outcomes: WriteOutcome[];
    try {
      outcomes = await this.runGroupRetrying(writes);
    } catch (error) {
      const failure = this.unavailable(error);
      for (const pending of writes) pending.reject(failure);
      return;
    }
    this.reachedAgain(started);
    this.groups.committed(writes, outcomes, started);
  }

  /**
   * The group run whole again, in a new transaction, after a deadlock or a serialization failure (replicas
   * upserting the same users' assignments in another order), up to `GROUP_ATTEMPTS` runs.
   */
  private async runGroupRetrying(writes: readonly PendingWrite[]): Promise<WriteOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runGroupOnce(writes);
      } catch (error) {
        if (!isTransient(error) || attempt === GROUP_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, retryPauseMs(attempt)));
      }
    }
  }

  /**
   * One run of a group on a connection of the pool: first batched, a statement or two per run of impressions or
   * feedbacks (the usual case: no write breaks a constraint); if a statement fails, that transaction is rolled
   * back and the group runs again with one SAVEPOINT per write, so that only the failing writes are rejected. A
   * broken connection or a transient failure fails the run instead.
   */
  private async runGroupOnce(writes: readonly PendingWrite[]): Promise<WriteOutcome[]> {
    const client = await this.pool.connect();
    let failed: Error | undefined;
    // The pool listens for errors of idle connections only: one lost while checked out would throw unheard.
    const onError = (error: Error) => (failed ??= error);
    client.on("error", onError);
    try {
      try {
        return await this.runBatched(client, writes);
      } catch (error) {
        if (isConnectionFailure(error) || isTransient(error)) throw error;
        return await this.runIsolated(client, writes);
      }
    } catch (error) {
      // A connection lost mid-group fails the next statement with "not queryable": the loss itself is the cause.
      throw (failed ??= error as Error);
    } finally {
      client.off("error", onError);
      // A connection whose transaction failed outright is dropped, not reused.
      client.release(failed);
    }
  }

  /**
   * The group as one transaction of batched statements: each run of consecutive impressions is one
   * `INSERT_IMPRESSIONS`, each run of feedbacks one `FIND_FEEDBACK_SLOTS` and one `INSERT_FEEDBACKS`, in the
   * group's order (a feedback sees the impressions queued before it). An event that fails its own checks is
   * rejected alone; a statement that fails (a constraint) fails the run.
   */
  private async runBatched(client: pg.PoolClient, writes: readonly PendingWrite[]): Promise<WriteOutcome[]> {
    await client.query("BEGIN");
    try {
      const outcomes: WriteOutcome[] = new Array(writes.length);
      for (const [start, end] of runsOfOneKind(writes)) {
        const run = writes.slice(start, end);
        const settled = await (run[0].event.kind === "impression"
          ? this.insertImpressions(client, run)
          : this.insertFeedbacks(client, run));
        settled.forEach((outcome, i) => (outcomes[start + i] = outcome));
      }
      // A COMMIT whose connection breaks before the server's answer is ambiguous: it may have committed. Its
      // writes are rejected all the same (unavailable): nothing is acknowledged that is not known stored, and an
      // unacknowledged write may be stored (see EventStoreUnavailableError).
      await client.query("COMMIT");
      return outcomes;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  /** A run of impressions in one statement; `newAssignment` as `enqueueImpression`'s own statement answers it. */
  private async insertImpressions(
    client: pg.PoolClient,
    run: readonly PendingWrite[],
  ): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    const valid: { index: number; event: ImpressionEvent; phase: CalendarPhase }[] = [];
    run.forEach((pending, index) => {
      const event = (pending.event as { impression: ImpressionEvent }).impression;
      try {
        checkImpression(event);
        valid.push({ index, event, phase: event.phase ?? "experiment" });
      } catch (error) {
        outcomes[index] = { ok: false, error };
      }
    });
    if (valid.length === 0) return outcomes;
    const items = valid.flatMap(({ event }) =>
      event.movieIds.map((movieId, position) => ({
        requestId: event.requestId,
        position,
        movieId,
        team: event.teams?.[position] ?? null,
      })),
    );
    const assigned = await client.query<{ userId: number; variant: string }>(
      INSERT_IMPRESSIONS([
        valid.map(({ event }) => event.requestId),
        valid.map(({ event }) => event.userId),
        valid.map(({ event }) => event.variant),
        valid.map(({ event }) => event.modelVersion),
        valid.map(({ event }) => event.fallback),
        valid.map(({ event }) => event.shownAtMs ?? Date.now()),
        valid.map(({ event }) => event.day ?? null),
        valid.map(({ phase }) => phase),
        valid.map(({ event }) => event.latencyMs ?? null),
        valid.map(({ event }) => event.propensity ?? null),
        valid.map(({ event, phase }) => (phase === "pre" ? "pre" : event.routingMode)),
        items.map((item) => item.requestId),
        items.map((item) => item.position),
        items.map((item) => item.movieId),
        items.map((item) => item.team),
      ]),
    );
    const key = (userId: number, variant: string) => `${userId}\u0000${variant}`;
    const upserted = new Set(assigned.rows.map((row) => key(row.userId, row.variant)));
    // The impression each (user, variant) was upserted from: the statement's DISTINCT ON, in JavaScript.
    const upsertedFrom = new Map<string, (typeof valid)[number]>();
    for (const impression of valid) {
      const k = key(impression.event.userId, impression.event.variant);
      const earlier = upsertedFrom.get(k);
      if (earlier === undefined || (earlier.phase === "pre" && impression.phase === "experiment"))
        upsertedFrom.set(k, impression);
    }
    for (const impression of valid) {
      const k = key(impression.event.userId, impression.event.variant);
      const newAssignment =
        impression.phase === "experiment" && upsertedFrom.get(k) === impression && upserted.has(k);
      outcomes[impression.index] = { ok: true, value: { newAssignment } };
    }
    return outcomes;
  }

  /** A run of feedbacks in two statements (their impressions' slots, then the rows): `enqueueFeedback`'s answers. */
  private async insertFeedbacks(
    client: pg.PoolClient,
    run: readonly PendingWrite[],
  ): Promise<WriteOutcome[]> {
    const events = run.map((pending) => (pending.event as { feedback: FeedbackEvent }).feedback);
    const found = await client.query<{
      ord: number;
      variant: string | null;
      phase: CalendarPhase | null;
      position: number | null;
      team: string | null;
    }>(
      FIND_FEEDBACK_SLOTS([
        events.map((event) => event.requestId),
        events.map((event) => (event.reward === 1 ? (event.movieId ?? null) : null)),
      ]),
    );
    const outcomes: WriteOutcome[] = [];
    const valid: {
      index: number;
      event: FeedbackEvent;
      impression: { variant: string; phase: CalendarPhase };
      slot: ReturnType<typeof feedbackSlot>;
    }[] = [];
    events.forEach((event, index) => {
      const row = found.rows[index];
      const impression = row.variant !== null ? { variant: row.variant, phase: row.phase! } : undefined;
      const item = row.position !== null ? { position: row.position, team: row.team } : undefined;
      try {
        const slot = feedbackSlot(event, impression, item);
        valid.push({ index, event, impression: impression!, slot });
      } catch (error) {
        outcomes[index] = { ok: false, error };
      }
    });
    if (valid.length === 0) return outcomes;
    const written = await client.query<{ requestId: string }>(
      INSERT_FEEDBACKS([
        valid.map(({ event }) => event.requestId),
        valid.map(({ event }) => event.reward),
        valid.map(({ event }) => (event.reward === 1 ? event.movieId : null)),
        valid.map(({ slot }) => slot.position),
        valid.map(({ event }) => event.receivedAtMs ?? Date.now()),
      ]),
    );
    const stored = new Set(written.rows.map((row) => row.requestId));
    for (const { index, event, impression, slot } of valid) {
      // The first feedback of a request in the run is the one stored; a later one is a duplicate.
      const recorded = stored.delete(event.requestId);
      outcomes[index] = { ok: true, value: feedbackResult(impression, slot, recorded) };
    }
    return outcomes;
  }

  /** The group with one SAVEPOINT per write, so that a write breaking a constraint is rolled back alone. */
  private async runIsolated(client: pg.PoolClient, writes: readonly PendingWrite[]): Promise<WriteOutcome[]> {
    await client.query("BEGIN");
    try {
      const outcomes: WriteOutcome[] = [];
      for (const pending of writes) {
        await client.query("SAVEPOINT write");
        try {
          const value = await pending.write(client);
          await client.query("RELEASE SAVEPOINT write");
          outcomes.push({ ok: true, value });
        } catch (error) {
          // Not this write's own fault: the whole group fails (and a deadlocked one is rerun).
          if (isConnectionFailure(error) || isTransient(error)) throw error;
          await client.query("ROLLBACK TO SAVEPOINT write");
          outcomes.push({ ok: false, error });
        }
      }
      await client.query("COMMIT"); // ambiguous if the connection breaks: see runBatched
      return outcomes;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  /**
   * `error` as an `EventStoreUnavailableError` when it says the server cannot be reached, else itself. An outage
   * is logged once when it begins (and once when it ends, by `reachedAgain`), not for each refused request.
   */
  private unavailable(error: unknown): unknown {
    if (!isConnectionFailure(error)) return error;
    const failure = new EventStoreUnavailableError(this.location, error);
    if (this.unreachableSince === undefined) {
      this.unreachableSince = performance.now();
      process.stderr.write(`${failure.message}: refusing writes and reads until it is back\n`);
    }
    return failure;
  }

  /** Ends the outage, if any, when an operation begun after its start (`startedAt`) succeeded. */
  private reachedAgain(startedAt: number): void {
    if (this.unreachableSince === undefined || startedAt < this.unreachableSince) return;
    const seconds = (performance.now() - this.unreachableSince) / 1000;
    this.unreachableSince = undefined;
    process.stderr.write(`event store ${this.location} is reachable again after ${seconds.toFixed(1)} s\n`);
  }

  /** A query on a connection of the pool, rejecting with an `EventStoreUnavailableError` during an outage. */
  private async query<R extends pg.QueryResultRow>(
    sql: string | pg.QueryConfig,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    const started = performance.now();
    try {
      const result =
        typeof sql === "string" ? await this.pool.query<R>(sql, values) : await this.pool.query<R>(sql);
      this.reachedAgain(started);
      return result;
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /**
   * Whether the server answers now (`SELECT 1`): the readiness of a router on this store.
   *
   * @example
   * await store.reachable(); // => false while the server is down
   */
  async reachable(): Promise<boolean> {
    try {
      await this.pool.query("SELECT 1");
      return true;
    } catch {
      return false;
    }
  }

  /** Group commits so far, the writes they held and the longest one (connect to COMMIT) in milliseconds. */
  groupCommitStats(): GroupCommitStats {
    return this.groups.stats();
  }

  async variantOf(requestId: string): Promise<string | undefined> {
    const result = await this.query<{ variant: string }>(VARIANT_OF([requestId]));
    return result.rows[0]?.variant;
  }

  private async rows<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(sql, values)).rows;
  }

  /**
   * The experiment phase's counts per variant and per (user, variant), each user row with the user's pre-period
   * counts, and the pre-period's totals: the same queries as SQLite's, aggregated on the server (GROUP BY), so
   * only the aggregates cross the network.
   */
  async counts(): Promise<EventCounts> {
    const [variants, users, several, prePeriod, settingRows, interleaving] = await Promise.all([
      this.rows<VariantCounts>(QUERIES.variants),
      this.rows<UserCounts>(QUERIES.users),
      this.rows<{ n: number }>(QUERIES.usersInSeveralVariants),
      this.rows<EventCounts["prePeriod"]>(QUERIES.prePeriod),
      this.rows<{ key: string; value: string }>(QUERIES.settings),
      this.rows<InterleavingRow>(QUERIES.interleaving, [INTERLEAVED_VARIANT]),
    ]);
    const settings = Object.fromEntries(settingRows.map((row) => [row.key, row.value]));
    return {
      variants,
      users,
      usersInSeveralVariants: several[0].n,
      settings,
      preDays: preDaysSetting(settings.pre_days, this.location),
      prePeriod: prePeriod[0],
      interleaving: interleavingCounts(interleaving, settings),
    };
  }

  /** In serving order: the order the impressions were stored (`impressions.seq`). */
  async visits(): Promise<VisitEvent[]> {
    return (await this.rows<VisitRow>(QUERIES.visits)).map(visitEvent);
  }

  async requestIds(): Promise<StoredRequest[]> {
    return this.rows<StoredRequest>(QUERIES.requestIds);
  }

  async tableSizes(): Promise<TableSizes> {
    return (await this.rows<TableSizes>(QUERIES.tableSizes))[0];
  }

  /** Commits any queued writes (their promises settle), then closes the pool's connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await this.pool.end();
  }
}
