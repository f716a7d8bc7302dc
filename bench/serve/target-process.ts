/**
 * A server under load, the child side of ./targets.ts: `node --import tsx bench/serve/target-process.ts KIND
 * EVENTS` serves KIND (`TargetKind`; EVENTS, the router's event store: an SQLite file or a postgresql:// URL),
 * prints `listening <url>` and answers each IPC message with its `TargetStats`.
 */
import * as path from "node:path";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { PerformanceObserver, monitorEventLoopDelay } from "node:perf_hooks";
import express from "express";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR } from "../../src/core/paths";
import { loadCatalog, startServing } from "../../src/deployment/serve";
import { readPreparedManifest } from "../../src/data/load";
import { MODEL_NAMES, loadTrainedModels } from "../../src/models/trained-models";
import type { EventStoreWriter } from "../../src/serving/event-store";
import type { TargetStats } from "./targets";

/** Serves the trivial reference handler or the whole serving tier in this process (the child side). */
async function serveTarget(kind: string, eventsLocation: string): Promise<void> {
  let store: EventStoreWriter | undefined;
  if (kind === "idle") {
    // No server: a process with nothing to do but the 1 ms timer of its event-loop monitor. Its stalls are the
    // machine's, not any server's (a waking thread waits for a CPU, or a halted virtual CPU for the hypervisor).
    process.stdout.write("listening none\n");
  } else if (kind === "node") {
    // The same echo without Express: what node:http itself costs per request.
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { data?: unknown };
        const json = JSON.stringify({ ok: true, echo: body.data ?? null });
        res.setHeader("content-type", "application/json; charset=utf-8");
        res.setHeader("content-length", Buffer.byteLength(json));
        res.end(json);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  } else if (kind === "trivial") {
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
      eventsPath: eventsLocation,
      recommenders: await loadTrainedModels(
        modelsDir,
        MODEL_NAMES,
        readPreparedManifest(path.join(dataDir, "processed", "ml-latest-small")),
      ),
      movies: await loadCatalog(dataDir, "ml-latest-small"),
    });
    store = server.events; // either backend (`server.store` is SQLite's only)
    process.stdout.write(`listening ${server.url}\n`);
  }
  // Where a tail latency comes from: stalls of the event loop, and garbage-collection pauses among them.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  let gc = { pauses: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      gc = { pauses: gc.pauses + 1, maxMs: Math.max(gc.maxMs, entry.duration) };
  }).observe({ entryTypes: ["gc"] });
  process.on("message", () => {
    const cpu = process.cpuUsage();
    const stats: TargetStats = {
      cpuMs: (cpu.user + cpu.system) / 1000,
      groupCommits: store?.groupCommitStats(),
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      gcPauses: gc.pauses,
      gcMaxMs: gc.maxMs,
    };
    loopDelay.reset();
    gc = { pauses: 0, maxMs: 0 };
    process.send!(stats);
  });
  process.once("SIGTERM", () => process.exit(0));
}

serveTarget(process.argv[2], process.argv[3] ?? "").catch((error: unknown) => {
  process.stderr.write(
    `bench:serve target: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
