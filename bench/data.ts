/**
 * `npm run bench:data`: the project's DuckDB preprocessing against the same steps in pandas (Debian's
 * python3-pandas), on the same synthetic ratings file (25M rows by default, generated once under
 * data/bench/synthetic and reused). Each runs in its own process under /usr/bin/time, which reports wall time and
 * peak resident memory; the counts both print must agree, so both did the same work.
 *
 * Usage: tsx bench/data.ts [--ratings N] [--seed S]
 * Goal (docs/benchmarks.md): >= 3x faster than pandas with <= half its peak memory.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_DATA_DIR, PROJECT_ROOT } from "../src/core/paths";
import { DEFAULT_SEED } from "../src/core/random";
import { ensureRawDataset } from "../src/data/ensure";

interface Measured {
  wallSeconds: number;
  peakRssMiB: number;
  counts: Record<string, number>;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** Runs `command args` under /usr/bin/time; returns wall time, peak RSS and the JSON line it printed. */
function measure(label: string, command: string, args: string[]): Measured {
  const timeFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-bench-")), "time.txt");
  process.stderr.write(`running ${label}...\n`);
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
    counts: JSON.parse(run.stdout.trim().split("\n").pop()!),
  };
}

async function main(): Promise<void> {
  const ratings = option("--ratings", 25_000_000);
  const seed = option("--seed", DEFAULT_SEED);
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
    const duckdb = measure("DuckDB (src/data/prepare.ts)", process.execPath, [
      "--import",
      "tsx",
      path.join("bench", "prepare-duckdb.ts"),
      rawDir,
      path.join(outRoot, "duckdb"),
    ]);
    const pandas = measure("pandas (bench/prepare_pandas.py)", "/usr/bin/python3", [
      path.join("bench", "prepare_pandas.py"),
      rawDir,
      path.join(outRoot, "pandas"),
    ]);
    const agree = JSON.stringify(duckdb.counts) === JSON.stringify(pandas.counts);
    const row = (name: string, m: Measured) =>
      `${name.padEnd(8)} ${m.wallSeconds.toFixed(1).padStart(8)} s ${m.peakRssMiB.toFixed(0).padStart(8)} MiB`;
    const lines = [
      `bench:data  ${ratings} ratings (${sizeMiB.toFixed(0)} MiB CSV), ${os.cpus().length} cores, node ${process.version}`,
      `             wall      peak RSS`,
      row("duckdb", duckdb),
      row("pandas", pandas),
      `speed-up    ${(pandas.wallSeconds / duckdb.wallSeconds).toFixed(2)}x faster than pandas (goal >= 3x)`,
      `memory      ${(duckdb.peakRssMiB / pandas.peakRssMiB).toFixed(2)}x pandas' peak RSS (goal <= 0.5x)`,
      `counts      ${agree ? "agree" : "DIFFER"}: ${JSON.stringify(duckdb.counts)}`,
    ];
    if (!agree) lines.push(`pandas      ${JSON.stringify(pandas.counts)}`);
    process.stdout.write(lines.join("\n") + "\n");
    if (!agree) process.exitCode = 1;
  } finally {
    fs.rmSync(outRoot, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
