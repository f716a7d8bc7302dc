/**
 * The event store's visits one row each, in the order the router served them, for `events.csv`, the cumulative
 * (sequential) figures and notebook 05. One visit = one impression (a served slate) with its click, if any.
 *
 * Read-only over the SQLite file written by src/serving/event-store.ts (schema version checked); the order is the
 * impressions' insertion order (SQLite rowid), which is the order the router stored them.
 */
import * as fs from "node:fs";
import Database from "better-sqlite3";
import { InputError } from "../core/errors";
import { EVENT_STORE_SCHEMA_VERSION } from "../serving/event-store";

/** One served slate and what became of it. */
export interface VisitEvent {
  /** 1-based position of the visit in serving order. */
  visit: number;
  requestId: string;
  userId: number;
  variant: string;
  modelVersion: string;
  /** True when the model served its unknown-user fallback. */
  fallback: boolean;
  /** 1 when a movie of the slate was clicked, else 0. */
  clicked: 0 | 1;
  /** The clicked movie, or null. */
  clickedMovieId: number | null;
  /** 0-based position of the clicked movie, or null. */
  clickedPosition: number | null;
  /** Unix milliseconds when the slate was served. */
  shownAtMs: number;
  /** Unix milliseconds when the click was stored, or null. */
  clickedAtMs: number | null;
}

/** Every visit in the event store at `dbPath`, in serving order. */
export function readVisitEvents(dbPath: string): VisitEvent[] {
  if (!fs.existsSync(dbPath)) throw new InputError("event store not found", { file: dbPath });
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version !== EVENT_STORE_SCHEMA_VERSION)
      throw new InputError(
        `event store schema version ${version}, expected ${EVENT_STORE_SCHEMA_VERSION} (not an abrec event store?)`,
        { file: dbPath },
      );
    const rows = db
      .prepare(
        `SELECT i.request_id AS requestId, i.user_id AS userId, i.variant AS variant,
                i.model_version AS modelVersion, i.fallback AS fallback, i.shown_at_ms AS shownAtMs,
                f.reward AS reward, f.movie_id AS movieId, f.position AS position,
                f.received_at_ms AS receivedAtMs
         FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id
         ORDER BY i.rowid`,
      )
      .all() as {
      requestId: string;
      userId: number;
      variant: string;
      modelVersion: string;
      fallback: number;
      shownAtMs: number;
      reward: number | null;
      movieId: number | null;
      position: number | null;
      receivedAtMs: number | null;
    }[];
    return rows.map((row, i) => {
      const clicked = row.reward === 1;
      return {
        visit: i + 1,
        requestId: row.requestId,
        userId: row.userId,
        variant: row.variant,
        modelVersion: row.modelVersion,
        fallback: row.fallback === 1,
        clicked: clicked ? 1 : 0,
        clickedMovieId: clicked ? row.movieId : null,
        clickedPosition: clicked ? row.position : null,
        shownAtMs: row.shownAtMs,
        clickedAtMs: clicked ? row.receivedAtMs : null,
      };
    });
  } finally {
    db.close();
  }
}

/** The columns of events.csv, in order. */
export const EVENTS_CSV_COLUMNS = [
  "visit",
  "request_id",
  "user_id",
  "variant",
  "model_version",
  "fallback",
  "clicked",
  "clicked_movie_id",
  "clicked_position",
  "shown_at",
  "clicked_at",
] as const;

function csvField(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * events.csv: a header and one row per visit; times as ISO 8601 UTC, empty fields for "no click".
 *
 * @example
 * visitEventsCsv(readVisitEvents("events.sqlite")).split("\n")[0]
 * // => "visit,request_id,user_id,variant,model_version,fallback,clicked,clicked_movie_id,clicked_position,shown_at,clicked_at"
 */
export function visitEventsCsv(events: readonly VisitEvent[]): string {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const rows = events.map((e) =>
    [
      e.visit,
      e.requestId,
      e.userId,
      e.variant,
      e.modelVersion,
      e.fallback ? 1 : 0,
      e.clicked,
      e.clickedMovieId,
      e.clickedPosition,
      iso(e.shownAtMs),
      iso(e.clickedAtMs),
    ]
      .map(csvField)
      .join(","),
  );
  return [EVENTS_CSV_COLUMNS.join(","), ...rows].join("\n") + "\n";
}
