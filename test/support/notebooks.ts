/**
 * Runs a notebook headlessly (scripts/run_notebook.py, project-local tslab kernel) and reads back the headline
 * values it recorded with `recordValues`. Notebook parameters are passed as environment variables.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { RECORDED_VALUES_MIME } from "../../src/core/notebook";

export interface NotebookRun {
  status: number;
  stderr: string;
  /** The executed notebook as JSON. */
  executed: {
    cells: { cell_type: string; outputs?: { output_type: string; data?: Record<string, unknown> }[] }[];
  };
  /** Values recorded by the notebook (merged, later calls win). */
  values: Record<string, unknown>;
}

export function runNotebook(notebook: string, env: Record<string, string> = {}): NotebookRun {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-nb-"));
  const output = path.join(outDir, path.basename(notebook));
  const result = spawnSync(
    "/usr/bin/python3",
    [path.join(PROJECT_ROOT, "scripts", "run_notebook.py"), notebook, "--output", output],
    { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 * 2 ** 20 },
  );
  const executed = fs.existsSync(output) ? JSON.parse(fs.readFileSync(output, "utf8")) : { cells: [] };
  const values: Record<string, unknown> = {};
  for (const cell of executed.cells)
    for (const out of cell.outputs ?? []) {
      const recorded = out.data?.[RECORDED_VALUES_MIME];
      if (recorded && typeof recorded === "object") Object.assign(values, recorded);
    }
  return { status: result.status ?? -1, stderr: result.stderr, executed, values };
}

/**
 * Asserts that a notebook recorded `key` as a number within `tolerance` (absolute) of `expected`, naming the key
 * and both values when it is not: the way notebook tests pin the headline values the README quotes.
 */
export function assertRecordedClose(
  values: Record<string, unknown>,
  key: string,
  expected: number,
  tolerance: number,
): void {
  const actual = values[key];
  if (typeof actual !== "number" || !(Math.abs(actual - expected) <= tolerance))
    throw new assert.AssertionError({
      message: `recorded ${key} = ${String(actual)}, expected ${expected} +- ${tolerance}`,
      actual,
      expected,
      operator: "assertRecordedClose",
    });
}
