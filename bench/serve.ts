/**
 * `npm run bench:serve`: load on the router's prediction and feedback endpoints (autocannon, 50 connections),
 * against a trivial Express JSON handler measured in the same run as the reference, then an audit that the event
 * store holds exactly the acknowledged events. Then the same router on the PostgreSQL event store, as 1 and as 3
 * replicas on one database (see below).
 *
 * Goals (docs/benchmarks.md): prediction throughput at least half the trivial handler's, p99 under 20 ms at 50 concurrent
 * connections on 2 cores. Serves the trained models from models/ and the catalog from data/processed/ (run
 * `abrec data` and `abrec train` first), or from BENCH_MODELS_DIR / BENCH_DATA_DIR.
 *
 * Two kinds of measurement, labelled as such in the output:
 * - saturation (closed loop): 50 connections each sending its next request as soon as the previous one is
 *   answered. This gives the throughput (and the ratio to the trivial handler). Its latency is NOT a latency
 *   goal check: by Little's law a closed loop's mean latency is connections / throughput (50 / 2,000 per second =
 *   25 ms), so at saturation p99 < 20 ms with 50 connections cannot hold even for the trivial handler here.
 * - fixed rate (open loop, `openLoop`): requests sent at evenly spaced times at a fixed offered rate over at
 *   most 50 keep-alive connections (by default half the trivial handler's measured saturation throughput, a
 *   quarter of that, and half the router's own), each latency counted from the time the request was due, not
 *   from when a connection became free (no coordinated omission). This is the latency the goal is about: p50/p99 at a load the server can
 *   carry. Not autocannon's `overallRate`: autocannon lets each connection send its share of a second
 *   back to back and then pause until the next second, so its "fixed rate" arrives in bursts of up to one
 *   request per connection at once, which measures burst queueing rather than latency at that rate.
 * Besides, the server's own CPU time per request (process.cpuUsage of the target, read over IPC) is reported: it
 * depends far less on what else runs on the machine than requests per second do. Beside each fixed-rate run, the
 * machine's own floor: the event-loop stalls of an idle process (`--target idle`: nothing but a 1 ms timer) and
 * the CPU time the hypervisor stole (/proc/stat).
 *
 * PostgreSQL (issue #15, scale-out): after the SQLite runs and their audit, a local PostgreSQL server
 * (`startLocalPostgres`, a fresh one per configuration so that each audit and each PostgreSQL CPU figure is that
 * configuration's alone) serves the router's event store, first to 1 router process, then to 3 on the same
 * database with the load's connections assigned to them round robin; each configuration runs saturation
 * predictions then feedback on them (a prediction served by one replica is often clicked through another), and
 * its store is audited like SQLite's, through the event store's own reader (a mismatch fails the bench). Printed:
 * a table with where each request's CPU time goes (the routers summed over the replicas, PostgreSQL's postmaster
 * and children from /proc, the load generator) and the cores they kept busy, the ratios PostgreSQL 1 replica /
 * SQLite and 3 replicas / 1, and the goal 3 replicas >= 2 x 1 replica as met or not with the reason: on 2 cores
 * the routers, PostgreSQL and the load generator share the CPU, so twice one replica's rate is out of reach
 * whenever it needs more CPU time per second than the cores have.
 *
 * Environment: BENCH_REQUESTS (saturation runs, default 20000), BENCH_CONNECTIONS (default 50), BENCH_RATE
 * (the first fixed-rate run, requests/s; default half the trivial handler's saturation throughput; the second
 * runs at a quarter of it, the third at half the router's own), BENCH_RATE_SECONDS (length of each fixed-rate
 * run, default 10), BENCH_WARMUP (unmeasured requests first, default 3000; on PostgreSQL that many per replica),
 * BENCH_POSTGRES=0 (skip the PostgreSQL runs, e.g. where Debian's PostgreSQL 15 is not installed).
 *
 * A second reference, the same echo handler on plain node:http, shows what Express itself costs per request (the
 * router's prediction and feedback endpoints take a node:http fast path, see src/serving/http.ts).
 *
 * The servers under load run in child processes (bench/serve/target-process.ts, started by bench/serve/targets.ts),
 * so the load generator (bench/serve/load.ts) does not share their event loop (it does share the machine's
 * cores). The scenarios, goals and audit are in bench/serve/scenarios.ts, the environment's settings in
 * bench/serve/settings.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startLocalPostgres } from "../src/deployment/postgres-server";
import { type Row, measure } from "./serve/load";
import {
  type SaturationRuns,
  type Served,
  auditEventStore,
  cpuTable,
  echoRequests,
  feedbackRequests,
  fixedRates,
  groupCommitLine,
  latencyGoal,
  modelScoring,
  perConnection,
  predictionRequests,
  scaleOutGoal,
  table,
  throughputGoal,
} from "./serve/scenarios";
import { CONNECTIONS, POSTGRES, RATE_SECONDS, REPLICAS, REQUESTS, WARMUP_REQUESTS } from "./serve/settings";
import { type Target, combinedStats, startTarget, stopTarget, targetStats } from "./serve/targets";

/**
 * The router on a fresh local PostgreSQL server as `replicas` target processes sharing its database, the load's
 * connections spread over them round robin: saturation predictions (after a warm-up of WARMUP_REQUESTS per
 * replica), then feedback on them, then the audit of that database alone. A server per configuration keeps each
 * audit to its own configuration's events, and each run's PostgreSQL CPU time to its own server's processes.
 */
async function onPostgres(replicas: number): Promise<SaturationRuns & { lines: string; auditOk: boolean }> {
  const label = `PostgreSQL, ${replicas} replica${replicas === 1 ? "" : "s"}`;
  const postgres = await startLocalPostgres();
  const routers: Target[] = [];
  try {
    // Started together: the first to connect creates the tables (under an advisory lock), the others wait.
    const started = await Promise.allSettled(
      Array.from({ length: replicas }, () => startTarget("router", postgres.url)),
    );
    for (const result of started) if (result.status === "fulfilled") routers.push(result.value);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;

    const served: Served[] = [];
    const predictions = predictionRequests(served);
    const around = { postgresPort: postgres.port };
    await measure(routers, "warm-up", { amount: WARMUP_REQUESTS * replicas, requests: predictions });
    const predictionRun = await measure(
      routers,
      `router POST /api/v1.0/predictions, ${label}`,
      { amount: REQUESTS, requests: predictions },
      around,
    );
    let acknowledgedClicks = 0;
    const feedback = await measure(
      routers,
      `router POST /api/v1.0/feedback, ${label}`,
      {
        amount: Math.min(REQUESTS, served.length),
        requests: feedbackRequests(served, () => acknowledgedClicks++),
      },
      around,
    );
    const groups = combinedStats(await Promise.all(routers.map(targetStats))).groupCommits;
    for (const router of routers.splice(0)) await stopTarget(router.child);
    const audit = await auditEventStore(postgres.url, served, acknowledgedClicks, `event store, ${label}`);
    return {
      predictions: predictionRun,
      feedback,
      lines: groupCommitLine(`group commits, ${label} (summed over the replicas)`, groups) + audit.line,
      auditOk: audit.ok,
    };
  } finally {
    for (const router of routers) await stopTarget(router.child);
    postgres.stop();
  }
}

async function main(): Promise<void> {
  const eventsDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-bench-serve-"));
  const eventsPath = path.join(eventsDir, "events.sqlite");
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
  process.stdout.write(
    `bench:serve: ${REQUESTS} requests per saturation run, ${CONNECTIONS} connections, ${os.cpus().length} CPUs, ` +
      `load average ${load()}, Node ${process.version}\n`,
  );
  const scoring = await modelScoring();
  process.stdout.write(scoring.line);

  const targets: Target[] = [];
  try {
    const trivial = await startTarget("trivial");
    targets.push(trivial);
    const plain = await startTarget("node");
    targets.push(plain);
    const server = await startTarget("router", eventsPath);
    targets.push(server);
    const idle = await startTarget("idle");
    targets.push(idle);

    // Every acknowledged prediction is kept for the feedback run and the audit.
    const served: Served[] = [];
    const predictions = predictionRequests(served);

    // Saturation (closed loop): throughput, after an unmeasured warm-up of each target.
    await measure([trivial], "warm-up", { amount: WARMUP_REQUESTS, requests: echoRequests });
    await measure([plain], "warm-up", { amount: WARMUP_REQUESTS, requests: echoRequests });
    await measure([server], "warm-up", { amount: WARMUP_REQUESTS, requests: predictions });
    const reference = await measure([trivial], "trivial Express JSON handler", {
      amount: REQUESTS,
      requests: echoRequests,
    });
    const plainReference = await measure([plain], "trivial node:http JSON handler (no Express)", {
      amount: REQUESTS,
      requests: echoRequests,
    });
    const predictionRun = await measure([server], "router POST /api/v1.0/predictions", {
      amount: REQUESTS,
      requests: predictions,
    });
    // Feedback: one click for each acknowledged prediction (up to REQUESTS).
    let acknowledgedClicks = 0;
    const feedback = await measure([server], "router POST /api/v1.0/feedback", {
      amount: Math.min(REQUESTS, served.length),
      requests: feedbackRequests(served, () => acknowledgedClicks++),
    });

    // Fixed rates (open loop), each for the trivial handler and the router, with the idle reference process
    // alongside and the hypervisor's CPU steal read over each run.
    const atRate: { rate: number; label: string; trivial: Row; router: Row }[] = [];
    for (const { rate, label } of fixedRates(reference.rps, predictionRun.rps)) {
      const amount = perConnection(rate * RATE_SECONDS);
      atRate.push({
        rate,
        label,
        trivial: await measure(
          [trivial],
          "trivial Express JSON handler",
          { amount, overallRate: rate, requests: echoRequests },
          { idle },
        ),
        router: await measure(
          [server],
          "router POST /api/v1.0/predictions",
          { amount, overallRate: rate, requests: predictions },
          { idle },
        ),
      });
    }
    const groups = (await targetStats(server)).groupCommits;

    const rows = [
      reference,
      plainReference,
      predictionRun,
      feedback,
      ...atRate.flatMap((run) => [run.trivial, run.router]),
    ];
    process.stdout.write(`\n${table(rows)}\n\n`);
    process.stdout.write(throughputGoal(reference, plainReference, predictionRun, scoring.meanMs));
    for (const run of atRate) process.stdout.write(latencyGoal(run));
    process.stdout.write(
      `  for reference only, NOT a goal check: p99 at saturation ${predictionRun.p99} ms (closed loop: mean latency = ` +
        `${CONNECTIONS} / throughput = ${((CONNECTIONS / predictionRun.rps) * 1000).toFixed(0)} ms by Little's law)\n` +
        `feedback throughput / trivial handler: ${(feedback.rps / reference.rps).toFixed(2)}\n` +
        groupCommitLine("group commits", groups) +
        `load average at the end: ${load()}\n`,
    );

    await stopTarget(server.child);
    const audit = await auditEventStore(eventsPath, served, acknowledgedClicks);
    process.stdout.write(audit.line);
    if (!audit.ok) process.exitCode = 1;

    // The PostgreSQL runs alone on the machine: the SQLite part's processes (the idle one's 1 ms timer) stopped.
    for (const target of targets.splice(0)) await stopTarget(target.child);
    if (POSTGRES) {
      const one = await onPostgres(1);
      const several = await onPostgres(REPLICAS);
      process.stdout.write(
        `\n${cpuTable([
          { ...predictionRun, name: `${predictionRun.name}, SQLite` },
          { ...feedback, name: `${feedback.name}, SQLite` },
          ...[one, several].flatMap((runs) => [runs.predictions, runs.feedback]),
        ])}\n\n` +
          scaleOutGoal({ predictions: predictionRun, feedback }, one, several, os.cpus().length) +
          one.lines +
          several.lines +
          `load average at the end: ${load()}\n`,
      );
      if (!one.auditOk || !several.auditOk) process.exitCode = 1;
    }
  } finally {
    for (const target of targets) await stopTarget(target.child);
    fs.rmSync(eventsDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
