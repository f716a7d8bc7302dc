import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../../src/core/paths";

const abrec = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], { encoding: "utf8" });

test("abrec analyze prints the readable report with R prop.test's z = 3.3114 and p = 0.000928", () => {
  const run = abrec("analyze", "--control", "79/1124", "--treatment", "124/1124");
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /z = 3\.3114/);
  assert.match(run.stdout, /0\.000928/);
  assert.match(run.stdout, /Wilson/);
  assert.match(run.stdout, /P\(treatment better\)/);
  assert.match(run.stdout, /no mismatch/);
});

test("abrec analyze --one-sided --json carries every figure, named plainly (one-sided p 0.000464)", () => {
  const run = abrec("analyze", "--control", "79/1124", "--treatment", "124/1124", "--one-sided", "--json");
  assert.equal(run.status, 0, run.stderr);
  const a = JSON.parse(run.stdout);
  assert.ok(Math.abs(a.zTest.pValue - 0.000464) < 5e-7);
  for (const key of [
    "control",
    "treatment",
    "difference",
    "relativeLift",
    "zTest",
    "chiSquare",
    "chiSquareYates",
    "fisherExact",
    "bayesian",
    "sequential",
    "sampleRatioMismatch",
  ])
    assert.ok(key in a, key);
  // The open side of a one-sided interval is null in JSON.
  assert.equal(a.difference.interval.upper, null);
});

test("impossible counts exit 2 naming the arm: clicks > units, malformed, zero units", () => {
  for (const [control, pattern] of [
    ["1125/1124", /--control.*cannot exceed/],
    ["79", /--control.*CLICKS\/UNITS/],
    ["0/0", /--control.*positive integer/],
  ] as const) {
    const run = abrec("analyze", "--control", control, "--treatment", "124/1124");
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, pattern);
  }
});
