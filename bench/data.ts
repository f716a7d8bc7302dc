/**
 * `npm run bench:data`: the project's DuckDB preprocessing against the same steps in pandas (Debian's
 * python3-pandas), on the same synthetic ratings file (25M rows by default, generated once under
 * data/bench/synthetic and reused), under each split (user-temporal and global; `--split` picks one). Each runs in
 * its own process under /usr/bin/time, which reports wall time and peak resident memory; the counts both print
 * must agree, so both did the same work. The user-temporal minus global figures are the cost of ranking every
 * user's ratings by time. The 1-minute load average before each run is printed: other work on the machine slows
 * whichever run it overlaps.
 *
 * Usage: tsx bench/data.ts [--ratings N] [--seed S] [--split user-temporal|global]
 * Goal (docs/benchmarks.md): >= 3x faster than pandas with <= half its peak memory, under each split.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_DATA_DIR, PROJECT_ROOT } from "../src/core/paths";
import { DEFAULT_SEED } from "../src/core/random";
import { ensureRawDataset } from "../src/data/ensure";
import { SPLIT_NAMES } from "../src/data/prepare";
import type { SplitName } from "../src/data/types";

interface Measured {
  wallSeconds: number;
  peakRssMiB: number;
  counts: Record<string, number | string>;
  /** 1-minute load average just before the run. */
  loadBefore: number;
}

const SPEED_GOAL = 3;
const MEMORY_GOAL = 0.5;

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function numberOption(name: string, fallback: number): number {
  const value = option(name);
  if (value === undefined) return fallback;
  if (!Number.isInteger(Number(value)) || Number(value) <= 0)
    throw new Error(`${name}: expected a positive integer, got "${value}"`);
  return Number(value);
}

function splitsOption(): readonly SplitName[] {
  const value = option("--split");
  if (value === undefined) return SPLIT_NAMES;
  if (!SPLIT_NAMES.includes(value as SplitName))
    throw new Error(`--split: expected one of ${SPLIT_NAMES.join(", ")}, got "${value}"`);
  return [value as SplitName];
}

/** Runs `command args` under /usr/bin/time; returns wall time, peak RSS and the JSON line it printed. */
function measure(label: string, command: string, args: string[]): Measured {
  const timeFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-bench-")), "time.txt");
  const loadBefore = os.loadavg()[0];
  process.stderr.write(`running ${label} (load average ${loadBefore.toFixed(2)})...\n`);
  const run = spawnSync("/usr/bin/time", ["-f", "%e %M", "-o", timeFile, command, ...args], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    maxBuffer: 16 * 2 ** 20,
  });
  if (run.status !== 0) throw new Error(`${label} failed (${run.status}):\n${run.stderr}`);
  const [wall, rssKiB] = fs.readFileSync(timeFile, "utf8").trim().split(/\s+/).slice(-2).map(Number);
  return {
    wallSeconds: wall,
    peakRssMiB: rssKiB / 1024,
    counts: JSON.parse(run.stdout.trim().split("\n").pop()!) as Measured["counts"],
    loadBefore,
  };
}

interface SplitRun {
  split: SplitName;
  duckdb: Measured;
  pandas: Measured;
  agree: boolean;
}

const seconds = (value: number) => `${value.toFixed(1)} s`;
const mebibytes = (value: number) => `${value.toFixed(0)} MiB`;
const signed = (text: string) => (text.startsWith("-") ? text : `+${text}`);

/** Rows of cells as aligned text: the first `left` columns padded on the right, the others on the left. */
function aligned(rows: string[][], left: number): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column < left ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join("  ")
      .trimEnd(),
  );
}

/** The report: a row per split and engine, the ratios against the goals, the ranking's cost, the counts. */
function report(header: string, runs: SplitRun[]): string[] {
  const measured = [["split", "engine", "wall", "peak RSS", "load before"]];
  for (const run of runs)
    for (const engine of ["duckdb", "pandas"] as const) {
      const m = run[engine];
      measured.push([
        run.split,
        engine,
        seconds(m.wallSeconds),
        mebibytes(m.peakRssMiB),
        m.loadBefore.toFixed(2),
      ]);
    }
  const ratios = [["split", "pandas/duckdb time", "duckdb/pandas memory", "goals"]];
  for (const { split, duckdb, pandas } of runs) {
    const speedUp = pandas.wallSeconds / duckdb.wallSeconds;
    const memory = duckdb.peakRssMiB / pandas.peakRssMiB;
    const met = speedUp >= SPEED_GOAL && memory <= MEMORY_GOAL;
    ratios.push([split, `${speedUp.toFixed(2)}x`, `${memory.toFixed(3)}x`, met ? "met" : "MISSED"]);
  }
  const lines = [
    header,
    ...aligned(measured, 2),
    `goals: pandas/duckdb time >= ${SPEED_GOAL}x, duckdb/pandas memory <= ${MEMORY_GOAL}x`,
    ...aligned(ratios, 1),
  ];
  const perUser = runs.find((run) => run.split === "user-temporal");
  const global = runs.find((run) => run.split === "global");
  if (perUser && global) {
    const cost = [["ranking cost (user-temporal - global)", "wall", "peak RSS"]];
    for (const engine of ["duckdb", "pandas"] as const)
      cost.push([
        engine,
        signed(seconds(perUser[engine].wallSeconds - global[engine].wallSeconds)),
        signed(mebibytes(perUser[engine].peakRssMiB - global[engine].peakRssMiB)),
      ]);
    lines.push(...aligned(cost, 1));
  }
  for (const run of runs) {
    lines.push(
      `counts ${run.split}: ${run.agree ? "agree" : "DIFFER"}: ${JSON.stringify(run.duckdb.counts)}`,
    );
    if (!run.agree) lines.push(`pandas ${run.split}: ${JSON.stringify(run.pandas.counts)}`);
  }
  return lines;
}

async function main(): Promise<void> {
  const ratings = numberOption("--ratings", 25_000_000);
  const seed = numberOption("--seed", DEFAULT_SEED);
  const splits = splitsOption();
  const benchDir = path.join(DEFAULT_DATA_DIR, "bench");
  const started = Date.now();
  const rawDir = await ensureRawDataset({ dataset: "synthetic", dataDir: benchDir, ratings, seed });
  const sizeMiB = fs.statSync(path.join(rawDir, "ratings.csv")).size / 2 ** 20;
  process.stderr.write(
    `input: ${rawDir}/ratings.csv, ${ratings} ratings, ${sizeMiB.toFixed(0)} MiB (ready in ${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  // Warm the page cache so neither run pays for the first read from disk.
  for (const name of ["ratings.csv", "movies.csv"])
    for await (const chunk of fs.createReadStream(path.join(rawDir, name))) void chunk;

  const outRoot = fs.mkdtempSync(path.join(benchDir, "out-"));
  try {
    const runs: SplitRun[] = [];
    for (const split of splits) {
      const out = (engine: string) => path.join(outRoot, `${engine}-${split}`);
      const duckdb = measure(`DuckDB (src/data/prepare.ts), ${split}`, process.execPath, [
        "--import",
        "tsx",
        path.join("bench", "prepare-duckdb.ts"),
        rawDir,
        out("duckdb"),
        split,
      ]);
      const pandas = measure(`pandas (bench/prepare_pandas.py), ${split}`, "/usr/bin/python3", [
        path.join("bench", "prepare_pandas.py"),
        rawDir,
        out("pandas"),
        "--split",
        split,
      ]);
      // Both outputs of one split at once would only crowd the disk cache: keep the figures, drop the files.
      fs.rmSync(out("duckdb"), { recursive: true, force: true });
      fs.rmSync(out("pandas"), { recursive: true, force: true });
      runs.push({
        split,
        duckdb,
        pandas,
        agree: JSON.stringify(duckdb.counts) === JSON.stringify(pandas.counts),
      });
    }
    const load = os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(" ");
    const header =
      `bench:data  ${ratings} ratings (${sizeMiB.toFixed(0)} MiB CSV), ${os.cpus().length} cores, ` +
      `node ${process.version}, load average at the end ${load} (1, 5, 15 min)`;
    process.stdout.write(report(header, runs).join("\n") + "\n");
    if (runs.some((run) => !run.agree)) process.exitCode = 1;
  } finally {
    fs.rmSync(outRoot, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
