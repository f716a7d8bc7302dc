import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";

/** Runs `node bin/abrec ...args` as a user would. */
function abrec(...args: string[]) {
  return spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  });
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "abrec-cli-"));
}

test("abrec data prepares ml-latest-small into <data-dir>/processed and reports the counts", () => {
  const dataDir = tempDir();
  const run = abrec("data", "--dataset", "ml-latest-small", "--data-dir", dataDir, "--quiet");
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /read 100836 ratings, 610 users, 9742 movies/);
  const manifest = JSON.parse(
    fs.readFileSync(path.join(dataDir, "processed", "ml-latest-small", "manifest.json"), "utf8"),
  );
  assert.equal(manifest.testFraction, 0.2);
  assert.equal(manifest.positiveThreshold, 4);
  const again = abrec("data", "--data-dir", dataDir, "--quiet");
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /^up to date/);
});

test("abrec data exits 2 with file and line for a bad ratings.csv, and 2 for a bad option", () => {
  const dataDir = tempDir();
  const raw = path.join(dataDir, "ml-25m");
  fs.mkdirSync(raw);
  fs.writeFileSync(path.join(raw, "movies.csv"), "movieId,title,genres\r\n1,A (1999),Drama\r\n");
  fs.writeFileSync(
    path.join(raw, "ratings.csv"),
    "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,1,x,964982703\r\n",
  );
  const run = abrec("data", "--dataset", "ml-25m", "--data-dir", dataDir, "--quiet");
  assert.equal(run.status, 2);
  assert.equal(
    run.stderr.trim(),
    `abrec: ${path.join(raw, "ratings.csv")}:3, field "rating": expected a rating from 0.5 to 5 in half steps, found "x"`,
  );
  assert.equal(fs.existsSync(path.join(dataDir, "processed", "ml-25m")), false);
  const option = abrec("data", "--data-dir", dataDir, "--test-fraction", "2");
  assert.equal(option.status, 2);
  assert.match(option.stderr, /field "--test-fraction": expected a number in \[0, 1\], got "2"/);
});
