/**
 * HTTP plumbing shared by the model servers, the router and the site: a size-limited JSON body parser, the
 * latency histogram middleware, health endpoints, and the error handler that turns bad input into HTTP 400 with
 * a Seldon failure message naming the field.
 */
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import type { Histogram } from "prom-client";
import { InputError } from "../core/errors";
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
 * lookup. Same headers otherwise (content type with charset, content length).
 *
 * @example
 * app.post("/api", (req, res) => sendJson(res, { ok: true })); // 200 {"ok":true}
 */
export function sendJson(res: express.Response, body: unknown, status = 200): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(json));
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

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/**
 * Turns errors into JSON failure messages: `InputError` and body-parser errors (bad JSON, oversized body,
 * unsupported charset) give 400 naming the field; anything else gives 500 without internals.
 */
export const apiErrorHandler: ErrorRequestHandler = (error: BodyParserError, _req, res, next) => {
  if (res.headersSent) return next(error);
  if (error instanceof InputError) {
    res.status(400).json(failureMessage(400, "BAD_REQUEST", error.message));
    return;
  }
  switch (error.type) {
    case "entity.parse.failed":
      res.status(400).json(failureMessage(400, "BAD_REQUEST", `body: not valid JSON (${error.message})`));
      return;
    case "entity.too.large":
      res
        .status(400)
        .json(
          failureMessage(
            400,
            "BAD_REQUEST",
            `body: larger than the limit of ${error.limit ?? MAX_BODY_BYTES} bytes`,
          ),
        );
      return;
    case "encoding.unsupported":
    case "charset.unsupported":
      res.status(400).json(failureMessage(400, "BAD_REQUEST", `body: ${error.message}`));
      return;
  }
  process.stderr.write(`abrec serve: ${error.stack ?? error.message}\n`);
  res.status(500).json(failureMessage(500, "INTERNAL_ERROR", "internal error"));
};
