import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runNotebook } from "../support/notebooks";

function writeNotebook(cells: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nbsrc-"));
  const file = path.join(dir, "probe.ipynb");
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" } },
    cells: cells.map((source, i) => ({
      id: `c${i}`,
      cell_type: "code",
      metadata: {},
      outputs: [],
      execution_count: null,
      source,
    })),
  };
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

const notebookModule = JSON.stringify(path.join(PROJECT_ROOT, "dist", "src", "core", "notebook.js"));

// tslab does not rewrite shorthand properties that name variables of earlier cells: write `{ answer: answer }`.
test("a notebook runs in the project-local tslab kernel and its recorded values are read back", () => {
  const file = writeNotebook([
    `import { recordValues } from ${notebookModule};\nconst answer: number = 6 * 7;`,
    `recordValues({ answer: answer, fromEnv: process.env.PROBE_PARAM ?? "unset" });`,
  ]);
  const run = runNotebook(file, { PROBE_PARAM: "set-by-test" });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.values, { answer: 42, fromEnv: "set-by-test" });
});

test("a failing cell fails the run and its real error message is printed", () => {
  const file = writeNotebook([
    `const ok = 1;`,
    `throw new Error("boom: cell two " + (ok + 1));`,
    `const never = 3;`,
  ]);
  const run = runNotebook(file);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /cell 1 failed/);
  assert.match(run.stderr, /boom: cell two 2/);
});

test("a type error in a cell fails the run with the compiler's message", () => {
  const file = writeNotebook([`const n: number = "not a number";`]);
  const run = runNotebook(file);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /not assignable to type 'number'/);
});
