/** events.csv: the event store's visits exported one row each, as results/ writes them beside the report. */
import { csvTable } from "../../core/csv";
import type { VisitEvent } from "./types";

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
  "day",
  "phase",
  "latency_ms",
  "clicked_team",
  "propensity",
] as const;

/**
 * A header and one row per visit; times as ISO 8601 UTC, empty fields for "no click", and for the day and the
 * latency when they were not recorded (a router without a simulated calendar has no day), for the clicked team
 * outside interleaving and for the propensity where no routing choice was drawn.
 *
 * @example
 * visitEventsCsv(readVisitEvents("events.sqlite")).split("\n")[0]
 * // => "visit,request_id,user_id,variant,model_version,fallback,clicked,clicked_movie_id,clicked_position,shown_at,clicked_at,day,phase,latency_ms,clicked_team,propensity"
 */
export function visitEventsCsv(events: readonly VisitEvent[]): string {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return csvTable(
    EVENTS_CSV_COLUMNS,
    events.map((e) => [
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
      e.day,
      e.phase,
      e.latencyMs,
      e.clickedTeam,
      e.propensity,
    ]),
  );
}
