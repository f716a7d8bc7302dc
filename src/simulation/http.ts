/**
 * Visits over HTTP against the A/B router's Seldon Core v1 endpoints, no browser: for large runs and for checking
 * the router end to end. Per visit:
 *
 * - `POST <router>/api/v1.0/predictions` with `{"data": {"names": ["userId", "k"], "ndarray": [[userId, k]]}}`;
 *   the response's `meta.puid` is the request id, `meta.tags.model_name` the variant that served, and
 *   `data.ndarray[0]` the movie ids, best first;
 * - `POST <router>/api/v1.0/feedback` with `{"response": {"meta": {"puid": ...}}, "reward": 1, "truth": {"data":
 *   {"ndarray": [[movieId]]}}}` for a click, or reward 0 (shown, not clicked) otherwise, so every finished visit
 *   has exactly one feedback in the event store and an impression without feedback marks an interrupted visit.
 */
import { InputError } from "../core/errors";
import type { PlannedVisit, ShownSlate, VisitTransport } from "./run";

export interface HttpTransportOptions {
  /** The router's base URL, e.g. http://127.0.0.1:9000. */
  routerUrl: string;
  /** Movies per slate (k of the prediction request). */
  slateLength: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** A Seldon prediction response, as far as the simulation reads it. */
interface PredictionResponse {
  meta?: { puid?: unknown; tags?: { model_name?: unknown } };
  data?: { ndarray?: unknown };
}

/** Parses the router URL; an InputError names the option when it is not an http(s) URL. */
export function parseBaseUrl(value: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`expected an http(s) URL such as http://127.0.0.1:9000, got "${value}"`, { field });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InputError(`expected an http(s) URL, got "${value}"`, { field });
  return url;
}

/**
 * Reads the slate of a Seldon prediction response: request id, serving model and movie ids. Throws with the
 * response body when a field is missing, so a protocol mismatch is visible at once.
 */
export function slateFromPrediction(body: unknown): ShownSlate {
  const response = body as PredictionResponse;
  const requestId = response?.meta?.puid;
  const variant = response?.meta?.tags?.model_name;
  const row = Array.isArray(response?.data?.ndarray) ? (response.data.ndarray as unknown[])[0] : undefined;
  if (
    typeof requestId !== "string" ||
    typeof variant !== "string" ||
    !Array.isArray(row) ||
    !row.every((id) => Number.isSafeInteger(id))
  )
    throw new Error(
      `unexpected prediction response (expected meta.puid, meta.tags.model_name and data.ndarray[0]): ` +
        JSON.stringify(body).slice(0, 500),
    );
  return { requestId, variant, movieIds: row as number[] };
}

async function postJson(url: URL, body: unknown, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(`cannot reach ${url.href}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${url.href} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as unknown;
}

/** The HTTP transport (keep-alive connections through Node's fetch). */
export function httpTransport(options: HttpTransportOptions): VisitTransport {
  const base = parseBaseUrl(options.routerUrl, "router");
  const predictions = new URL("api/v1.0/predictions", base.href.endsWith("/") ? base : `${base.href}/`);
  const feedback = new URL("api/v1.0/feedback", predictions.href.replace(/api\/v1\.0\/predictions$/, ""));
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    kind: "http",
    target: base.href,
    async show(visit: PlannedVisit): Promise<ShownSlate> {
      const body = await postJson(
        predictions,
        { data: { names: ["userId", "k"], ndarray: [[visit.userId, options.slateLength]] } },
        timeoutMs,
      );
      return slateFromPrediction(body);
    },
    async finish(_visit: PlannedVisit, shown: ShownSlate, clickedPosition: number): Promise<void> {
      const click = clickedPosition >= 0;
      await postJson(
        feedback,
        {
          response: { meta: { puid: shown.requestId } },
          reward: click ? 1 : 0,
          ...(click ? { truth: { data: { ndarray: [[shown.movieIds[clickedPosition]]] } } } : {}),
        },
        timeoutMs,
      );
    },
    async close() {},
  };
}
