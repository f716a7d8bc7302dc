/**
 * The records both backends build from the rows of the same queries (./sqlite.ts, ./postgres.ts): the
 * interleaving counts, the `pre_days` setting and the visits. One home, so SQLite and PostgreSQL answer alike.
 */
import { InputError } from "../../core/errors";
import type { CalendarPhase, InterleavingUserCounts, VisitEvent } from "./types";

/** A row of the interleaving query: one user's interleaved impressions won by `team` (null: no click, a tie). */
export interface InterleavingRow {
  userId: number;
  team: string | null;
  impressions: number;
}

/**
 * Per user, the experiment's interleaved impressions won by each team (the clicked movie's) and the ties (no
 * click); every model of the run (settings child_0, child_1) gets a count, 0 when it won nothing.
 *
 * @example
 * interleavingCounts([{ userId: 1, team: "a", impressions: 2 }], { child_0: "a", child_1: "b" });
 * // => [{ userId: 1, wins: { a: 2, b: 0 }, ties: 0 }]
 */
export function interleavingCounts(
  rows: readonly InterleavingRow[],
  settings: Record<string, string>,
): InterleavingUserCounts[] {
  const models = [settings.child_0, settings.child_1].filter((name) => name !== undefined);
  const byUser = new Map<number, InterleavingUserCounts>();
  for (const row of rows) {
    let user = byUser.get(row.userId);
    if (!user) {
      user = { userId: row.userId, wins: Object.fromEntries(models.map((name) => [name, 0])), ties: 0 };
      byUser.set(row.userId, user);
    }
    if (row.team === null) user.ties += row.impressions;
    else user.wins[row.team] = (user.wins[row.team] ?? 0) + row.impressions;
  }
  return [...byUser.values()];
}

/**
 * The `pre_days` setting the router recorded with its calendar, or null when it had none; throws an `InputError`
 * naming the store's `location` for anything but an integer >= 0.
 *
 * @example
 * preDaysSetting("7", "events.sqlite"); // => 7
 */
export function preDaysSetting(value: string | undefined, location: string): number | null {
  if (value === undefined) return null;
  const preDays = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(preDays) || preDays < 0)
    throw new InputError(`setting pre_days: expected an integer >= 0, got "${value}"`, { file: location });
  return preDays;
}

/** A row of the visits query: an impression with its feedback and the clicked slot's team, if any. */
export interface VisitRow {
  requestId: string;
  userId: number;
  variant: string;
  modelVersion: string;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  fallback: number | boolean;
  shownAtMs: number;
  reward: number | null;
  movieId: number | null;
  position: number | null;
  receivedAtMs: number | null;
  day: number | null;
  phase: CalendarPhase;
  latencyMs: number | null;
  team: string | null;
  propensity: number | null;
}

/**
 * The visit of the `index`-th (0-based) impression in serving order; the click fields are null unless clicked.
 *
 * @example
 * visitEvent(row, 0).visit; // => 1
 */
export function visitEvent(row: VisitRow, index: number): VisitEvent {
  const clicked = row.reward === 1;
  return {
    visit: index + 1,
    requestId: row.requestId,
    userId: row.userId,
    variant: row.variant,
    modelVersion: row.modelVersion,
    fallback: row.fallback === 1 || row.fallback === true,
    clicked: clicked ? 1 : 0,
    clickedMovieId: clicked ? row.movieId : null,
    clickedPosition: clicked ? row.position : null,
    shownAtMs: row.shownAtMs,
    clickedAtMs: clicked ? row.receivedAtMs : null,
    day: row.day,
    phase: row.phase,
    latencyMs: row.latencyMs,
    clickedTeam: clicked ? row.team : null,
    propensity: row.propensity,
  };
}
