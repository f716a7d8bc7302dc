/**
 * HTTP plumbing shared by the model servers, the router and the site: a size-limited JSON body parser, the
 * latency histogram middleware, health endpoints, the error handler that turns bad input into HTTP 400 with
 * a Seldon failure message naming the field, and the fast path for the hot JSON endpoints.
 *
 * Fast path (`withFastJsonEndpoints`): Express 5 costs about 0.2 ms of CPU per request on this machine before
 * a handler runs (measured: a trivial JSON echo handler 0.29-0.31 ms per request behind Express with
 * `express.json`, 0.05 ms on plain node:http). The prediction and feedback endpoints are therefore served on
 * node:http directly for the ordinary request (POST, `application/json` in UTF-8, a Content-Length within
 * the limit, no content encoding), by the same endpoint functions (`JsonEndpoint`) that the Express routes
 * call; every other request, including unusual requests to those paths, goes to the Express app unchanged.
 */
import type * as http from "node:http";
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import type { Histogram } from "prom-client";
import { InputError } from "../core/errors";
import { EventStoreUnavailableError } from "./event-store";
import { failureMessage } from "./seldon";
import type { Service } from "./metrics";

/** Largest JSON body accepted by the API endpoints (a feedback message with a 100-movie response fits easily). */
export const MAX_BODY_BYTES = 16 * 1024;

/** `express.json` with the size limit; other content types leave the body undefined (rejected by validation). */
export function jsonBody(limitBytes = MAX_BODY_BYTES): RequestHandler {
  return express.json({ limit: limitBytes, strict: true });
}

/**
 * Sends `body` as JSON with `status`, without Express's `res.json`/`res.send` extras that an API answer to a POST
 * does not need: no ETag (Express computes a SHA-1 of every body for it), no freshness check, no JSON settings
 * lookup. Headers: content type with charset, content length, `nosniff` and `no-store`.
 *
 * @example
 * app.post("/api", (req, res) => sendJson(res, { ok: true })); // 200 {"ok":true}
 */
export function sendJson(res: http.ServerResponse, body: unknown, status = 200): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(json));
  // What helmet gives the site's pages, for API answers (OWASP REST Security): browsers must not sniff them as
  // HTML, and nobody may cache a recommendation made for one user or a feedback receipt.
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("cache-control", "no-store");
  res.end(json);
}

/**
 * Observes each request's latency in `histogram` with labels service, code and the model that served it
 * (`res.locals.modelName`, "none" when the request was rejected before routing).
 */
export function observeLatency(
  histogram: Histogram<"service" | "code" | "model_name">,
  service: Service,
): RequestHandler {
  return (_req, res, next) => {
    const end = histogram.startTimer();
    res.on("finish", () =>
      end({ service, code: String(res.statusCode), model_name: (res.locals.modelName as string) ?? "none" }),
    );
    next();
  };
}

/** Adds `GET /health/ping` (liveness) and `GET /health/ready` (503 until `isReady()` is true). */
export function healthRoutes(isReady: () => boolean | Promise<boolean>): express.Router {
  const router = express.Router();
  router.get("/health/ping", (_req, res) => {
    res.type("text/plain").send("pong");
  });
  router.get("/health/ready", async (_req, res) => {
    const ready = await isReady();
    res.status(ready ? 200 : 503).json({ ready });
  });
  return router;
}

/** What a JSON endpoint answers: the response body and the model that served it (the latency label). */
export interface JsonReply {
  body: unknown;
  /** `model_name` label of the latency histogram. */
  modelName: string;
}

/**
 * One POST endpoint taking and returning JSON, served by Express (`jsonEndpointRoute`) and by the fast path
 * (`withFastJsonEndpoints`) with the same behaviour: `handle` throws `InputError` for bad input (HTTP 400).
 */
export interface JsonEndpoint {
  path: string;
  service: Service;
  /** Latency histogram (labels service, code, model_name). */
  latency: Histogram<"service" | "code" | "model_name">;
  handle(body: unknown): Promise<JsonReply>;
}

/** Mounts `endpoint` on an Express router: latency, size-limited JSON body, handler. */
export function jsonEndpointRoute(router: express.Router, endpoint: JsonEndpoint): void {
  router.post(
    endpoint.path,
    observeLatency(endpoint.latency, endpoint.service),
    jsonBody(),
    async (req, res) => {
      const reply = await endpoint.handle(req.body);
      res.locals.modelName = reply.modelName;
      sendJson(res, reply.body);
    },
  );
}

/**
 * Whether the fast path can read this request's body exactly as `express.json` would: UTF-8 JSON, no content
 * encoding, a declared length within the limit. Anything else is left to Express (and body-parser).
 */
function fastPathReadable(req: http.IncomingMessage, limitBytes: number): boolean {
  const { "content-type": contentType, "content-encoding": encoding, "content-length": length } = req.headers;
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") return false;
  if (length === undefined || !/^[0-9]{1,9}$/.test(length) || Number(length) > limitBytes) return false;
  if (contentType === undefined) return false;
  const [type, ...parameters] = contentType.toLowerCase().split(";");
  if (type.trim() !== "application/json") return false;
  return parameters.every((parameter) => /^\s*charset\s*=\s*"?utf-8"?\s*$/.test(parameter));
}

/**
 * Parses a request body as `express.json({ strict: true })` does: empty is `{}`, a leading BOM is dropped, and
 * the text must start with an object or an array.
 */
export function parseJsonBody(text: string): unknown {
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (json.length === 0) return {};
  const first = /^[\x20\t\n\r]*(.)/.exec(json)?.[1];
  try {
    if (first !== "{" && first !== "[")
      throw new SyntaxError(`expected an object or an array, got ${JSON.stringify(json.slice(0, 20))}`);
    return JSON.parse(json);
  } catch (error) {
    throw new InputError(`body: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * A node:http request listener that answers the ordinary POST requests to `endpoints` itself and hands every
 * other request to `fallback` (the Express app, which mounts the same endpoints with `jsonEndpointRoute`).
 * Latency is observed when the answer has been handed to the socket.
 */
export function withFastJsonEndpoints(
  endpoints: readonly JsonEndpoint[],
  fallback: http.RequestListener,
  limitBytes = MAX_BODY_BYTES,
): http.RequestListener {
  const byPath = new Map(endpoints.map((endpoint) => [endpoint.path, endpoint]));
  return (req, res) => {
    const endpoint = req.method === "POST" ? byPath.get(req.url ?? "") : undefined;
    if (endpoint === undefined || !fastPathReadable(req, limitBytes)) {
      fallback(req, res);
      return;
    }
    const end = endpoint.latency.startTimer();
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let modelName = "none";
      const text = chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8");
      new Promise<unknown>((resolve) => resolve(parseJsonBody(text)))
        .then((body) => endpoint.handle(body))
        .then(
          (reply) => {
            modelName = reply.modelName;
            sendJson(res, reply.body);
          },
          (error: unknown) => sendErrorReply(res, error),
        )
        .finally(() =>
          end({ service: endpoint.service, code: String(res.statusCode), model_name: modelName }),
        );
    });
  };
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** Seconds a client is asked to wait (`Retry-After`) before retrying a request the event store could not take. */
const STORE_RETRY_AFTER_SECONDS = 1;

/**
 * The HTTP status and Seldon failure message for an error: `InputError` and body-parser errors (bad JSON,
 * oversized body, unsupported charset) give 400 naming the field; an `EventStoreUnavailableError` gives 503
 * with a `Retry-After` header (the request was not acknowledged: retry it); anything else gives 500 without
 * internals (its stack goes to stderr).
 *
 * @example
 * errorReply(new InputError("expected an integer", { field: "userId" })).status; // => 400
 */
export function errorReply(error: unknown): {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
} {
  if (error instanceof InputError)
    return { status: 400, body: failureMessage(400, "BAD_REQUEST", error.message) };
  if (error instanceof EventStoreUnavailableError) {
    // The answer names neither the database nor the cause (internals): the store logs both once per outage.
    return {
      status: 503,
      body: failureMessage(
        503,
        "SERVICE_UNAVAILABLE",
        "the event store is unavailable: the request was not recorded, retry it",
      ),
      headers: { "retry-after": String(STORE_RETRY_AFTER_SECONDS) },
    };
  }
  const parserError = error as BodyParserError;
  switch (parserError.type) {
    case "entity.parse.failed":
      return {
        status: 400,
        body: failureMessage(400, "BAD_REQUEST", `body: not valid JSON (${parserError.message})`),
      };
    case "entity.too.large":
      return {
        status: 400,
        body: failureMessage(
          400,
          "BAD_REQUEST",
          `body: larger than the limit of ${parserError.limit ?? MAX_BODY_BYTES} bytes`,
        ),
      };
    case "encoding.unsupported":
    case "charset.unsupported":
      return { status: 400, body: failureMessage(400, "BAD_REQUEST", `body: ${parserError.message}`) };
  }
  process.stderr.write(`abrec serve: ${parserError.stack ?? String(error)}\n`);
  return { status: 500, body: failureMessage(500, "INTERNAL_ERROR", "internal error") };
}

/** Answers `error` with `errorReply`: its status, headers and Seldon failure message. */
function sendErrorReply(res: http.ServerResponse, error: unknown): void {
  const reply = errorReply(error);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  sendJson(res, reply.body, reply.status);
}

/** Express error handler answering with `errorReply`. */
export const apiErrorHandler: ErrorRequestHandler = (error: BodyParserError, _req, res, next) => {
  if (res.headersSent) return next(error);
  sendErrorReply(res, error);
};
