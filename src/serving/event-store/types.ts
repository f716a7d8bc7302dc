/**
 * What an event store holds and the interfaces of its two backends over the same tables: `EventStoreWriter` (the
 * router's serving path, both backends), `AsyncEventStoreReader` (the reads as promises, both backends: SQLite's
 * wrap its synchronous reads) and `EventStoreReader` (SQLite's synchronous reads, as the analysis and tests call
 * them). SQLite (./sqlite.ts) serves one machine; PostgreSQL (./postgres.ts) several router replicas.
 */
import { InputError } from "../../core/errors";

/**
 * How the router chose what to show (src/serving/assignment.ts): one model per user (sticky) or per request
 * (random, thompson, epsilon-greedy), or both models merged into one slate (interleave).
 */
export type RoutingMode = "sticky" | "random" | "interleave" | "thompson" | "epsilon-greedy";

/**
 * The variant of an impression that merged both models' lists by team-draft interleaving: its movies' teams
 * (`impression_items.team`) say which model contributed each.
 */
export const INTERLEAVED_VARIANT = "interleaved";

/**
 * Where an impression falls on the experiment's calendar: "pre" (the pre-period, everyone on the production model,
 * the covariate CUPED and the design read) or "experiment" (users randomised).
 */
export type CalendarPhase = "pre" | "experiment";

export interface ImpressionEvent {
  requestId: string;
  userId: number;
  variant: string;
  modelVersion: string;
  fallback: boolean;
  /** Shown movies, position 0 first. */
  movieIds: readonly number[];
  /** The router's mode; a pre-period impression's assignment is stored with routing mode 'pre'. */
  routingMode: RoutingMode;
  /** Unix milliseconds; defaults to now. */
  shownAtMs?: number;
  /** The simulated day (0-based from the start of the pre-period), or null/absent outside a simulated calendar. */
  day?: number | null;
  /** Default "experiment". Pre-period impressions are always the production model (child 0). */
  phase?: CalendarPhase;
  /** Milliseconds from the parsed request to the model's answer (the prediction latency guardrail). */
  latencyMs?: number;
  /**
   * Interleaved impressions: the team (model name) that contributed each movie, one per `movieIds` entry;
   * absent (stored NULL) for a slate of one model.
   */
  teams?: readonly string[];
  /**
   * The probability, in [0, 1], that the routing policy chose this impression's variant when it did (for
   * inverse-propensity analyses): ratioA or 1 - ratioA under sticky and random routing, the bandit's selection
   * probability under thompson and epsilon-greedy; absent (stored NULL) when no choice was drawn (the
   * pre-period's fixed child 0, interleaving).
   */
  propensity?: number | null;
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
  /** The rewarded impression's calendar phase. */
  phase: CalendarPhase;
  /** The team (model name) of the clicked movie of an interleaved impression; null otherwise and for a duplicate. */
  team: string | null;
}

/** Experiment-phase counts of one variant (pre-period impressions are in `EventCounts.prePeriod`). */
export interface VariantCounts {
  variant: string;
  /** Distinct users with at least one impression from this variant. */
  users: number;
  impressions: number;
  clicks: number;
  /** Distinct users with at least one click on this variant (the per-user conversion numerator). */
  clickedUsers: number;
}

/** One (user, variant) of the experiment phase, with the same user's pre-period counts (CUPED's covariate). */
export interface UserCounts {
  userId: number;
  variant: string;
  impressions: number;
  clicks: number;
  /** The user's impressions and clicks in the pre-period (0 when none, or without a calendar). */
  preImpressions: number;
  preClicks: number;
  /** The simulated day of the user's first experiment impression from this variant, or null without a calendar. */
  firstDay: number | null;
}

/**
 * One user's interleaved impressions of the experiment phase (variant `INTERLEAVED_VARIANT`), by outcome under the
 * team-draft credit rule (../../stats/interleaving.ts `teamDraftCredit`): an impression is won by the team
 * (model) of its clicked movie, and is a tie when nothing was clicked. A visitor clicks at most once per
 * impression, so no impression credits both teams. The input of `interleavingPreference` (winsA, winsB, ties
 * with A = settings.child_0, B = settings.child_1).
 */
export interface InterleavingUserCounts {
  userId: number;
  /** Impressions won by each model, by model name: every model of the run (settings child_0, child_1), 0 when none. */
  wins: Record<string, number>;
  /** Impressions without a click. */
  ties: number;
}

export interface EventCounts {
  /** One row per variant, sorted by name. */
  variants: VariantCounts[];
  /** One row per (user, variant), sorted by user then variant: the input of user-level analyses. */
  users: UserCounts[];
  /** Users seen by more than one variant (0 under sticky routing; under random routing use impressions as unit). */
  usersInSeveralVariants: number;
  /** Settings recorded by the router (routing mode, ratio, seed, pre_days, ...). */
  settings: Record<string, string>;
  /** Days of pre-period of the router's simulated calendar, or null when it had none. */
  preDays: number | null;
  /** All pre-period impressions: distinct users, impressions, clicks (zeros without a calendar). */
  prePeriod: { users: number; impressions: number; clicks: number };
  /** One row per user with interleaved experiment impressions, sorted by user (empty without interleaving). */
  interleaving: InterleavingUserCounts[];
}

/** One served slate and what became of it: one visit = one impression with its click, if any. */
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
  /** Simulated day of the impression, or null without a calendar. */
  day: number | null;
  phase: CalendarPhase;
  /** Prediction latency in milliseconds, or null when not recorded. */
  latencyMs: number | null;
  /** The team (model name) of the clicked movie of an interleaved impression, or null. */
  clickedTeam: string | null;
  /** The probability the routing policy had of choosing this variant (`ImpressionEvent.propensity`), or null. */
  propensity: number | null;
}

/** An acknowledged request id with its reward (null when none). */
export interface StoredRequest {
  requestId: string;
  variant: string;
  reward: number | null;
}

/** Row counts of each table. */
export type TableSizes = Record<"assignments" | "impressions" | "impression_items" | "feedback", number>;

/** Group commits so far, the writes they held and the longest one in milliseconds. */
export interface GroupCommitStats {
  commits: number;
  writes: number;
  longestMs: number;
}

/**
 * Reads of an event store, synchronous: SQLite answers them in process, and the analysis (`analyzeResults`,
 * `abrec analyze`) and tests call them so. A network backend implements `AsyncEventStoreReader` instead.
 */
export interface EventStoreReader {
  /** Per-variant and per-user counts and the recorded settings (see `EventCounts`). */
  counts(): EventCounts;
  /** Every visit in serving order (the order the router stored the impressions). */
  visits(): VisitEvent[];
  /** Every stored request id, sorted, with its reward: for audits and tests. */
  requestIds(): StoredRequest[];
  tableSizes(): TableSizes;
  close(): void;
}

/** The same reads as promises, which both backends answer (PostgreSQL over the network, aggregating in SQL). */
export interface AsyncEventStoreReader {
  counts(): Promise<EventCounts>;
  visits(): Promise<VisitEvent[]>;
  requestIds(): Promise<StoredRequest[]>;
  tableSizes(): Promise<TableSizes>;
  close(): Promise<void>;
}

/**
 * Writes of the router. `enqueueImpression` and `enqueueFeedback` settle only once their event is durable; an
 * invalid event (a duplicate request id, a click on a movie that was not shown) rejects alone. `recordSetting`
 * and `close` are done when they return on SQLite and return a promise on PostgreSQL: callers await them.
 * PostgreSQL's writes and reads reject with an `EventStoreUnavailableError` while its server cannot be reached.
 */
export interface EventStoreWriter {
  /** Where the events are, for messages and logs: the SQLite file, or the PostgreSQL URL without its password. */
  readonly location: string;
  /**
   * Records a setting of the run (routing mode, ratio, seed) unless the store holds one under `key` already, and
   * returns the stored value: the first recorded stays, so that replicas (or a restarted router) started with
   * other settings see it and refuse rather than mix two designs in one experiment.
   */
  recordSetting(key: string, value: string): string | Promise<string>;
  /**
   * Records a served prediction and the user's assignment to its variant, atomically. Resolves with whether this
   * was the user's first experiment-phase impression from this variant (a new assignment; a pre-period
   * impression never is one, and the user's later experiment impression from the same variant still is).
   */
  enqueueImpression(event: ImpressionEvent): Promise<{ newAssignment: boolean }>;
  /**
   * Records the reward for an impression once. A second reward for the same request is not written and resolves
   * as "duplicate". Rejects with an `InputError` for an unknown request id or a clicked movie that was not shown.
   */
  enqueueFeedback(event: FeedbackEvent): Promise<FeedbackResult>;
  /** The variant that served `requestId` (a committed impression), or undefined. */
  variantOf(requestId: string): Promise<string | undefined>;
  /** For logs and benches: mean group size = writes / commits. */
  groupCommitStats(): GroupCommitStats;
  /** Commits any queued writes (their promises settle), then closes. */
  close(): void | Promise<void>;
}

/**
 * What the writes and reads of a network event store (PostgreSQL) reject with when its server cannot be reached
 * or the connection broke: the event was not acknowledged and may be retried (the HTTP API answers 503). If the
 * connection broke during the COMMIT, the event may be stored all the same: a retried feedback is then answered
 * as a duplicate, a retried prediction gets a new request id (the first impression stays, never acknowledged).
 *
 * @example
 * await store.enqueueImpression(impression).catch((error) => error instanceof EventStoreUnavailableError); // => true while the server is down
 */
export class EventStoreUnavailableError extends Error {
  override readonly name = "EventStoreUnavailableError";
  constructor(
    /** The store's location (a URL without its password). */
    readonly location: string,
    cause: unknown,
  ) {
    super(
      `event store ${location} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

/** The SQLite store the router both writes and reads synchronously. */
export interface EventStore extends EventStoreReader, EventStoreWriter {
  close(): void;
}

/**
 * A store the router writes and reads (its live counts, the bandit state it rebuilds), on either backend: the
 * reads answer at once (SQLite) or as promises (PostgreSQL), and the router awaits them.
 */
export type ServingEventStore = EventStoreWriter & (EventStoreReader | AsyncEventStoreReader);

/**
 * Throws an `InputError` naming the field for an impression no backend may store: a simulated day that is not
 * an integer, a team list of another length than the movies, a propensity outside [0, 1]. (What a CHECK
 * constraint catches, e.g. a negative day, is left to the tables.)
 *
 * @example
 * checkImpression({ ...event, day: 1.5 }); // throws 'field "day": expected an integer simulated day >= 0, got 1.5'
 */
export function checkImpression(event: ImpressionEvent): void {
  if (event.day != null && !Number.isSafeInteger(event.day))
    throw new InputError(`expected an integer simulated day >= 0, got ${event.day}`, { field: "day" });
  if (event.teams !== undefined && event.teams.length !== event.movieIds.length)
    throw new InputError(
      `expected one team per movie (${event.movieIds.length}), got ${event.teams.length} in request "${event.requestId}"`,
      { field: "teams" },
    );
  if (event.propensity != null && !(event.propensity >= 0 && event.propensity <= 1))
    throw new InputError(
      `expected a probability in [0, 1], got ${event.propensity} in request "${event.requestId}"`,
      { field: "propensity" },
    );
}

/**
 * The clicked movie's position and team for `event`, given what the store holds: its impression (undefined when
 * none) and, for a click, the slot of the clicked movie in it (undefined when not shown). Throws an `InputError`
 * naming the field for an unknown request, a movie not shown, or a position other than the movie's.
 *
 * @example
 * feedbackSlot({ requestId: "r1", reward: 1, movieId: 20 }, { variant: "baseline", phase: "experiment" },
 *   { position: 1, team: null }); // => { position: 1, team: null }
 */
export function feedbackSlot(
  event: FeedbackEvent,
  impression: { variant: string; phase: CalendarPhase } | undefined,
  item: { position: number; team: string | null } | undefined,
): { position: number | null; team: string | null } {
  if (!impression)
    throw new InputError(`no impression with request id "${event.requestId}"`, { field: "puid" });
  if (event.reward !== 1) return { position: null, team: null };
  if (!item)
    throw new InputError(`movie ${event.movieId} was not shown in request "${event.requestId}"`, {
      field: "truth",
    });
  if (event.position !== undefined && event.position !== item.position)
    throw new InputError(
      `movie ${event.movieId} was shown at position ${item.position} in request "${event.requestId}", not ${event.position}`,
      { field: "position" },
    );
  return { position: item.position, team: item.team };
}

/**
 * What `enqueueFeedback` answers once the store tried to write the reward: "recorded" with the clicked slot when
 * the row was written, "duplicate" (nothing written, no slot) when the request already had its reward.
 *
 * @example
 * feedbackResult({ variant: "baseline", phase: "experiment" }, { position: 1, team: null }, false);
 * // => { status: "duplicate", variant: "baseline", position: null, phase: "experiment", team: null }
 */
export function feedbackResult(
  impression: { variant: string; phase: CalendarPhase },
  slot: { position: number | null; team: string | null },
  written: boolean,
): FeedbackResult {
  const { variant, phase } = impression;
  return written
    ? { status: "recorded", variant, position: slot.position, phase, team: slot.team }
    : { status: "duplicate", variant, position: null, phase, team: null };
}
