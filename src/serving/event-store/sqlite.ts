/**
 * The SQLite backend of the event store (better-sqlite3, WAL): one file, written by one process (the router).
 * See ./index.ts for durability and group commit, ./schema.ts for the tables.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { InputError } from "../../core/errors";
import { GroupCommitLog, type WriteOutcome } from "./group-commit";
import { EVENT_STORE_SCHEMA_VERSION, SQLITE_SCHEMA } from "./schema";
import {
  type InterleavingRow,
  type VisitRow,
  interleavingCounts,
  preDaysSetting,
  readQueries,
  visitEvent,
} from "./rows";
import { INTERLEAVED_VARIANT, checkImpression, feedbackResult, feedbackSlot } from "./types";
import type {
  CalendarPhase,
  EventCounts,
  EventStore,
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
const BACKGROUND_CHECKPOINT_MS = 200;
/** WAL size (pages) at which the writer still checkpoints itself when the background worker falls behind. */
const BACKSTOP_CHECKPOINT_PAGES = 20_000;

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

/** The read queries in SQLite's words: text sorts bytewise already, serving order is the rowid. */
const QUERIES = readQueries({ byteOrder: "", servingOrder: "i.rowid", parameter: "?" });

/** Writes and reads the experiment's events in one SQLite file. */
export class SqliteEventStore implements EventStore {
  private readonly insertAssignment: Database.Statement;
  private readonly insertImpression: Database.Statement;
  private readonly insertItemsByCount = new Map<number, Database.Statement>();
  private readonly selectImpression: Database.Statement;
  private readonly selectItem: Database.Statement;
  private readonly insertFeedback: Database.Statement;
  private readonly writeImpression: (event: ImpressionEvent) => { newAssignment: boolean };
  private readonly writeFeedback: (event: FeedbackEvent) => FeedbackResult;
  private readonly savepoint: (write: () => unknown) => unknown;
  private readonly groupTransaction: (writes: readonly PendingWrite[], isolate: boolean) => WriteOutcome[];
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly groups = new GroupCommitLog();

  private checkpointer: Worker | undefined;

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
  ) {
    // A new (user, variant) is inserted; a pre-period row is upgraded by the user's first experiment impression
    // from that variant (one change either way, a new assignment in the experiment); any other repeat changes
    // nothing.
    this.insertAssignment = db.prepare(
      `INSERT INTO assignments (user_id, variant, routing_mode, assigned_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, variant) DO UPDATE
         SET routing_mode = excluded.routing_mode, assigned_at_ms = excluded.assigned_at_ms
         WHERE assignments.routing_mode = 'pre' AND excluded.routing_mode <> 'pre'`,
    );
    this.insertImpression = db.prepare(
      `INSERT INTO impressions (request_id, user_id, variant, model_version, fallback, shown_at_ms, day, phase,
                                latency_ms, propensity)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectImpression = db.prepare("SELECT variant, phase FROM impressions WHERE request_id = ?");
    this.selectItem = db.prepare(
      "SELECT position, team FROM impression_items WHERE request_id = ? AND movie_id = ?",
    );
    this.insertFeedback = db.prepare(
      "INSERT OR IGNORE INTO feedback (request_id, reward, movie_id, position, received_at_ms) VALUES (?, ?, ?, ?, ?)",
    );
    this.writeImpression = (event: ImpressionEvent) => {
      const at = event.shownAtMs ?? Date.now();
      const phase = event.phase ?? "experiment";
      checkImpression(event);
      const assigned = this.insertAssignment.run(
        event.userId,
        event.variant,
        phase === "pre" ? "pre" : event.routingMode,
        at,
      );
      this.insertImpression.run(
        event.requestId,
        event.userId,
        event.variant,
        event.modelVersion,
        event.fallback ? 1 : 0,
        at,
        event.day ?? null,
        phase,
        event.latencyMs ?? null,
        event.propensity ?? null,
      );
      if (event.movieIds.length > 0) {
        const values: (string | number | null)[] = [];
        event.movieIds.forEach((movieId, position) =>
          values.push(event.requestId, position, movieId, event.teams?.[position] ?? null),
        );
        this.insertItems(event.movieIds.length).run(values);
      }
      return { newAssignment: phase === "experiment" && assigned.changes === 1 };
    };
    this.writeFeedback = (event: FeedbackEvent): FeedbackResult => {
      const impression = this.selectImpression.get(event.requestId) as
        { variant: string; phase: CalendarPhase } | undefined;
      const item =
        impression && event.reward === 1
          ? (this.selectItem.get(event.requestId, event.movieId) as
              { position: number; team: string | null } | undefined)
          : undefined;
      const slot = feedbackSlot(event, impression, item);
      const written = this.insertFeedback.run(
        event.requestId,
        event.reward,
        event.reward === 1 ? event.movieId : null,
        slot.position,
        event.receivedAtMs ?? Date.now(),
      );
      return feedbackResult(impression!, slot, written.changes === 1);
    };
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
        `INSERT INTO impression_items (request_id, position, movie_id, team) VALUES ${Array(count).fill("(?, ?, ?, ?)").join(", ")}`,
      );
      this.insertItemsByCount.set(count, statement);
    }
    return statement;
  }

  get location(): string {
    return this.file;
  }

  /** Opens (creating if needed) the store at `file`, in WAL mode with foreign keys enforced. */
  static open(file: string, options: EventStoreOptions = {}): SqliteEventStore {
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
        db.exec(SQLITE_SCHEMA);
        db.pragma(`user_version = ${EVENT_STORE_SCHEMA_VERSION}`);
      } else if (version !== EVENT_STORE_SCHEMA_VERSION) {
        const hint =
          version > 0 && version < EVENT_STORE_SCHEMA_VERSION
            ? "written by an older abrec: run the experiment again to write a new store"
            : "not an abrec event store?";
        throw new InputError(
          `event store schema version ${version}, expected ${EVENT_STORE_SCHEMA_VERSION} (${hint})`,
          { file },
        );
      }
    } catch (error) {
      db.close();
      if (error instanceof InputError) throw error;
      throw new InputError(`cannot open as an SQLite event store: ${(error as Error).message}`, { file });
    }
    const store = new SqliteEventStore(file, db);
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

  recordSetting(key: string, value: string): string {
    this.db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)").run(key, value);
    return (this.db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as { value: string }).value;
  }

  /**
   * The impression in the next group commit: resolves once the transaction holding it has committed (durable),
   * rejects with this event's own error if it violates a constraint (the others in its group are unaffected).
   */
  enqueueImpression(event: ImpressionEvent): Promise<{ newAssignment: boolean }> {
    return this.enqueue(() => this.writeImpression(event));
  }

  /** The feedback in the next group commit; settles after the commit, like `enqueueImpression`. */
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
  private flush(): void {
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
    this.groups.committed(writes, outcomes, started);
  }

  /**
   * Group commits so far, the writes they held (mean group size = writes / commits) and the longest one in
   * milliseconds (it blocks the event loop; SQLite's automatic WAL checkpoint runs inside a commit), for logs
   * and benches.
   */
  groupCommitStats(): GroupCommitStats {
    return this.groups.stats();
  }

  variantOf(requestId: string): Promise<string | undefined> {
    return Promise.resolve(
      (this.selectImpression.get(requestId) as { variant: string } | undefined)?.variant,
    );
  }

  /**
   * The experiment phase's counts per variant and per (user, variant), each user row with the user's pre-period
   * counts, and the pre-period's totals, aggregated in SQL (see `EventCounts`).
   */
  counts(): EventCounts {
    const row = <T>(sql: string) => this.db.prepare(sql).get() as T;
    const all = <T>(sql: string) => this.db.prepare(sql).all() as T[];
    const settings = Object.fromEntries(
      all<{ key: string; value: string }>(QUERIES.settings).map((setting) => [setting.key, setting.value]),
    );
    return {
      variants: all<VariantCounts>(QUERIES.variants),
      users: all<UserCounts>(QUERIES.users),
      usersInSeveralVariants: row<{ n: number }>(QUERIES.usersInSeveralVariants).n,
      settings,
      preDays: preDaysSetting(settings.pre_days, this.file),
      prePeriod: row<EventCounts["prePeriod"]>(QUERIES.prePeriod),
      interleaving: interleavingCounts(
        this.db.prepare(QUERIES.interleaving).all(INTERLEAVED_VARIANT) as InterleavingRow[],
        settings,
      ),
    };
  }

  /** In serving order: the impressions' insertion order (SQLite rowid), which is the order the router stored them. */
  visits(): VisitEvent[] {
    return (this.db.prepare(QUERIES.visits).all() as VisitRow[]).map(visitEvent);
  }

  requestIds(): StoredRequest[] {
    return this.db.prepare(QUERIES.requestIds).all() as StoredRequest[];
  }

  tableSizes(): TableSizes {
    return this.db.prepare(QUERIES.tableSizes).get() as TableSizes;
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
