/**
 * The load generator: autocannon for closed-loop (saturation) runs, `openLoop` for fixed-rate runs on raw
 * keep-alive sockets, and `measure`, which runs either against one target or several (replicas: the connections
 * assigned to them round robin) and reads around it the servers' CPU time, the load generator's own, PostgreSQL's
 * (when given its port), the idle reference's figures and the machine's CPU steal.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { CONNECTIONS } from "./settings";
import { type Target, type TargetStats, combinedStats, targetStats } from "./targets";

export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  "2xx": number;
  duration: number;
}
export interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}
export interface LoadOptions {
  /** One URL per target: connection i goes to url[i % url.length] (autocannon's rule, kept by `openLoop`). */
  url: string[];
  connections: number;
  amount: number;
  /** Requests per second, sent by `openLoop` (open loop); closed loop (autocannon) when absent. */
  overallRate?: number;
  requests: AutocannonRequest[];
}
const autocannonRun = require("autocannon") as (
  options: LoadOptions & { timeout: number; sampleInt: number },
) => Promise<AutocannonResult>;

/** Seconds before autocannon gives up on a request: long, so that every request is answered (acknowledged). */
const TIMEOUT_SECONDS = 120;
/**
 * autocannon's sampling interval, ms. A run of a given amount of requests ends at the first sample after the last
 * answer, and its duration with it: at autocannon's default of 1 s a 10 s run could read up to 10% slow.
 */
const SAMPLE_MS = 10;

/** An open-loop connection: the request head for its target, and the due time of its request in flight. */
type Connection = net.Socket & { head: string; dueMs: number };

export interface Row {
  name: string;
  /** "saturation" (closed loop) or "fixed N/s" (open loop). */
  load: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  /** Server CPU time (user + system) per answered request, ms: summed over the targets (replicas). */
  cpuMsPerRequest: number;
  /** This process's CPU time (the load generator) per answered request, ms. */
  loadCpuMsPerRequest: number;
  /** PostgreSQL's CPU time (the postmaster and its children) per answered request, ms; NaN without PostgreSQL. */
  databaseCpuMsPerRequest: number;
  /** The servers' event-loop delay and GC pauses during the run (`TargetStats`, combined over the targets). */
  server: TargetStats;
  /** Fixed-rate runs: the same figures from the idle reference process (`startTarget("idle")`) over the run. */
  idle?: TargetStats;
  /** Share of the machine's CPU time stolen by the hypervisor during the run, % (Linux /proc/stat; else NaN). */
  stealPercent: number;
}

/** The machine's CPU time so far from /proc/stat (Linux): total and stolen by the hypervisor, in ticks. */
function cpuTicks(): { total: number; steal: number } {
  try {
    const fields = fs
      .readFileSync("/proc/stat", "utf8")
      .split("\n")[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return { total: NaN, steal: NaN };
  }
}

/** Linux's USER_HZ: /proc reports CPU times in these ticks per second (100 on every architecture Node runs on). */
const USER_HZ = 100;

/** The fields of /proc/PID/stat after the command name (which may hold spaces): [0] is field 3, the state. */
function procStat(pid: string): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined; // exited meanwhile
  }
}

/**
 * PostgreSQL's CPU time so far, ms (Linux /proc): the postmaster listening on `port` (found by its `-p PORT`
 * argument), its live children (the backends, WAL writer, checkpointer...) and its exited children (cutime,
 * cstime). NaN when no such process is found, e.g. off Linux.
 */
export function postgresCpuMs(port: number): number {
  const pids = fs.readdirSync("/proc").filter((name) => /^[0-9]+$/.test(name));
  const postmaster = pids.find((pid) => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return path.basename(argv[0]) === "postgres" && argv[argv.indexOf("-p") + 1] === String(port);
    } catch {
      return false;
    }
  });
  const own = postmaster === undefined ? undefined : procStat(postmaster);
  if (!own) return NaN;
  // utime, stime, cutime, cstime are fields 14-17
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of pids) {
    const fields = procStat(pid);
    if (fields !== undefined && fields[1] === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / USER_HZ;
}

/**
 * Open-loop load: request i is due at start + i / rate seconds. At most `connections` keep-alive connections
 * carry them, one request at a time each; a due request waits for a free connection, and that wait counts as
 * latency, which is measured from the due time to the end of the response (no coordinated omission: a slow
 * server cannot hide its delay by slowing the sender). The client writes preformatted HTTP/1.1 requests on raw
 * sockets and reads responses by their Content-Length (both servers under test always send one), because
 * node's http client costs enough CPU per request to compete with the server on 2 cores.
 */
async function openLoop(options: {
  url: string[];
  connections: number;
  rate: number;
  amount: number;
  path: string;
  headers: Record<string, string>;
  body: () => string;
  onResponse?: (status: number, body: string) => void;
}): Promise<AutocannonResult> {
  const headers = Object.entries(options.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  const head = (url: URL) =>
    `POST ${options.path} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: keep-alive\r\n${headers}`;
  const targets = options.url.map((url) => ({ url: new URL(url), head: head(new URL(url)) }));
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const due: number[] = [];
  const idle: net.Socket[] = [];
  const sockets: net.Socket[] = [];
  let next = 0;
  let answered = 0;
  const started = performance.now();
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const dispatch = () => {
    while (due.length > 0 && idle.length > 0) {
      const socket = idle.shift()! as Connection; // round robin: every connection carries its share
      const dueMs = due.shift()!;
      const body = options.body();
      socket.dueMs = dueMs;
      socket.write(`${socket.head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
  };
  const complete = (socket: net.Socket, status: number, body: string) => {
    latencies.push(performance.now() - (socket as Connection).dueMs);
    if (status >= 200 && status < 300) ok++;
    else non2xx++;
    options.onResponse?.(status, body);
    idle.push(socket);
    if (++answered + errors >= options.amount) finish();
    else dispatch();
  };
  await Promise.all(
    Array.from(
      { length: options.connections },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const target = targets[i % targets.length];
          const socket = Object.assign(
            net.connect(Number(target.url.port), target.url.hostname, () => resolve()),
            { head: target.head, dueMs: NaN },
          );
          socket.setNoDelay(true);
          socket.once("error", reject);
          socket.on("error", () => {}); // after connecting, a failure shows as "close" below
          sockets.push(socket);
          idle.push(socket);
          let buffer: Buffer = Buffer.alloc(0);
          socket.on("data", (chunk: Buffer) => {
            buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
            const end = buffer.indexOf("\r\n\r\n");
            if (end < 0) return;
            const header = buffer.subarray(0, end).toString("latin1");
            const length = Number(/\r\ncontent-length: *([0-9]+)/i.exec(header)?.[1] ?? NaN);
            if (!(length >= 0)) throw new Error(`response without content-length: ${header}`);
            if (buffer.length < end + 4 + length) return;
            const body = buffer.subarray(end + 4, end + 4 + length).toString("utf8");
            buffer = buffer.subarray(end + 4 + length);
            complete(socket, Number(header.slice(9, 12)), body);
          });
          socket.on("close", () => {
            // The server may close a connection it found idle (keep-alive timeout): drop it from the pool. A
            // request in flight on it failed; with no connection left, the rest fail too.
            const pooled = idle.indexOf(socket);
            if (pooled >= 0) idle.splice(pooled, 1);
            else if (sockets.includes(socket)) errors++;
            if (sockets.includes(socket)) sockets.splice(sockets.indexOf(socket), 1);
            if (sockets.length === 0 && answered + errors < options.amount)
              errors = options.amount - answered;
            if (answered + errors >= options.amount) finish();
          });
        }),
    ),
  );
  const timer = setInterval(() => {
    const now = performance.now();
    while (next < options.amount && started + (next * 1000) / options.rate <= now)
      due.push(started + (next++ * 1000) / options.rate);
    dispatch();
    if (next >= options.amount) clearInterval(timer);
  }, 1);
  await finished;
  clearInterval(timer);
  const durationS = (performance.now() - started) / 1000;
  for (const socket of sockets.splice(0)) socket.destroy();
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN);
  return {
    requests: { average: (ok + non2xx) / durationS, total: ok + non2xx },
    latency: {
      p50: quantile(0.5),
      p99: quantile(0.99),
      average: NaN,
      max: Math.round(latencies.at(-1) ?? NaN),
    },
    non2xx,
    errors,
    timeouts: 0,
    "2xx": ok,
    duration: durationS,
  };
}

/**
 * One run against `targets` (autocannon closed loop, or `openLoop` with `overallRate`), their connections
 * assigned round robin, with the CPU time of the targets, of this process and, given `around.postgresPort`, of
 * that PostgreSQL server; `around.idle` is the idle reference process read over the run.
 */
export async function measure(
  targets: readonly Target[],
  name: string,
  options: Omit<LoadOptions, "url" | "connections">,
  around: { idle?: Target; postgresPort?: number } = {},
): Promise<Row> {
  const { idle, postgresPort } = around;
  const before = combinedStats(await Promise.all(targets.map(targetStats)));
  if (idle) await targetStats(idle); // resets its figures to this run
  const ticksBefore = cpuTicks();
  const loadBefore = process.cpuUsage();
  const databaseBefore = postgresPort === undefined ? NaN : postgresCpuMs(postgresPort);
  const template = options.requests[0];
  const url = targets.map((target) => target.url);
  const result =
    options.overallRate === undefined
      ? await autocannonRun({
          ...options,
          url,
          connections: CONNECTIONS,
          timeout: TIMEOUT_SECONDS,
          sampleInt: SAMPLE_MS,
        })
      : await openLoop({
          url,
          connections: CONNECTIONS,
          rate: options.overallRate,
          amount: options.amount,
          path: template.path,
          headers: template.headers ?? {},
          body: () => (template.setupRequest ? template.setupRequest(template).body : template.body) ?? "",
          onResponse: template.onResponse,
        });
  const databaseAfter = postgresPort === undefined ? NaN : postgresCpuMs(postgresPort);
  const load = process.cpuUsage(loadBefore);
  const after = combinedStats(await Promise.all(targets.map(targetStats)));
  const ticksAfter = cpuTicks();
  const answered = Math.max(1, result["2xx"] + result.non2xx);
  return {
    name,
    load: options.overallRate === undefined ? "saturation" : `fixed ${options.overallRate}/s`,
    rps: (result["2xx"] + result.non2xx) / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result["2xx"],
    failed: result.non2xx + result.errors + result.timeouts,
    cpuMsPerRequest: (after.cpuMs - before.cpuMs) / answered,
    loadCpuMsPerRequest: (load.user + load.system) / 1000 / answered,
    databaseCpuMsPerRequest: (databaseAfter - databaseBefore) / answered,
    server: after,
    idle: idle ? await targetStats(idle) : undefined,
    stealPercent: (100 * (ticksAfter.steal - ticksBefore.steal)) / (ticksAfter.total - ticksBefore.total),
  };
}
