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

/** What the read queries need to say differently in each backend's SQL. */
export interface ReadDialect {
  /** Appended to a text ORDER BY for byte order (SQLite's default; PostgreSQL's `COLLATE "C"`). */
  byteOrder: string;
  /** The impressions' column in serving order (SQLite's rowid, PostgreSQL's `seq`). */
  servingOrder: string;
  /** The placeholder of the one parameter (the interleaved variant's name). */
  parameter: string;
}

/**
 * The read queries of both backends, one text each: the counts per variant, per (user, variant) with the user's
 * pre-period counts, users in several variants, the pre-period's totals, the settings, the interleaving rows,
 * the visits, the request ids and the table sizes. Aliases are quoted, so both return camelCase columns.
 *
 * @example
 * readQueries({ byteOrder: "", servingOrder: "i.rowid", parameter: "?" }).visits; // => "SELECT i.request_id ..."
 */
export function readQueries({ byteOrder, servingOrder, parameter }: ReadDialect) {
  return {
    variants: `SELECT i.variant AS variant, COUNT(DISTINCT i.user_id) AS users, COUNT(*) AS impressions,
                      COALESCE(SUM(f.reward), 0) AS clicks,
                      COUNT(DISTINCT CASE WHEN f.reward = 1 THEN i.user_id END) AS "clickedUsers"
               FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id
               WHERE i.phase = 'experiment'
               GROUP BY i.variant ORDER BY i.variant ${byteOrder}`,
    users: `WITH experiment AS (
              SELECT i.user_id, i.variant, COUNT(*) AS impressions, COALESCE(SUM(f.reward), 0) AS clicks,
                     MIN(i.day) AS first_day
              FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id
              WHERE i.phase = 'experiment'
              GROUP BY i.user_id, i.variant
            ), pre AS (
              SELECT i.user_id, COUNT(*) AS impressions, COALESCE(SUM(f.reward), 0) AS clicks
              FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id
              WHERE i.phase = 'pre'
              GROUP BY i.user_id
            )
            SELECT e.user_id AS "userId", e.variant AS variant, e.impressions AS impressions, e.clicks AS clicks,
                   COALESCE(p.impressions, 0) AS "preImpressions", COALESCE(p.clicks, 0) AS "preClicks",
                   e.first_day AS "firstDay"
            FROM experiment e LEFT JOIN pre p ON p.user_id = e.user_id
            ORDER BY e.user_id, e.variant ${byteOrder}`,
    usersInSeveralVariants: `SELECT COUNT(*) AS n FROM (
                               SELECT user_id FROM impressions WHERE phase = 'experiment'
                               GROUP BY user_id HAVING COUNT(DISTINCT variant) > 1) several`,
    prePeriod: `SELECT COUNT(DISTINCT i.user_id) AS users, COUNT(*) AS impressions,
                       COALESCE(SUM(f.reward), 0) AS clicks
                FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id
                WHERE i.phase = 'pre'`,
    settings: `SELECT key, value FROM settings ORDER BY key ${byteOrder}`,
    interleaving: `SELECT i.user_id AS "userId", it.team AS team, COUNT(*) AS impressions
                   FROM impressions i
                   LEFT JOIN feedback f ON f.request_id = i.request_id AND f.reward = 1
                   LEFT JOIN impression_items it ON it.request_id = f.request_id AND it.position = f.position
                   WHERE i.phase = 'experiment' AND i.variant = ${parameter}
                   GROUP BY i.user_id, it.team ORDER BY i.user_id`,
    visits: `SELECT i.request_id AS "requestId", i.user_id AS "userId", i.variant AS variant,
                    i.model_version AS "modelVersion", i.fallback AS fallback, i.shown_at_ms AS "shownAtMs",
                    f.reward AS reward, f.movie_id AS "movieId", f.position AS position,
                    f.received_at_ms AS "receivedAtMs", i.day AS day, i.phase AS phase,
                    i.latency_ms AS "latencyMs", it.team AS team, i.propensity AS propensity
             FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id
             LEFT JOIN impression_items it ON it.request_id = f.request_id AND it.position = f.position
             ORDER BY ${servingOrder}`,
    requestIds: `SELECT i.request_id AS "requestId", i.variant AS variant, f.reward AS reward
                 FROM impressions i LEFT JOIN feedback f ON f.request_id = i.request_id
                 ORDER BY i.request_id ${byteOrder}`,
    tableSizes: `SELECT (SELECT COUNT(*) FROM assignments) AS assignments,
                        (SELECT COUNT(*) FROM impressions) AS impressions,
                        (SELECT COUNT(*) FROM impression_items) AS impression_items,
                        (SELECT COUNT(*) FROM feedback) AS feedback`,
  };
}
