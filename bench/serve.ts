/**
 * `npm run bench:serve`: load on the router's prediction and feedback endpoints (autocannon, 50 connections),
 * against a trivial Express JSON handler measured in the same run as the reference, then an audit that the event
 * store holds exactly the acknowledged events.
 *
 * Goals (issue 5): prediction throughput at least half the trivial handler's, p99 under 20 ms at 50 concurrent
 * connections on 2 cores. Serves the trained models from models/ and the catalog from data/processed/ (run
 * `abrec data` and `abrec train` first), or from BENCH_MODELS_DIR / BENCH_DATA_DIR.
 *
 * Environment: BENCH_REQUESTS (predictions, default 20000), BENCH_CONNECTIONS (default 50).
 *
 * The servers under load run in child processes (`bench/serve.ts --target trivial|router EVENTS`), so the load
 * generator does not share their event loop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import express from "express";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR } from "../src/core/paths";
import { MODEL_NAMES, loadCatalog, loadModels, startServing } from "../src/serving/serve";
import { predictionRequest } from "../src/serving/seldon";
import { EventStore } from "../src/serving/event-store";

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  "2xx": number;
  duration: number;
}
interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}
const autocannonRun = require("autocannon") as (options: {
  url: string;
  connections: number;
  amount: number;
  timeout: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;

/** Seconds before autocannon gives up on a request: long, so that every request is answered (acknowledged). */
const TIMEOUT_SECONDS = 120;

function autocannon(options: {
  url: string;
  connections: number;
  amount: number;
  requests: AutocannonRequest[];
}) {
  return autocannonRun({ ...options, timeout: TIMEOUT_SECONDS });
}

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const USERS = 610;

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

function row(name: string, result: AutocannonResult): Row {
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result["2xx"],
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

/** Serves the trivial reference handler or the whole serving tier in this process (the child side). */
async function serveTarget(kind: string, eventsPath: string): Promise<void> {
  if (kind === "trivial") {
    const app = express();
    app.post("/", express.json(), (req, res) => {
      res.json({ ok: true, echo: (req.body as { data?: unknown }).data ?? null });
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  } else {
    const modelsDir = process.env.BENCH_MODELS_DIR ?? DEFAULT_MODELS_DIR;
    const dataDir = process.env.BENCH_DATA_DIR ?? DEFAULT_DATA_DIR;
    const server = await startServing({
      role: "all",
      port: 0,
      eventsPath,
      recommenders: await loadModels(modelsDir, MODEL_NAMES),
      movies: await loadCatalog(dataDir, "ml-latest-small"),
    });
    process.stdout.write(`listening ${server.url}\n`);
  }
  process.once("SIGTERM", () => process.exit(0));
}

/** Starts a target child process and resolves with its URL. */
function startTarget(
  kind: "trivial" | "router",
  eventsPath = "",
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", __filename, "--target", kind, eventsPath], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      const match = /listening (\S+)/.exec(String(chunk));
      if (match) resolve({ child, url: match[1] });
    });
    child.once("exit", (code) => reject(new Error(`bench target ${kind} exited with ${code}`)));
  });
}

function stopTarget(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

async function trivialReference(): Promise<Row> {
  const target = await startTarget("trivial");
  try {
    const result = await autocannon({
      url: target.url,
      connections: CONNECTIONS,
      amount: REQUESTS,
      requests: [
        {
          method: "POST",
          path: "/",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(predictionRequest(1, 10)),
        },
      ],
    });
    return row("trivial Express JSON handler", result);
  } finally {
    await stopTarget(target.child);
  }
}

async function main(): Promise<void> {
  const eventsDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-bench-serve-"));
  const eventsPath = path.join(eventsDir, "events.sqlite");
  process.stdout.write(
    `bench:serve: ${REQUESTS} requests per run, ${CONNECTIONS} connections, ${os.cpus().length} CPUs, ` +
      `load average ${os.loadavg()[0].toFixed(1)}, Node ${process.version}\n`,
  );

  // The models' own scoring cost, measured in this process: the floor under the router's per-request time.
  const models = await loadModels(process.env.BENCH_MODELS_DIR ?? DEFAULT_MODELS_DIR, MODEL_NAMES);
  const scoring = models.map((model) => {
    const started = performance.now();
    for (let i = 0; i < 2000; i++) model.recommend(1 + (i % USERS), 10);
    return `${model.name} ${((performance.now() - started) / 2000).toFixed(3)} ms`;
  });
  process.stdout.write(
    `model scoring per request (recommend, k = 10, mean of 2000): ${scoring.join(", ")}\n`,
  );

  const reference = await trivialReference();
  const server = await startTarget("router", eventsPath);
  let stopped = false;
  try {
    // Predictions: users cycle over 1..610; every acknowledged response is kept for the feedback run.
    const served: { puid: string; movieId: number; routing: number }[] = [];
    let nextUser = 0;
    const predictions = await autocannon({
      url: server.url,
      connections: CONNECTIONS,
      amount: REQUESTS,
      requests: [
        {
          method: "POST",
          path: "/api/v1.0/predictions",
          headers: { "content-type": "application/json" },
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify(predictionRequest(1 + (nextUser++ % USERS), 10)),
          }),
          onResponse: (status, body) => {
            if (status !== 200) return;
            const json = JSON.parse(body) as {
              meta: { puid: string; routing: Record<string, number> };
              data: { ndarray: number[][] };
            };
            served.push({
              puid: json.meta.puid,
              movieId: json.data.ndarray[0][0],
              routing: json.meta.routing["ab-router"],
            });
          },
        },
      ],
    });
    // Feedback: one click for each acknowledged prediction (up to REQUESTS).
    let nextFeedback = 0;
    let acknowledgedClicks = 0;
    const feedback = await autocannon({
      url: server.url,
      connections: CONNECTIONS,
      amount: Math.min(REQUESTS, served.length),
      requests: [
        {
          method: "POST",
          path: "/api/v1.0/feedback",
          headers: { "content-type": "application/json" },
          setupRequest: (request) => {
            const shown = served[nextFeedback++];
            return {
              ...request,
              body: JSON.stringify({
                response: { meta: { puid: shown.puid, routing: { "ab-router": shown.routing } } },
                reward: 1,
                truth: { data: { ndarray: [[shown.movieId]] } },
              }),
            };
          },
          onResponse: (status) => {
            if (status === 200) acknowledgedClicks++;
          },
        },
      ],
    });

    const rows = [
      reference,
      row("router POST /api/v1.0/predictions", predictions),
      row("router POST /api/v1.0/feedback", feedback),
    ];
    process.stdout.write(
      "\n| run | requests/s | p50 ms | p99 ms | 2xx | failed |\n|---|---:|---:|---:|---:|---:|\n" +
        rows
          .map((r) => `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.ok} | ${r.failed} |`)
          .join("\n") +
        "\n\n",
    );
    const ratio = rows[1].rps / reference.rps;
    process.stdout.write(
      `prediction throughput / trivial handler: ${ratio.toFixed(2)} (goal >= 0.5: ${ratio >= 0.5 ? "met" : "NOT met"})\n` +
        `prediction p99: ${rows[1].p99} ms (goal < 20 ms: ${rows[1].p99 < 20 ? "met" : "NOT met"})\n` +
        `feedback throughput / trivial handler: ${(rows[2].rps / reference.rps).toFixed(2)}\n`,
    );

    // Audit: the store holds exactly the acknowledged impressions and clicks (read after the server stopped).
    // A request the client gave up on may have been stored without being acknowledged; none may be missing.
    await stopTarget(server.child);
    stopped = true;
    const store = EventStore.open(eventsPath, { readonly: true });
    const sizes = store.tableSizes();
    const counts = store.counts().variants;
    const stored = new Set(store.requestIds().map((r) => r.requestId));
    store.close();
    const clicks = counts.reduce((sum, r) => sum + r.clicks, 0);
    const missing = served.filter((s) => !stored.has(s.puid)).length;
    const audit =
      missing === 0 &&
      sizes.impressions === served.length &&
      clicks === acknowledgedClicks &&
      sizes.feedback === acknowledgedClicks;
    process.stdout.write(
      `event store: ${sizes.impressions} impressions (acknowledged ${served.length}), ${clicks} clicks ` +
        `(acknowledged ${acknowledgedClicks}), split ${counts.map((r) => `${r.variant} ${r.impressions}`).join(" / ")}: ` +
        `${audit ? "exactly the acknowledged events" : `MISMATCH (${missing} acknowledged impressions missing)`}\n`,
    );
    if (!audit) process.exitCode = 1;
  } finally {
    if (!stopped) await stopTarget(server.child);
    fs.rmSync(eventsDir, { recursive: true, force: true });
  }
}

const targetFlag = process.argv.indexOf("--target");
(targetFlag >= 0 ? serveTarget(process.argv[targetFlag + 1], process.argv[targetFlag + 2]) : main()).catch(
  (error: unknown) => {
    process.stderr.write(
      `bench:serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
