import { test } from "node:test";
import * as assert from "node:assert/strict";
import { planExperiment } from "../../src/stats/plan";

test("the default business-case plan: 1124 per group (Fleiss CC), all three methods, duration from traffic", () => {
  // Reference sizes, sourced in sample-size.test.ts: 1124 (Fleiss CC; Fleiss, Levin & Paik 2003, ch. 4), 1074
  // (pooled; R's power.prop.test), 1063 (Cohen's h; statsmodels NormalIndPower).
  const plan = planExperiment(
    { baselineRate: 0.07, minimumDetectableEffect: 0.04, alpha: 0.05, power: 0.9 },
    { dailyUsers: 300 },
  );
  assert.deepEqual(
    plan.sampleSizes.map((s) => [s.method, s.controlUsers]),
    [
      ["fleiss-cc", 1124],
      ["pooled", 1074],
      ["cohen-h", 1063],
    ],
  );
  assert.equal(plan.chosen.totalUsers, 2248);
  for (const s of plan.sampleSizes) assert.ok(s.power >= 0.9 && s.power < 0.91, `${s.method} ${s.power}`);
  // ceil(2248 / 300) = 8 days.
  assert.deepEqual(plan.duration, { days: 8, usersPerDay: 300 });
  assert.ok(plan.minimumDetectableEffectAtChosenSize.absoluteEffect <= 0.04);
  assert.equal(planExperiment({ baselineRate: 0.07, minimumDetectableEffect: 0.04 }).duration, null);
  assert.equal(
    planExperiment({ baselineRate: 0.07, minimumDetectableEffect: 0.04 }, { method: "pooled" }).chosen
      .controlUsers,
    1074,
  );
});
