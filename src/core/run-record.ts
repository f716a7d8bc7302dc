/**
 * What every manifest and results file records about the run that produced it, so a quoted number can be traced
 * to the code, the libraries and the machine that made it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { execFileSync } from "node:child_process";
import { PROJECT_ROOT } from "./paths";

/** Packages whose versions change results; their installed versions are recorded. */
const RECORDED_PACKAGES = [
  "@duckdb/node-api",
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-backend-wasm",
  "jstat",
  "better-sqlite3",
  "selenium-webdriver",
  "express",
  "prom-client",
  "vega",
  "vega-lite",
];

export interface RunEnvironment {
  /** gitDirty: tracked files outside results/ differ from gitCommit (null outside a git checkout). */
  project: { name: string; version: string; gitCommit: string | null; gitDirty: boolean | null };
  node: string;
  platform: string;
  cpus: number;
  memoryGiB: number;
  packages: Record<string, string>;
}

function installedVersion(name: string): string {
  try {
    const manifest = path.join(PROJECT_ROOT, "node_modules", name, "package.json");
    return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

/** Versions of the project, Node, key packages, and the machine's size. */
export function runEnvironment(): RunEnvironment {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    name: string;
    version: string;
  };
  // results/ is left out: a run rewrites the committed results as it goes, and they are outputs, not code.
  const status = git(["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"]);
  return {
    project: {
      name: pkg.name,
      version: pkg.version,
      gitCommit: git(["rev-parse", "HEAD"]),
      gitDirty: status === null ? null : status.length > 0,
    },
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    packages: Object.fromEntries(RECORDED_PACKAGES.map((name) => [name, installedVersion(name)])),
  };
}

/**
 * `file` relative to the project root: run records store paths this way, so they hold nothing of the machine
 * that wrote them and read the same on every checkout.
 *
 * @example
 * projectRelativePath(path.join(PROJECT_ROOT, "results", "run.json")); // => "results/run.json"
 */
export function projectRelativePath(file: string): string {
  return path.relative(PROJECT_ROOT, path.resolve(file)) || ".";
}
