import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../../src/core/paths";
import { compareRatioArms, ratioSummaryFromUsers } from "../../../src/stats/ratio-metric";

const abrec = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], { encoding: "utf8" });

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-per-user-"));
test.after(() => fs.rmSync(directory, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(directory, name);
  fs.writeFileSync(file, text);
  return file;
};

// The 8-users-per-arm reference of test/stats/ratio-metric.test.ts (values computed with GrowthBook gbstats'
// own code, gbstats/frequentist/tests.py): difference 0.083333, SE 0.0394182, two-sided z p 0.0345081.
const control = { clicks: [1, 0, 2, 1, 0, 1, 2, 0], impressions: [10, 5, 8, 12, 3, 7, 9, 6] };
const treatment = { clicks: [2, 1, 2, 1, 1, 3, 1, 1], impressions: [9, 6, 11, 4, 8, 10, 7, 5] };
const rows = control.clicks.flatMap((_, u) => [
  `baseline,${control.clicks[u]},${control.impressions[u]}`,
  `challenger,${treatment.clicks[u]},${treatment.impressions[u]}`,
]);
const good = write("good.csv", ["variant,clicks,impressions", ...rows].join("\r\n") + "\r\n");

test("abrec analyze --per-user --json gives the library's figures (gbstats reference: p 0.0345081, Welch 0.0548115)", () => {
  const run = abrec("analyze", "--per-user", good, "--json");
  assert.equal(run.status, 0, run.stderr);
  const a = JSON.parse(run.stdout);
  const library = compareRatioArms(
    ratioSummaryFromUsers(control.clicks, control.impressions),
    ratioSummaryFromUsers(treatment.clicks, treatment.impressions),
  );
  const welch = compareRatioArms(
    ratioSummaryFromUsers(control.clicks, control.impressions),
    ratioSummaryFromUsers(treatment.clicks, treatment.impressions),
    { test: "welch" },
  );
  assert.equal(a.control.variant, "baseline");
  assert.equal(a.treatment.variant, "challenger");
  assert.equal(a.control.users, 8);
  assert.equal(a.control.clicks, 7);
  assert.equal(a.control.impressions, 60);
  assert.equal(a.control.ctr, library.control.ratio);
  assert.equal(a.treatment.ctr, library.treatment.ratio);
  assert.equal(a.control.standardError, library.control.standardError);
  // JSON writes the z-test's infinite degrees of freedom and the open side of one-sided intervals as null.
  assert.deepEqual(a.zTest.difference, {
    ...library.difference,
    degreesOfFreedom: null,
    intervalGreater: { lower: library.difference.intervalGreater.lower, upper: null },
  });
  assert.equal(a.zTest.relativeLift.standardError, library.relativeLift.standardError);
  assert.equal(a.welchTTest.difference.pValueTwoSided, welch.difference.pValueTwoSided);
  assert.ok(Math.abs(a.zTest.difference.pValueTwoSided - 0.0345081) < 1e-6);
  assert.ok(Math.abs(a.welchTTest.difference.pValueTwoSided - 0.0548115) < 1e-6);
  assert.equal(a.prePeriodColumns, false);
});

test("abrec analyze --per-user prints the ratio per arm, difference, SE, CI, both p-values and the lift", () => {
  const run = abrec("analyze", "--per-user", good);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /baseline\s+8\s+7\s+60\s+11\.67%/);
  assert.match(run.stdout, /challenger\s+8\s+12\s+60\s+20\.00%/);
  assert.match(
    run.stdout,
    /difference\s+\+8\.33 pts\s+3\.94 pts\s+\[\+0\.61 pts, \+16\.06 pts\]\s+\[\+1\.85 pts, \+inf\)\s+0\.0345\s+0\.0173/,
  );
  assert.match(run.stdout, /relative lift\s+\+71\.4%\s+50\.9%/);
  assert.match(run.stdout, /Welch t-test \(df 12\.75\): difference p = 0\.0548/);
});

test("the optional pre_clicks,pre_impressions columns are read", () => {
  const file = write(
    "pre.csv",
    ["variant,clicks,impressions,pre_clicks,pre_impressions", ...rows.map((r) => `${r},1,4`)].join("\n"),
  );
  const run = abrec("analyze", "--per-user", file, "--json");
  assert.equal(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).prePeriodColumns, true);
});

test("bad per-user files exit 2 naming file:line and the column", () => {
  const header = "variant,clicks,impressions";
  const cases: [string, string, RegExp][] = [
    [
      "negative.csv",
      `${header}\nbaseline,1,5\nbaseline,-1,5\n`,
      /negative\.csv:3, field "clicks".*non-negative integer/,
    ],
    [
      "above.csv",
      `${header}\nbaseline,1,5\nchallenger,6,5\n`,
      /above\.csv:3, field "clicks".*6 clicks cannot exceed 5/,
    ],
    ["missing.csv", "variant,clicks\nbaseline,1\n", /missing\.csv:1, field "impressions".*missing column/],
    [
      "single.csv",
      `${header}\nbaseline,1,5\nbaseline,2,5\n`,
      /single\.csv, field "variant".*0 challenger rows/,
    ],
    [
      "unknown.csv",
      `${header}\nbaseline,1,5\ntreatment,1,5\n`,
      /unknown\.csv:3, field "variant".*unknown variant "treatment"/,
    ],
    [
      "twice.csv",
      "variant,clicks,clicks,impressions\nbaseline,1,1,5\n",
      /twice\.csv:1, field "clicks".*twice/,
    ],
    ["fields.csv", `${header}\nbaseline,1,5,7\n`, /fields\.csv:2.*expected 3 fields/],
    [
      "pre-half.csv",
      `${header},pre_clicks\nbaseline,1,5,0\n`,
      /pre-half\.csv:1, field "pre_impressions".*missing column/,
    ],
    [
      "pre-above.csv",
      `${header},pre_clicks,pre_impressions\nbaseline,1,5,3,2\n`,
      /pre-above\.csv:2, field "pre_clicks"/,
    ],
  ];
  for (const [name, text, pattern] of cases) {
    const run = abrec("analyze", "--per-user", write(name, text));
    assert.equal(run.status, 2, `${name}: ${run.stderr}`);
    assert.match(run.stderr, pattern, name);
  }
  const both = abrec("analyze", "--per-user", good, "--control", "1/10");
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--per-user/);
});
