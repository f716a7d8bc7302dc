import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../../src/core/paths";
import { cupedRatioSummaryFromUsers, cupedRatioTest } from "../../../src/stats/cuped";
import { compareRatioArms, ratioEffect, ratioSummaryFromUsers } from "../../../src/stats/ratio-metric";

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
  assert.equal("cuped" in a, false);
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

// The pre-period clicks and impressions of test/stats/cuped.test.ts (made up) beside the same post-period users:
// cupedRatioTest gives theta 0.3181838 and the adjusted difference 0.0763302 there.
const pre = {
  control: { clicks: [1, 0, 1, 2, 0, 1, 1, 0], impressions: [8, 6, 9, 10, 4, 7, 8, 5] },
  treatment: { clicks: [1, 1, 1, 0, 1, 2, 1, 0], impressions: [7, 5, 9, 5, 6, 9, 8, 6] },
};
const withPrePeriod = write(
  "pre.csv",
  [
    "variant,clicks,impressions,pre_clicks,pre_impressions",
    ...rows.map((row, i) => {
      const arm = i % 2 === 0 ? pre.control : pre.treatment;
      const u = Math.floor(i / 2);
      return `${row},${arm.clicks[u]},${arm.impressions[u]}`;
    }),
  ].join("\n"),
);

test("with pre_clicks,pre_impressions --json carries the library's CUPED figures beside the unadjusted ones", () => {
  const run = abrec("analyze", "--per-user", withPrePeriod, "--json");
  assert.equal(run.status, 0, run.stderr);
  const a = JSON.parse(run.stdout);
  assert.equal(a.prePeriodColumns, true);
  const summary = (post: typeof control, prePeriod: typeof control) =>
    cupedRatioSummaryFromUsers({
      numerator: post.clicks,
      denominator: post.impressions,
      preNumerator: prePeriod.clicks,
      preDenominator: prePeriod.impressions,
    });
  const library = cupedRatioTest(summary(control, pre.control), summary(treatment, pre.treatment));
  // JSON writes the open side of one-sided intervals as null.
  const json = (e: ReturnType<typeof ratioEffect>) => ({
    ...e,
    intervalGreater: { lower: e.intervalGreater.lower, upper: null },
  });
  assert.deepEqual(a.cuped, {
    covariate: "pre-period CTR per impression (pre_clicks / pre_impressions)",
    theta: library.theta,
    varianceReduction: library.varianceReduction,
    control: { preCtr: library.control.preRatio, adjustedCtr: library.control.adjustedRatio },
    treatment: { preCtr: library.treatment.preRatio, adjustedCtr: library.treatment.adjustedRatio },
    difference: json(ratioEffect(library.difference, library.standardError, library.degreesOfFreedom, 0.05)),
    relativeLift: json(
      ratioEffect(library.relativeLift, library.relativeLiftStandardError, library.degreesOfFreedom, 0.05),
    ),
  });
  assert.equal(a.cuped.difference.pValueTwoSided, library.pValue);
  assert.ok(Math.abs(a.cuped.theta - 0.3181838) < 1e-7);
  assert.ok(Math.abs(a.cuped.difference.estimate - 0.0763302) < 1e-7);
  // The unadjusted figures are unchanged by the pre-period columns.
  assert.ok(Math.abs(a.welchTTest.difference.standardError - library.unadjustedStandardError) < 1e-15);
  assert.ok(Math.abs(a.welchTTest.difference.pValueTwoSided - 0.0548115) < 1e-6);
  const text = abrec("analyze", "--per-user", withPrePeriod);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /theta 0\.3182, variance of the difference reduced by 9\.1%/);
  assert.match(text.stdout, /difference, CUPED\s+\+7\.63 pts\s+3\.76 pts/);
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
    [
      "pre-zero.csv",
      `${header},pre_clicks,pre_impressions\nbaseline,1,5,0,0\nbaseline,1,4,0,0\nchallenger,1,5,0,1\nchallenger,1,5,0,2\n`,
      /pre-zero\.csv, field "pre_impressions".*every baseline user has 0 pre_impressions/,
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
