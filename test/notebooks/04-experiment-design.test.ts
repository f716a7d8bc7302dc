import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { runNotebook } from "../support/notebooks";

test("notebook 04 runs and records the business case's design and the peeking simulation", () => {
  // Small settings: 400 simulated experiments (SE of a rate near 0.05: sqrt(0.05 * 0.95 / 400) = 0.011).
  const run = runNotebook(path.join(PROJECT_ROOT, "notebooks", "04-experiment-design.ipynb"), {
    SIMULATIONS: "400",
    SEED: "7",
    DAILY_USERS: "300",
  });
  assert.equal(run.status, 0, run.stderr);
  const v = run.values as Record<string, number>;
  // Reference sizes (sourced in test/stats/sample-size.test.ts): Fleiss CC 1124, 925 one-sided (Fleiss, Levin &
  // Paik 2003, ch. 4), pooled 1074 (R's power.prop.test), Cohen's h 1063 (statsmodels NormalIndPower).
  assert.equal(v.sampleSizeFleissCc, 1124);
  assert.equal(v.sampleSizePooled, 1074);
  assert.equal(v.sampleSizeCohenH, 1063);
  assert.equal(v.sampleSizeFleissCcOneSided, 925);
  // Power 0.9126 at 1124 per group by R's power.prop.test formula (n = 1124, p1 = 0.07, p2 = 0.11); within 0.005.
  assert.ok(Math.abs(v.zTestPowerAtDesign - 0.91) < 0.005);
  // ceil(2248 / 300) = 8 days.
  assert.equal(v.durationDays, 8);
  assert.equal(v.simulations, 400);
  // Peeking inflates type-I error well above 0.05; the sequential test stays at or below 0.05 + 3 SE (0.033).
  assert.ok(v.aaPeekingRejectionRate > 0.1, `peeking ${v.aaPeekingRejectionRate}`);
  assert.ok(v.aaSequentialRejectionRate <= 0.083, `sequential ${v.aaSequentialRejectionRate}`);
  // Real effect: the sequential test pays for its guarantee with power, the fixed-n test keeps ~0.91 (+- 4 SE 0.057).
  assert.ok(Math.abs(v.abFixedPower - 0.91) < 0.057, `fixed power ${v.abFixedPower}`);
  assert.ok(v.abSequentialPower < v.abFixedPower);

  // The user-level design and A/A study reproduce the recorded default run's (results/run.json, analysis.json):
  // the same pre-period, the same calendar seed, 2,000 experiments.
  const recorded = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "results", "run.json"), "utf8"));
  const analysis = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "results", "analysis.json"), "utf8"));
  assert.equal(v.ratioRequiredDays, recorded.experimentLength.design.requiredDays);
  assert.equal(v.ratioDays, recorded.experimentLength.days);
  assert.equal(v.ratioPowerAtLength, recorded.experimentLength.powerAtLength);
  assert.equal(v.aaExperiments, 2000);
  assert.equal(v.aaNaiveTypeOneError, analysis.aaStudy.aa.rejections.naive.rate);
  assert.equal(v.aaDeltaTypeOneError, analysis.aaStudy.aa.rejections.deltaMethod.rate);
  // The delta method holds alpha within 3 binomial SE (sqrt(0.05 * 0.95 / 2000) = 0.0049); the naive test does not.
  assert.ok(Math.abs(v.aaDeltaTypeOneError - 0.05) < 3 * 0.0049, `delta ${v.aaDeltaTypeOneError}`);
  assert.ok(v.aaNaiveTypeOneError > 0.05 + 3 * 0.0049, `naive ${v.aaNaiveTypeOneError}`);
  assert.ok(Math.abs(v.aaDeltaCoverage - 0.95) < 3 * 0.0049, `coverage ${v.aaDeltaCoverage}`);
});
