/** Where the project's folders are, wherever the code runs from (src/ under tsx, dist/ when compiled). */
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root: the nearest folder above this file with a package.json (src/core or dist/src/core). */
export const PROJECT_ROOT = findProjectRoot(__dirname);

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

/** Default folders; every command takes an option to point elsewhere (tests always do). */
export const DEFAULT_DATA_DIR = path.join(PROJECT_ROOT, "data");
export const DEFAULT_MODELS_DIR = path.join(PROJECT_ROOT, "models");
export const DEFAULT_RESULTS_DIR = path.join(PROJECT_ROOT, "results");

/**
 * The read-only MovieLens copy laid beside the repository on the project's machines (never committed). Used as a
 * source before downloading from GroupLens.
 */
export const SHARED_DATA_DIR = path.resolve(PROJECT_ROOT, "..", "shared", "data");
