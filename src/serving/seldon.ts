/**
 * The subset of Seldon Core's v1 protocol (`SeldonMessage`, `Feedback`) that the model servers and the router
 * speak, and the validation of incoming messages. Reference: Seldon Core 1 "External Prediction API" and its
 * prediction.proto (SeldonMessage {status, meta {puid, tags, routing, requestPath, metrics}, data {names,
 * ndarray}}; Feedback {request, response, reward, truth}).
 *
 * A prediction request carries one row `[userId, k]`, or `[userId]` for k = DEFAULT_K:
 *   `{"data": {"names": ["userId", "k"], "ndarray": [[42, 10]]}}`
 * and its response one row with the k movie ids, best first, plus the model, its version, the request id
 * (`meta.puid`), the routing decision and the fallback flag:
 *   `{"meta": {"puid": "...", "routing": {"ab-router": 0}, "requestPath": {"baseline": "abrec/baseline:v1"},
 *     "tags": {"model_name": "baseline", "model_version": "v1", "fallback": false, "scores": [...]}},
 *     "data": {"names": ["movieIds"], "ndarray": [[318, 296, ...]]}}`
 * An interleaved slate (`--routing interleave`) answers the merged list with `"routing": {"ab-router": -1}`,
 * `"requestPath"` naming both models and `"tags": {"model_name": "interleaved", "teams": ["baseline",
 * "challenger", ...]}`, the model that contributed each slot.
 * Feedback for a click sends back the response (its `meta` is what matters), `reward` 1 and the clicked movie
 * as `truth`: `{"response": {...}, "reward": 1, "truth": {"data": {"ndarray": [[296]]}}}`; reward 0 means
 * "shown, not clicked" and needs no truth.
 */
import { InputError } from "../core/errors";

/** The name of the A/B router unit in `meta.routing` (as the graph node of a SeldonDeployment). */
export const ROUTER_NAME = "ab-router";
/**
 * `meta.routing[ROUTER_NAME]` of an interleaved slate: Seldon's router return value -1, "route to all children"
 * (Seldon Core 1, "Routers including multi-armed bandits": -1 all children, -2 none, N >= 0 child N).
 */
export const ALL_CHILDREN_ROUTE = -1;
/** Largest k a request may ask for. */
export const MAX_K = 100;
/**
 * k when a request sends only the user id (`[[userId]]`, the one feature a plain Seldon client sends): the site's
 * slate of 10 cards.
 */
export const DEFAULT_K = 10;

export interface SeldonMeta {
  puid?: string;
  tags?: Record<string, unknown>;
  routing?: Record<string, number>;
  requestPath?: Record<string, string>;
}

export interface SeldonMessage {
  meta?: SeldonMeta;
  data?: { names?: string[]; ndarray?: unknown[] };
  status?: { code: number; info: string; reason: string; status: "SUCCESS" | "FAILURE" };
}

export interface PredictionInput {
  userId: number;
  k: number;
}

export interface FeedbackInput {
  /** `response.meta.puid` of the prediction being rewarded. */
  requestId: string;
  /** `response.meta.routing[ROUTER_NAME]` when present: a child index, or `ALL_CHILDREN_ROUTE` (interleaved). */
  routedTo: number | undefined;
  reward: 0 | 1;
  /** The clicked movie (`truth.data.ndarray[0][0]`), required when reward is 1. */
  movieId: number | undefined;
  /** The clicked position as the client saw it (`truth.data.ndarray[0][1]`, optional), checked by the store. */
  position: number | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(field: string, expected: string): never {
  throw new InputError(`expected ${expected}`, { field });
}

/**
 * Reads `[userId, k]`, or `[userId]` with k = DEFAULT_K, from a prediction request body. Throws `InputError`
 * naming the field otherwise.
 *
 * @example
 * parsePredictionRequest({ data: { ndarray: [[42, 5]] } }); // => { userId: 42, k: 5 }
 * parsePredictionRequest({ data: { ndarray: [[42]] } }); // => { userId: 42, k: 10 }
 */
export function parsePredictionRequest(body: unknown): PredictionInput {
  if (!isObject(body)) fail("body", "a JSON object (a SeldonMessage)");
  const data = body.data;
  if (!isObject(data)) fail("data", 'an object with "ndarray": [[userId, k]]');
  const ndarray = data.ndarray;
  if (!Array.isArray(ndarray) || ndarray.length !== 1)
    fail("data.ndarray", "an array with exactly one row [userId, k]");
  const row = ndarray[0];
  if (!Array.isArray(row) || row.length < 1 || row.length > 2)
    fail("data.ndarray[0]", "a row [userId, k] or [userId]");
  const [userId, k = DEFAULT_K] = row as unknown[];
  if (typeof userId !== "number" || !Number.isSafeInteger(userId) || userId <= 0)
    fail("data.ndarray[0][0]", `a positive integer user id, got ${JSON.stringify(userId)}`);
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1 || k > MAX_K)
    fail("data.ndarray[0][1]", `k, an integer in 1..${MAX_K}, got ${JSON.stringify(k)}`);
  return { userId, k };
}

/** Builds the prediction request message for `userId` and `k`. */
export function predictionRequest(userId: number, k: number): SeldonMessage {
  return { data: { names: ["userId", "k"], ndarray: [[userId, k]] } };
}

/**
 * Reads a Seldon `Feedback` body. Throws `InputError` naming the field when it is malformed.
 *
 * @example
 * parseFeedbackRequest({ response: { meta: { puid: "r1", routing: { "ab-router": 1 } } }, reward: 1,
 *   truth: { data: { ndarray: [[296]] } } }); // => { requestId: "r1", routedTo: 1, reward: 1, movieId: 296 }
 */
export function parseFeedbackRequest(body: unknown): FeedbackInput {
  if (!isObject(body)) fail("body", "a JSON object (a Seldon Feedback)");
  const response = body.response;
  if (!isObject(response)) fail("response", "the prediction response being rewarded (a SeldonMessage)");
  const meta = response.meta;
  if (!isObject(meta)) fail("response.meta", "an object with the prediction's puid");
  const puid = meta.puid;
  if (typeof puid !== "string" || puid.length === 0 || puid.length > 200)
    fail("response.meta.puid", "the prediction's request id (a non-empty string)");
  let routedTo: number | undefined;
  if (meta.routing !== undefined) {
    if (!isObject(meta.routing)) fail("response.meta.routing", `an object like {"${ROUTER_NAME}": 0}`);
    const value = meta.routing[ROUTER_NAME];
    if (value !== undefined) {
      if (typeof value !== "number" || !Number.isInteger(value) || value < ALL_CHILDREN_ROUTE)
        fail(
          `response.meta.routing.${ROUTER_NAME}`,
          `a child index (0 or 1), or ${ALL_CHILDREN_ROUTE} for an interleaved slate`,
        );
      routedTo = value;
    }
  }
  const reward = body.reward;
  if (reward !== 0 && reward !== 1) fail("reward", `0 or 1, got ${JSON.stringify(reward)}`);
  let movieId: number | undefined;
  let position: number | undefined;
  if (reward === 1) {
    const truth = body.truth;
    const ndarray = isObject(truth) && isObject(truth.data) ? truth.data.ndarray : undefined;
    const row = Array.isArray(ndarray) ? ndarray[0] : undefined;
    const value = Array.isArray(row) ? row[0] : undefined;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0)
      fail(
        "truth.data.ndarray",
        "the clicked movie id as [[movieId]] or [[movieId, position]] when reward is 1",
      );
    movieId = value;
    const shown = (row as unknown[])[1];
    if (shown !== undefined) {
      if (typeof shown !== "number" || !Number.isInteger(shown) || shown < 0 || shown >= MAX_K)
        fail("truth.data.ndarray[0][1]", `the clicked position, an integer in 0..${MAX_K - 1}`);
      position = shown;
    }
  }
  return { requestId: puid, routedTo, reward, movieId, position };
}

/**
 * Builds the feedback message for a click on `movieId` (reward 1; `position` optional, checked against the
 * impression) or no click (reward 0).
 */
export function feedbackRequest(
  response: SeldonMessage,
  reward: 0 | 1,
  movieId?: number,
  position?: number,
): Record<string, unknown> {
  const row = position === undefined ? [movieId] : [movieId, position];
  const names = ["movieId", "position"].slice(0, row.length);
  return {
    response: { meta: response.meta },
    reward,
    ...(reward === 1 ? { truth: { data: { names, ndarray: [row] } } } : {}),
  };
}

/** A Seldon failure message (`status.status = "FAILURE"`). */
export function failureMessage(code: number, reason: string, info: string): SeldonMessage {
  return { status: { code, info, reason, status: "FAILURE" } };
}

/** The movie ids of a prediction response (`data.ndarray[0]`). */
export function responseMovieIds(response: SeldonMessage): number[] {
  const row = response.data?.ndarray?.[0];
  return Array.isArray(row) ? (row as number[]) : [];
}

/**
 * POSTs a Seldon message to `path` on a Seldon-protocol server (a model server or the router) and returns its
 * answer. A 400 becomes an InputError carrying the server's reason; any other failure names `who` and the status.
 */
export async function postSeldon(
  baseUrl: string,
  path: string,
  body: unknown,
  who: string,
  timeoutMs: number,
): Promise<SeldonMessage> {
  const response = await fetch(new URL(path, baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const message = (await response.json()) as SeldonMessage;
  if (response.status === 400) throw new InputError(message.status?.info ?? `rejected by ${who}`);
  if (!response.ok) throw new Error(`${who} at ${baseUrl} answered ${response.status}`);
  return message;
}
