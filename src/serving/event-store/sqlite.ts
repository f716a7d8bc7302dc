/**
 * The experiment's event store: every assignment, impression and click, durably, in one SQLite file
 * (better-sqlite3, WAL). It is the source of truth for the analysis (`readVariantCounts`); Prometheus only
 * mirrors it for monitoring.
 *
 * Durability: every event is committed before the HTTP response that acknowledges it is sent. In WAL mode with
 * `synchronous=NORMAL` (the default here) a committed transaction survives the process being killed (SIGKILL):
 * the WAL frames are in the OS page cache. It may not survive a power cut; choose `durability: "power-loss"`
 * (`synchronous=FULL`, one fsync per commit) for that.
 *
 * Group commit (the serving path, `enqueueImpression` / `enqueueFeedback`): the events that arrive in the same
 * event-loop turn are written in ONE transaction, flushed on `setImmediate`, and each caller's promise settles
 * only after that transaction committed, so an acknowledged event is as durable as with one transaction per
 * event, at a fraction of the cost under load (one commit and one set of WAL frames per group instead of per
 * event). If an event of the group is invalid (a duplicate request id, a click on a movie that was not shown),
 * the group is rolled back and rerun with each event in its own SAVEPOINT, so the invalid event rolls back
 * alone and rejects only its own promise. The synchronous
 * `recordImpression` / `recordFeedback` commit one event each, as before.
 *
 * Duplicates are impossible by construction: one impression per request id, one position and one movie per
 * slot of an impression, and at most one feedback (reward) per request id (PRIMARY KEY), which must name a movie
 * shown in that impression (composite FOREIGN KEY).
 *
 * @example
 * const store = EventStore.open("results/events.sqlite");
 * store.recordImpression({ requestId: "r1", userId: 7, variant: "baseline", modelVersion: "v1",
 *   fallback: false, movieIds: [318, 296], routingMode: "sticky" });
 * store.recordFeedback({ requestId: "r1", reward: 1, movieId: 296 }); // => { status: "recorded", position: 1, ... }
 * readVariantCounts("results/events.sqlite").variants; // => [{ variant: "baseline", users: 1, impressions: 1, clicks: 1 }]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { InputError } from "../core/errors";

/** Bumped whenever the tables change; stored in `PRAGMA user_version`. */
export const EVENT_STORE_SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- A user exposed to a variant. Sticky routing gives one row per user; random routing may give two.
CREATE TABLE IF NOT EXISTS assignments (
  user_id INTEGER NOT NULL CHECK (user_id > 0),
  variant TEXT NOT NULL CHECK (length(variant) > 0),
  routing_mode TEXT NOT NULL CHECK (routing_mode IN ('sticky', 'random')),
  assigned_at_ms INTEGER NOT NULL,
  PRIMARY KEY (user_id, variant)
) WITHOUT ROWID;

-- One served prediction (a list of movies shown to a user).
CREATE TABLE IF NOT EXISTS impressions (
  request_id TEXT PRIMARY KEY CHECK (length(request_id) > 0),
  user_id INTEGER NOT NULL,
  variant TEXT NOT NULL,
  model_version TEXT NOT NULL,
  fallback INTEGER NOT NULL CHECK (fallback IN (0, 1)),
  shown_at_ms INTEGER NOT NULL,
  FOREIGN KEY (user_id, variant) REFERENCES assignments (user_id, variant)
);
CREATE INDEX IF NOT EXISTS impressions_by_variant_user ON impressions (variant, user_id);

-- The movies of an impression, by 0-based position.
CREATE TABLE IF NOT EXISTS impression_items (
  request_id TEXT NOT NULL REFERENCES impressions (request_id),
  position INTEGER NOT NULL CHECK (position >= 0),
  movie_id INTEGER NOT NULL CHECK (movie_id > 0),
  PRIMARY KEY (request_id, position),
  UNIQUE (request_id, movie_id),
  UNIQUE (request_id, position, movie_id)
) WITHOUT ROWID;

-- At most one reward per impression: 1 = a click on movie_id at position, 0 = shown and not clicked.
CREATE TABLE IF NOT EXISTS feedback (
  request_id TEXT PRIMARY KEY REFERENCES impressions (request_id),
  reward INTEGER NOT NULL CHECK (reward IN (0, 1)),
  movie_id INTEGER,
  position INTEGER,
  received_at_ms INTEGER NOT NULL,
  CHECK ((reward = 1) = (movie_id IS NOT NULL AND position IS NOT NULL)),
  FOREIGN KEY (request_id, position, movie_id) REFERENCES impression_items (request_id, position, movie_id)
);

CREATE VIEW IF NOT EXISTS clicks AS
  SELECT request_id, movie_id, position, received_at_ms AS clicked_at_ms FROM feedback WHERE reward = 1;
`;

export type RoutingMode = "sticky" | "random";

export interface ImpressionEvent {
  requestId: string;
  userId: number;
  variant: string;
  modelVersion: string;
  fallback: boolean;
  /** Shown movies, position 0 first. */
  movieIds: readonly number[];
  routingMode: RoutingMode;
  /** Unix milliseconds; defaults to now. */
  shownAtMs?: number;
}

export interface FeedbackEvent {
  requestId: string;
  /** 1 = clicked `movieId`, 0 = not clicked. */
  reward: 0 | 1;
  /** The clicked movie; required when reward is 1. */
  movieId?: number;
  /** The position the client says it clicked; when given it must match the movie's position in the impression. */
  position?: number;
  receivedAtMs?: number;
}

export interface FeedbackResult {
  /** "duplicate": this request was already rewarded; nothing was written (idempotent). */
  status: "recorded" | "duplicate";
  /** The variant that served the impression. */
  variant: string;
  /** Position of the clicked movie (null for reward 0 or a duplicate). */
  position: number | null;
}

export interface VariantCounts {
  variant: string;
  /** Distinct users with at least one impression from this variant. */
  users: number;
  impressions: number;
  clicks: number;
  /** Distinct users with at least one click on this variant (the per-user conversion numerator). */
  clickedUsers: number;
}

export interface UserCounts {
  userId: number;
  variant: string;
  impressions: number;
  clicks: number;
}

export interface EventCounts {
  /** One row per variant, sorted by name. */
  variants: VariantCounts[];
  /** One row per (user, variant), sorted by user then variant: the input of user-level analyses. */
  users: UserCounts[];
  /** Users seen by more than one variant (0 under sticky routing; under random routing use impressions as unit). */
  usersInSeveralVariants: number;
  /** Settings recorded by the router (routing mode, ratio, seed, ...). */
  settings: Record<string, string>;
}

export interface EventStoreOptions {
  /** "process-crash" (default): synchronous=NORMAL; "power-loss": synchronous=FULL. */
  durability?: "process-crash" | "power-loss";
  readonly?: boolean;
  /**
   * "auto" (default): SQLite checkpoints the WAL into the database file inside the commit that crosses 1000
   * pages, on the caller's thread. "background": a worker thread with its own connection checkpoints every
   * `BACKGROUND_CHECKPOINT_MS` (PASSIVE: it never blocks the writer), so a server's event loop never waits for a
   * checkpoint and its fsyncs (measured under load: group commits up to 40-110 ms with "auto"). The automatic
   * checkpoint stays as a backstop at `BACKSTOP_CHECKPOINT_PAGES`. Durability is the same: a commit is durable
   * once in the WAL.
   */
  checkpoint?: "auto" | "background";
}

/** Interval of the background WAL checkpoint (`checkpoint: "background"`). */
export const BACKGROUND_CHECKPOINT_MS = 200;
/** WAL size (pages) at which the writer still checkpoints itself when the background worker falls behind. */
export const BACKSTOP_CHECKPOINT_PAGES = 20_000;

/**
 * The worker of `checkpoint: "background"` (run with `eval`: no file to resolve under tsx or dist): opens the
 * store and runs `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs` until told to stop.
 */
const CHECKPOINT_WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.file);
const timer = setInterval(() => db.pragma("wal_checkpoint(PASSIVE)"), workerData.intervalMs);
parentPort.once("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** A write waiting for the next group commit, with the callbacks of the promise its caller awaits. */
interface PendingWrite {
  write: () => unknown;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/** What a group commit did with one write: its result, or the error that rolled back its savepoint. */
type WriteOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Writes and reads the experiment's events in one SQLite file. */
export class EventStore {
  private readonly insertAssignment: Database.Statement;
  private readonly insertImpression: Database.Statement;
  private readonly insertItemsByCount = new Map<number, Database.Statement>();
  private readonly selectImpression: Database.Statement;
  private readonly selectItem: Database.Statement;
  private readonly insertFeedback: Database.Statement;
  private readonly writeImpression: (event: ImpressionEvent) => { newAssignment: boolean };
  private readonly writeFeedback: (event: FeedbackEvent) => FeedbackResult;
  private readonly impressionTransaction: (event: ImpressionEvent) => { newAssignment: boolean };
  private readonly feedbackTransaction: (event: FeedbackEvent) => FeedbackResult;
  private readonly savepoint: (write: () => unknown) => unknown;
  private readonly groupTransaction: (writes: readonly PendingWrite[], isolate: boolean) => WriteOutcome[];
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private groupCommits = 0;
  private groupedWrites = 0;
  private longestCommitMs = 0;

  private checkpointer: Worker | undefined;

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
  ) {
    this.insertAssignment = db.prepare(
      "INSERT OR IGNORE INTO assignments (user_id, variant, routing_mode, assigned_at_ms) VALUES (?, ?, ?, ?)",
    );
    this.insertImpression = db.prepare(
      "INSERT INTO impressions (request_id, user_id, variant, model_version, fallback, shown_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.selectImpression = db.prepare("SELECT variant FROM impressions WHERE request_id = ?");
    this.selectItem = db.prepare(
      "SELECT position FROM impression_items WHERE request_id = ? AND movie_id = ?",
    );
    this.insertFeedback = db.prepare(
      "INSERT OR IGNORE INTO feedback (request_id, reward, movie_id, position, received_at_ms) VALUES (?, ?, ?, ?, ?)",
    );
    this.writeImpression = (event: ImpressionEvent) => {
      const at = event.shownAtMs ?? Date.now();
      const assigned = this.insertAssignment.run(event.userId, event.variant, event.routingMode, at);
      this.insertImpression.run(
        event.requestId,
        event.userId,
        event.variant,
        event.modelVersion,
        event.fallback ? 1 : 0,
        at,
      );
      if (event.movieIds.length > 0) {
        const values: (string | number)[] = [];
        event.movieIds.forEach((movieId, position) => values.push(event.requestId, position, movieId));
        this.insertItems(event.movieIds.length).run(values);
      }
      return { newAssignment: assigned.changes === 1 };
    };
    this.writeFeedback = (event: FeedbackEvent): FeedbackResult => {
      const impression = this.selectImpression.get(event.requestId) as { variant: string } | undefined;
      if (!impression)
        throw new InputError(`no impression with request id "${event.requestId}"`, { field: "puid" });
      let position: number | null = null;
      if (event.reward === 1) {
        const item = this.selectItem.get(event.requestId, event.movieId) as { position: number } | undefined;
        if (!item)
          throw new InputError(`movie ${event.movieId} was not shown in request "${event.requestId}"`, {
            field: "truth",
          });
        if (event.position !== undefined && event.position !== item.position)
          throw new InputError(
            `movie ${event.movieId} was shown at position ${item.position} in request "${event.requestId}", not ${event.position}`,
            { field: "position" },
          );
        position = item.position;
      }
      const written = this.insertFeedback.run(
        event.requestId,
        event.reward,
        event.reward === 1 ? event.movieId : null,
        position,
        event.receivedAtMs ?? Date.now(),
      );
      return written.changes === 1
        ? { status: "recorded", variant: impression.variant, position }
        : { status: "duplicate", variant: impression.variant, position: null };
    };
    this.impressionTransaction = db.transaction(this.writeImpression);
    this.feedbackTransaction = db.transaction(this.writeFeedback);
    // Called inside the group's transaction, a better-sqlite3 transaction function runs in a SAVEPOINT.
    this.savepoint = db.transaction((write: () => unknown) => write());
    this.groupTransaction = db.transaction((writes: readonly PendingWrite[], isolate: boolean) =>
      writes.map((pending): WriteOutcome => {
        if (!isolate) return { ok: true, value: pending.write() };
        try {
          return { ok: true, value: this.savepoint(pending.write) };
        } catch (error) {
          // An error that made SQLite abandon the whole transaction (disk full, I/O error) fails the group:
          // carrying on would run the remaining writes outside any transaction.
          if (!this.db.inTransaction) throw error;
          return { ok: false, error };
        }
      }),
    );
  }

  /** One multi-row INSERT per list length (one native call per impression instead of one per movie). */
  private insertItems(count: number): Database.Statement {
    let statement = this.insertItemsByCount.get(count);
    if (!statement) {
      statement = this.db.prepare(
        `INSERT INTO impression_items (request_id, position, movie_id) VALUES ${Array(count).fill("(?, ?, ?)").join(", ")}`,
      );
      this.insertItemsByCount.set(count, statement);
    }
    return statement;
  }

  /** Opens (creating if needed) the store at `file`, in WAL mode with foreign keys enforced. */
  static open(file: string, options: EventStoreOptions = {}): EventStore {
    if (!options.readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    else if (!fs.existsSync(file)) throw new InputError("event store not found", { file });
    const db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
    try {
      if (!options.readonly) {
        db.pragma("journal_mode = WAL");
        db.pragma(`synchronous = ${options.durability === "power-loss" ? "FULL" : "NORMAL"}`);
      }
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version === 0 && !options.readonly) {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${EVENT_STORE_SCHEMA_VERSION}`);
      } else if (version !== EVENT_STORE_SCHEMA_VERSION) {
        throw new InputError(
          `event store schema version ${version}, expected ${EVENT_STORE_SCHEMA_VERSION} (not an abrec event store?)`,
          { file },
        );
      }
    } catch (error) {
      db.close();
      if (error instanceof InputError) throw error;
      throw new InputError(`cannot open as an SQLite event store: ${(error as Error).message}`, { file });
    }
    const store = new EventStore(file, db);
    if (options.checkpoint === "background" && !options.readonly) store.startBackgroundCheckpoints();
    return store;
  }

  /** Moves WAL checkpoints to a worker thread (see `EventStoreOptions.checkpoint`). */
  private startBackgroundCheckpoints(): void {
    this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    this.checkpointer = new Worker(CHECKPOINT_WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: path.resolve(this.file),
        sqliteModule: require.resolve("better-sqlite3"),
        intervalMs: BACKGROUND_CHECKPOINT_MS,
      },
    });
    this.checkpointer.unref();
    this.checkpointer.on("error", (error) =>
      process.stderr.write(`event store: background checkpoint failed: ${error.message}\n`),
    );
  }

  /** The connection's journal mode and synchronous level (1 = NORMAL, 2 = FULL), for checks and logs. */
  journal(): { journalMode: string; synchronous: number } {
    return {
      journalMode: this.db.pragma("journal_mode", { simple: true }) as string,
      synchronous: this.db.pragma("synchronous", { simple: true }) as number,
    };
  }

  /** Records a setting of the run (routing mode, ratio, seed); a later value replaces an earlier one. */
  recordSetting(key: string, value: string): void {
    this.db.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)").run(key, value);
  }

  /**
   * Records a served prediction and the user's assignment to its variant in one transaction.
   * Returns whether this was the user's first impression from this variant.
   */
  recordImpression(event: ImpressionEvent): { newAssignment: boolean } {
    return this.impressionTransaction(event);
  }

  /**
   * Records the reward for an impression once. A second reward for the same request is ignored and reported as
   * "duplicate". Throws `InputError` for an unknown request id or a clicked movie that was not shown.
   */
  recordFeedback(event: FeedbackEvent): FeedbackResult {
    return this.feedbackTransaction(event);
  }

  /**
   * `recordImpression` in the next group commit: resolves once the transaction holding it has committed
   * (durable), rejects with this event's own error if it violates a constraint (the others in its group are
   * unaffected).
   */
  enqueueImpression(event: ImpressionEvent): Promise<{ newAssignment: boolean }> {
    return this.enqueue(() => this.writeImpression(event));
  }

  /** `recordFeedback` in the next group commit; settles after the commit, like `enqueueImpression`. */
  enqueueFeedback(event: FeedbackEvent): Promise<FeedbackResult> {
    return this.enqueue(() => this.writeFeedback(event));
  }

  private enqueue<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, resolve: resolve as (value: never) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Commits every queued write in one transaction, then settles their promises: results after the COMMIT, so
   * nothing is acknowledged before it is durable. The group first runs without savepoints (the usual case: no
   * write fails); if one throws, that transaction is rolled back and the group runs again with one SAVEPOINT
   * per write, so that only the failing writes are rejected. If the transaction itself fails, every write of the
   * group is rejected with that error (none of them was stored).
   */
  flush(): void {
    this.flushScheduled = false;
    const writes = this.pending;
    if (writes.length === 0) return;
    this.pending = [];
    let outcomes: WriteOutcome[];
    const started = performance.now();
    try {
      outcomes = this.groupTransaction(writes, false);
    } catch {
      try {
        outcomes = this.groupTransaction(writes, true);
      } catch (error) {
        for (const pending of writes) pending.reject(error);
        return;
      }
    }
    this.groupCommits++;
    this.groupedWrites += writes.length;
    this.longestCommitMs = Math.max(this.longestCommitMs, performance.now() - started);
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) writes[i].resolve(outcome.value as never);
      else writes[i].reject(outcome.error);
    });
  }

  /**
   * Group commits so far, the writes they held (mean group size = writes / commits) and the longest one in
   * milliseconds (it blocks the event loop; SQLite's automatic WAL checkpoint runs inside a commit), for logs
   * and benches.
   */
  groupCommitStats(): { commits: number; writes: number; longestMs: number } {
    return { commits: this.groupCommits, writes: this.groupedWrites, longestMs: this.longestCommitMs };
  }

  /** The variant that served `requestId`, or undefined. */
  variantOf(requestId: string): string | undefined {
    return (this.selectImpression.get(requestId) as { variant: string } | undefined)?.variant;
  }

  /** Per-variant and per-user counts (see `EventCounts`). */
  counts(): EventCounts {
    const variants = this.db
      .prepare(
        `SELECT i.variant AS variant, COUNT(DISTINCT i.user_id) AS users, COUNT(*) AS impressions,
                COALESCE(SUM(f.reward), 0) AS clicks,
                COUNT(DISTINCT CASE WHEN f.reward = 1 THEN i.user_id END) AS clickedUsers
         FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id
         GROUP BY i.variant ORDER BY i.variant`,
      )
      .all() as VariantCounts[];
    const users = (
      this.db
        .prepare(
          `SELECT i.user_id AS userId, i.variant AS variant, COUNT(*) AS impressions,
                  COALESCE(SUM(f.reward), 0) AS clicks
           FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id
           GROUP BY i.user_id, i.variant ORDER BY i.user_id, i.variant`,
        )
        .all() as UserCounts[]
    ).map((row) => ({ ...row }));
    const several = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM (SELECT user_id FROM impressions GROUP BY user_id HAVING COUNT(DISTINCT variant) > 1)`,
      )
      .get() as { n: number };
    const settings = Object.fromEntries(
      (
        this.db.prepare("SELECT key, value FROM settings ORDER BY key").all() as {
          key: string;
          value: string;
        }[]
      ).map((row) => [row.key, row.value]),
    );
    return { variants, users, usersInSeveralVariants: several.n, settings };
  }

  /** Every acknowledged request id with its reward (null when none), for audits and tests. */
  requestIds(): { requestId: string; variant: string; reward: number | null }[] {
    return this.db
      .prepare(
        `SELECT i.request_id AS requestId, i.variant AS variant, f.reward AS reward
         FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id ORDER BY i.request_id`,
      )
      .all() as { requestId: string; variant: string; reward: number | null }[];
  }

  /** Row counts of each table. */
  tableSizes(): Record<"assignments" | "impressions" | "impression_items" | "feedback", number> {
    const count = (table: string) =>
      (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      assignments: count("assignments"),
      impressions: count("impressions"),
      impression_items: count("impression_items"),
      feedback: count("feedback"),
    };
  }

  /** Commits any queued writes (their promises settle), then closes the file. */
  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.checkpointer?.postMessage("stop");
    this.checkpointer = undefined;
    this.db.close();
  }
}

/**
 * Per-variant counts (users, impressions, clicks) and per-user rows from an event store file, opened read-only.
 * This is what `abrec analyze --events PATH` reads.
 */
export function readVariantCounts(dbPath: string): EventCounts {
  const store = EventStore.open(dbPath, { readonly: true });
  try {
    return store.counts();
  } finally {
    store.close();
  }
}
