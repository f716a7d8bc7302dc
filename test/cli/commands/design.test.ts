import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../../src/core/paths";

const abrec = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], { encoding: "utf8" });

// 1124 per group: Fleiss, Levin & Paik 2003, chapter 4 (Fleiss-Tytun-Ury continuity correction); 1074: R
// power.prop.test(p1 = 0.07, p2 = 0.11, power = 0.9) gives n = 1073.6; 1063: statsmodels
// NormalIndPower().solve_power(proportion_effectsize(0.11, 0.07), alpha=0.05, power=0.9) = 1063.0 (test/stats).
test("abrec design prints all three methods with the business case's sizes (1124, 1074, 1063 per group)", () => {
  const run = abrec("design", "--baseline", "0.07", "--mde", "0.04", "--alpha", "0.05", "--power", "0.9");
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /fleiss-cc \*\s+1124\s+1124\s+2248/);
  assert.match(run.stdout, /pooled\s+1074\s+1074\s+2148/);
  assert.match(run.stdout, /cohen-h\s+1063\s+1063\s+2126/);
});

test("abrec design --json --one-sided --relative gives 925 (Fleiss CC one-sided) as JSON", () => {
  const run = abrec(
    "design",
    "--mde",
    String(4 / 7),
    "--relative",
    "--one-sided",
    "--json",
    "--daily-users",
    "500",
  );
  assert.equal(run.status, 0, run.stderr);
  const plan = JSON.parse(run.stdout);
  assert.equal(plan.chosen.controlUsers, 925);
  assert.equal(plan.sampleSizes[1].controlUsers, 875);
  assert.equal(plan.duration.days, 4);
});

test("impossible design inputs exit 2 with a message naming the option", () => {
  for (const [args, pattern] of [
    [["--baseline", "1.5"], /--baseline.*expected a number in \[0, 1\]/],
    [["--alpha", "0"], /alpha/],
    [["--power", "1"], /power/],
    [["--mde", "x"], /--mde.*expected a number/],
    [["--ratio", "0"], /ratio/],
  ] as const) {
    const run = abrec("design", ...args);
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, pattern);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  }
});
