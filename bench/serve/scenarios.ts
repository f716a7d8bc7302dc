/**
 * What bench:serve sends and what it concludes: the models' own scoring cost, the request templates (echo,
 * predictions, feedback), the fixed rates to run at, the results table and goal lines, and the audit of the event
 * store against the acknowledged answers.
 */
import * as path from "node:path";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR } from "../../src/core/paths";
import { readPreparedManifest } from "../../src/data/load";
import { MODEL_NAMES, loadTrainedModels } from "../../src/models/trained-models";
import { type GroupCommitStats, openEventStoreReader } from "../../src/serving/event-store";
import { predictionRequest } from "../../src/serving/seldon";
import type { AutocannonRequest, Row } from "./load";
import { CONNECTIONS, GOAL_P99_MS, GOAL_THROUGHPUT_RATIO, REPLICAS, USERS } from "./settings";

/** The models' own scoring cost (CPU time in this process): the floor under the router's per-request CPU. */
export async function modelScoring(): Promise<{ line: string; meanMs: number }> {
  const models = await loadTrainedModels(
    process.env.BENCH_MODELS_DIR ?? DEFAULT_MODELS_DIR,
    MODEL_NAMES,
    readPreparedManifest(
      path.join(process.env.BENCH_DATA_DIR ?? DEFAULT_DATA_DIR, "processed", "ml-latest-small"),
    ),
  );
  const scoringMs = models.map((model) => {
    for (let i = 0; i < 500; i++) model.recommend(1 + (i % USERS), 10);
    const started = process.cpuUsage();
    for (let i = 0; i < 2000; i++) model.recommend(1 + (i % USERS), 10);
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000 / 2000;
  });
  return {
    line:
      `model scoring per request (recommend, k = 10, CPU time, mean of 2000): ` +
      `${models.map((model, i) => `${model.name} ${scoringMs[i].toFixed(3)} ms`).join(", ")}\n`,
    meanMs: scoringMs.reduce((a, b) => a + b, 0) / scoringMs.length,
  };
}

/** The reference handlers' request: a prediction body, echoed back. */
export const echoRequests: AutocannonRequest[] = [
  {
    method: "POST",
    path: "/",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(predictionRequest(1, 10)),
  },
];

/** An acknowledged prediction: its request id, the first movie shown and the child that served it. */
export interface Served {
  puid: string;
  movieId: number;
  routing: number;
}

/** Predictions: users cycle over 1..610; every acknowledged response is pushed to `served`. */
export function predictionRequests(served: Served[]): AutocannonRequest[] {
  let nextUser = 0;
  return [
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
  ];
}

/** Feedback: one click on the first movie of each served prediction, in order; `acknowledged` on each 200. */
export function feedbackRequests(served: readonly Served[], acknowledged: () => void): AutocannonRequest[] {
  let nextFeedback = 0;
  return [
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
        if (status === 200) acknowledged();
      },
    },
  ];
}

/** Rounds a rate or count to a multiple of the connection count (at least one per connection). */
export function perConnection(value: number): number {
  return Math.max(CONNECTIONS, Math.round(value / CONNECTIONS) * CONNECTIONS);
}

/**
 * The fixed rates (open loop), each run for the trivial handler and the router: half the trivial handler's
 * saturation throughput (or BENCH_RATE: the goal's check), an eighth of it (so little load that no queue builds
 * up: what remains of the tail is the machine's), and half the router's own; duplicates dropped.
 */
export function fixedRates(trivialRps: number, routerRps: number): { rate: number; label: string }[] {
  const goalRate = perConnection(Number(process.env.BENCH_RATE ?? trivialRps / 2));
  // The labels say what the rates are: with BENCH_RATE set, the first two are that rate and a quarter of it.
  const goalLabel =
    process.env.BENCH_RATE === undefined ? "half the trivial handler's saturation throughput" : "BENCH_RATE";
  return [
    { rate: goalRate, label: goalLabel },
    {
      rate: perConnection(goalRate / 4),
      label:
        process.env.BENCH_RATE === undefined
          ? "an eighth of the trivial handler's saturation throughput"
          : "a quarter of BENCH_RATE",
    },
    { rate: perConnection(routerRps / 2), label: "half the router's saturation throughput" },
  ].filter((run, i, all) => all.findIndex((other) => other.rate === run.rate) === i);
}

/** The results as a Markdown table, one row per run. */
export function table(rows: Row[]): string {
  return (
    "| run | load | requests/s | p50 ms | p99 ms | 2xx | failed | server CPU ms/request |\n" +
    "|---|---|---:|---:|---:|---:|---:|---:|\n" +
    rows
      .map(
        (r) =>
          `| ${r.name} | ${r.load} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.ok} | ${r.failed} | ` +
          `${r.cpuMsPerRequest.toFixed(3)} |`,
      )
      .join("\n")
  );
}

const check = (met: boolean) => (met ? "met" : "NOT met");

/**
 * The runs on PostgreSQL beside SQLite's, with where the CPU time of a request goes: the routers (summed over the
 * replicas; on SQLite this includes the store), PostgreSQL (the postmaster and its children) and the load
 * generator (this process), and how many of the machine's cores they kept busy together.
 */
export function cpuTable(rows: Row[]): string {
  const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : "-");
  return (
    "| run | load | requests/s | p50 ms | p99 ms | 2xx | failed | routers CPU ms/request | PostgreSQL CPU " +
    "ms/request | load generator CPU ms/request | cores busy |\n" +
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
    rows
      .map(
        (r) =>
          `| ${r.name} | ${r.load} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.ok} | ${r.failed} | ` +
          `${ms(r.cpuMsPerRequest)} | ${ms(r.databaseCpuMsPerRequest)} | ${ms(r.loadCpuMsPerRequest)} | ` +
          `${((r.rps * cpuMsPerRequest(r)) / 1000).toFixed(2)} |`,
      )
      .join("\n")
  );
}

/** All the CPU time a request costs on this machine (routers, PostgreSQL, load generator), ms. */
function cpuMsPerRequest(row: Row): number {
  return (
    row.cpuMsPerRequest +
    (Number.isFinite(row.databaseCpuMsPerRequest) ? row.databaseCpuMsPerRequest : 0) +
    row.loadCpuMsPerRequest
  );
}

/** The group commits of one configuration: transactions, events, mean group size, longest commit. */
export function groupCommitLine(label: string, groups: GroupCommitStats | undefined): string {
  const { commits, writes, longestMs } = groups ?? { commits: 0, writes: 0, longestMs: NaN };
  return (
    `${label}: ${commits} transactions for ${writes} events (mean ${(writes / Math.max(1, commits)).toFixed(1)} ` +
    `per commit, longest ${longestMs.toFixed(1)} ms)\n`
  );
}

/** One configuration's saturation runs: predictions, then feedback on them. */
export interface SaturationRuns {
  predictions: Row;
  feedback: Row;
}

/**
 * The ratios of the PostgreSQL store to SQLite's and of REPLICAS (3) to 1, and the scale-out goal (REPLICAS
 * at least twice one replica's throughput) with its reason: on a machine of `cores` cores that the routers,
 * PostgreSQL and the load generator share, twice one replica's rate needs twice its CPU time per second (at the
 * replicas' CPU cost per request): needing more than the cores have caps the throughput whatever the number of
 * replicas. (Other processes on the machine are not counted: the load average shows them.)
 */
export function scaleOutGoal(
  sqlite: SaturationRuns,
  one: SaturationRuns,
  several: SaturationRuns,
  cores: number,
): string {
  const ratio = (a: Row, b: Row) => (a.rps / b.rps).toFixed(2);
  const goal = (kind: keyof SaturationRuns) => {
    const [single, replicated] = [one[kind], several[kind]];
    const scale = replicated.rps / single.rps;
    const coresForTwice = (2 * single.rps * cpuMsPerRequest(replicated)) / 1000;
    const busy = (row: Row) => ((row.rps * cpuMsPerRequest(row)) / 1000).toFixed(2);
    const reason =
      coresForTwice > cores
        ? `CPU-bound: twice one replica's ${single.rps.toFixed(0)}/s at ${REPLICAS} replicas' ` +
          `${cpuMsPerRequest(replicated).toFixed(3)} ms of CPU per request would keep ${coresForTwice.toFixed(2)} ` +
          `cores busy, the machine has ${cores} (at most ${((cores * 1000) / cpuMsPerRequest(replicated)).toFixed(0)}/s)`
        : `not CPU-bound (twice one replica's rate needs ${coresForTwice.toFixed(2)} of ${cores} cores): the ` +
          "limit is elsewhere, e.g. PostgreSQL's commits and row locks (see the group commits)";
    return (
      `GOAL scale-out (${kind}): ${REPLICAS} replicas / 1 replica ${scale.toFixed(2)} (goal >= 2: ${check(scale >= 2)}` +
      `${scale >= 2 ? "" : `; ${reason}`})\n` +
      `  CPU ms per request, 1 replica / ${REPLICAS} replicas: routers ${single.cpuMsPerRequest.toFixed(3)} / ` +
      `${replicated.cpuMsPerRequest.toFixed(3)} (summed over the replicas), PostgreSQL ` +
      `${single.databaseCpuMsPerRequest.toFixed(3)} / ${replicated.databaseCpuMsPerRequest.toFixed(3)}, load ` +
      `generator ${single.loadCpuMsPerRequest.toFixed(3)} / ${replicated.loadCpuMsPerRequest.toFixed(3)}; cores ` +
      `busy ${busy(single)} / ${busy(replicated)} of ${cores}\n`
    );
  };
  return (
    `PostgreSQL 1 replica / SQLite, requests per second at saturation: predictions ` +
    `${ratio(one.predictions, sqlite.predictions)}, feedback ${ratio(one.feedback, sqlite.feedback)}\n` +
    `PostgreSQL ${REPLICAS} replicas / 1 replica: predictions ${ratio(several.predictions, one.predictions)}, feedback ` +
    `${ratio(several.feedback, one.feedback)}\n` +
    goal("predictions") +
    goal("feedback")
  );
}

/** The throughput goal: predictions against the trivial Express handler, both at saturation. */
export function throughputGoal(
  reference: Row,
  plainReference: Row,
  predictions: Row,
  meanScoringMs: number,
): string {
  const ratio = predictions.rps / reference.rps;
  const cpuRatio = reference.cpuMsPerRequest / predictions.cpuMsPerRequest;
  return (
    `GOAL throughput: prediction / trivial Express handler requests per second, both at saturation ` +
    `(closed loop, ${CONNECTIONS} connections): ${ratio.toFixed(2)} (goal >= ${GOAL_THROUGHPUT_RATIO}: ` +
    `${check(ratio >= GOAL_THROUGHPUT_RATIO)})\n` +
    `  the same from server CPU time per request (trivial / prediction): ${cpuRatio.toFixed(2)}; prediction ` +
    `${predictions.cpuMsPerRequest.toFixed(3)} ms, of which model scoring ~${meanScoringMs.toFixed(3)} ms, ` +
    `the rest ${(predictions.cpuMsPerRequest - meanScoringMs).toFixed(3)} ms; trivial Express ` +
    `${reference.cpuMsPerRequest.toFixed(3)} ms, trivial node:http ${plainReference.cpuMsPerRequest.toFixed(3)} ms\n`
  );
}

/** The machine's floor during a fixed-rate run: the idle process's event-loop stalls and the CPU steal. */
function floor(row: Row): string {
  return (
    `idle process's event loop (a 1 ms timer, nothing else) delay p99 ${row.idle!.loopDelayP99Ms.toFixed(1)} ms, ` +
    `max ${row.idle!.loopDelayMaxMs.toFixed(1)} ms` +
    (row.idle!.loopDelayMaxMs >= GOAL_P99_MS
      ? ` (at least the goal's ${GOAL_P99_MS} ms: this machine can hold up any process that long)`
      : "") +
    `; CPU steal ${row.stealPercent.toFixed(1)}% of the machine`
  );
}

/** The latency goal at one fixed rate, with the server's event loop and the machine's floor beside it. */
export function latencyGoal(run: { rate: number; label: string; trivial: Row; router: Row }): string {
  const sustained = run.router.rps >= 0.95 * run.rate;
  return (
    `GOAL latency: prediction p99 at a fixed ${run.rate} requests/s (open loop, ${CONNECTIONS} connections, ` +
    `${run.label}): ` +
    `${run.router.p99} ms (goal < ${GOAL_P99_MS} ms: ${check(run.router.p99 < GOAL_P99_MS && sustained)}` +
    `${sustained ? "" : `; rate NOT sustained, ${run.router.rps.toFixed(0)}/s achieved`}); p50 ` +
    `${run.router.p50} ms; trivial handler at the same rate: p50 ${run.trivial.p50} ms, p99 ${run.trivial.p99} ms\n` +
    `  server event loop during these runs (stalls add to every request waiting): router delay p99 ` +
    `${run.router.server.loopDelayP99Ms.toFixed(1)} ms, max ${run.router.server.loopDelayMaxMs.toFixed(1)} ms, ` +
    `${run.router.server.gcPauses} GC pauses (longest ${run.router.server.gcMaxMs.toFixed(1)} ms); trivial ` +
    `delay p99 ${run.trivial.server.loopDelayP99Ms.toFixed(1)} ms, max ${run.trivial.server.loopDelayMaxMs.toFixed(1)} ms, ` +
    `${run.trivial.server.gcPauses} GC pauses (longest ${run.trivial.server.gcMaxMs.toFixed(1)} ms)\n` +
    `  the machine's floor (no server involved): during the router's run ${floor(run.router)}; during the ` +
    `trivial handler's ${floor(run.trivial)}\n`
  );
}

/**
 * Audit: the store at `location` (an SQLite file or a postgresql:// URL, read through the event store's own
 * reader) holds exactly the acknowledged impressions and clicks (read after the servers stopped). A request the
 * client gave up on may have been stored without being acknowledged; none may be missing. `label` names the
 * store in the line.
 */
export async function auditEventStore(
  location: string,
  served: readonly Served[],
  acknowledgedClicks: number,
  label = "event store",
): Promise<{ line: string; ok: boolean }> {
  const store = await openEventStoreReader(location);
  const [sizes, { variants: counts }, ids] = await Promise.all([
    store.tableSizes(),
    store.counts(),
    store.requestIds(),
  ]).finally(() => store.close());
  const stored = new Set(ids.map((r) => r.requestId));
  const clicks = counts.reduce((sum, r) => sum + r.clicks, 0);
  const missing = served.filter((s) => !stored.has(s.puid)).length;
  const ok =
    missing === 0 &&
    sizes.impressions === served.length &&
    clicks === acknowledgedClicks &&
    sizes.feedback === acknowledgedClicks;
  return {
    ok,
    line:
      `${label}: ${sizes.impressions} impressions (acknowledged ${served.length}), ${clicks} clicks ` +
      `(acknowledged ${acknowledgedClicks}), split ${counts.map((r) => `${r.variant} ${r.impressions}`).join(" / ")}: ` +
      `${ok ? "exactly the acknowledged events" : `MISMATCH (${missing} acknowledged impressions missing)`}\n`,
  };
}
