/**
 * Visits over HTTP against the A/B router's Seldon Core v1 endpoints, no browser: for large runs and for checking
 * the router end to end. Per visit:
 *
 * - `POST <router>/api/v1.0/predictions` with `{"data": {"names": ["userId", "k"], "ndarray": [[userId, k]]}}`;
 *   the response's `meta.puid` is the request id, `meta.tags.model_name` the variant that served, and
 *   `data.ndarray[0]` the movie ids, best first;
 * - `POST <router>/api/v1.0/feedback` with `{"response": {"meta": {"puid": ...}}, "reward": 1, "truth": {"data":
 *   {"names": ["movieId", "position"], "ndarray": [[movieId, position]]}}}` for a click, or reward 0 (shown, not
 *   clicked) otherwise, so every finished visit has exactly one feedback in the event store and an impression
 *   without feedback marks an interrupted visit.
 *
 * The messages are built with the serving layer's `predictionRequest` and `feedbackRequest` (src/serving/seldon).
 */
import { InputError } from "../core/errors";
import { feedbackRequest, predictionRequest, type SeldonMessage } from "../serving/seldon";
import { setSimulatedDay } from "../serving/router";
import type { PlannedVisit, ShownSlate, VisitTransport } from "./visit-loop";

export interface HttpTransportOptions {
  /** The router's base URL, e.g. http://127.0.0.1:9000. */
  routerUrl: string;
  /** Movies per slate (k of the prediction request). */
  slateLength: number;
  /** Per-request timeout. */
  timeoutMs?: number;
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
  const response = body as SeldonMessage | undefined;
  const requestId = response?.meta?.puid;
  const variant = response?.meta?.tags?.model_name;
  const ndarray = response?.data?.ndarray;
  const row = Array.isArray(ndarray) ? ndarray[0] : undefined;
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
    reusesShownSlates: true,
    async show(visit: PlannedVisit): Promise<ShownSlate> {
      return slateFromPrediction(
        await postJson(predictions, predictionRequest(visit.userId, options.slateLength), timeoutMs),
      );
    },
    async finish(_visit: PlannedVisit, shown: ShownSlate, clickedPosition: number): Promise<void> {
      const response: SeldonMessage = { meta: { puid: shown.requestId } };
      const body =
        clickedPosition >= 0
          ? feedbackRequest(response, 1, shown.movieIds[clickedPosition], clickedPosition)
          : feedbackRequest(response, 0);
      await postJson(feedback, body, timeoutMs);
    },
    async startDay(day: number): Promise<void> {
      await setSimulatedDay(base.href, day);
    },
    async close() {},
  };
}
