/**
 * The servers under load, each in its own child process (./target-process.ts) so that the load generator does
 * not share their event loop: start one, read its statistics over IPC, stop it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";

/** What a target process reports over IPC: its CPU time so far and, for the router, its group commits. */
export interface TargetStats {
  cpuMs: number;
  groupCommits?: { commits: number; writes: number; longestMs: number };
  /** Since the previous report: event-loop delay (p99, max, ms) and garbage-collection pauses. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcPauses: number;
  gcMaxMs: number;
}

export interface Target {
  child: ChildProcess;
  url: string;
}

/** What each kind of target serves: see ./target-process.ts. */
export type TargetKind = "trivial" | "node" | "router" | "idle";

/**
 * Starts a target child process (with an IPC channel for its stats) and resolves with its URL. `events` is the
 * router's event store: an SQLite file, or a postgresql:// URL that several router targets may share.
 */
export function startTarget(kind: TargetKind, events = ""): Promise<Target> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(__dirname, "target-process.ts"), kind, events],
    {
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      const match = /listening (\S+)/.exec(String(chunk));
      if (match) resolve({ child, url: match[1] });
    });
    child.once("exit", (code) => reject(new Error(`bench target ${kind} exited with ${code}`)));
  });
}

export function targetStats(target: Target): Promise<TargetStats> {
  return new Promise((resolve) => {
    target.child.once("message", (message) => resolve(message as TargetStats));
    target.child.send("stats");
  });
}

/**
 * The figures of several targets (replicas) as one: CPU time, group commits and GC pauses summed, the event-loop
 * delays and the longest commit and pause the worst of them.
 */
export function combinedStats(stats: readonly TargetStats[]): TargetStats {
  const sum = (of: (s: TargetStats) => number) => stats.reduce((total, s) => total + of(s), 0);
  const worst = (of: (s: TargetStats) => number) => Math.max(...stats.map(of));
  const commits = stats.flatMap((s) => (s.groupCommits ? [s.groupCommits] : []));
  return {
    cpuMs: sum((s) => s.cpuMs),
    groupCommits:
      commits.length === 0
        ? undefined
        : {
            commits: commits.reduce((total, c) => total + c.commits, 0),
            writes: commits.reduce((total, c) => total + c.writes, 0),
            longestMs: Math.max(...commits.map((c) => c.longestMs)),
          },
    loopDelayP99Ms: worst((s) => s.loopDelayP99Ms),
    loopDelayMaxMs: worst((s) => s.loopDelayMaxMs),
    gcPauses: sum((s) => s.gcPauses),
    gcMaxMs: worst((s) => s.gcMaxMs),
  };
}

export function stopTarget(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
