import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sampleSizePerGroup, sampleSizesByMethod } from "../../src/stats/sample-size";
import { InputError } from "../../src/core/errors";

// The business case: baseline 7%, minimum detectable effect +4 points absolute, alpha 5%, power 90%.
const funflix = { baselineRate: 0.07, minimumDetectableEffect: 0.04, alpha: 0.05, power: 0.9 };

test("Fleiss with continuity correction: 1124 per group two-sided, 925 one-sided (the business case)", () => {
  // Source: Fleiss, Levin & Paik 2003, Statistical Methods for Rates and Proportions, chapter 4 (the
  // Fleiss-Tytun-Ury continuity-corrected formula applied to the pooled-approximation n of R's power.prop.test).
  assert.equal(sampleSizePerGroup(funflix, "fleiss-cc").controlUsers, 1124);
  assert.equal(sampleSizePerGroup({ ...funflix, oneSided: true }, "fleiss-cc").controlUsers, 925);
});

test("pooled normal approximation without correction: 1074 two-sided, 875 one-sided (R power.prop.test)", () => {
  // Source: R, power.prop.test(p1 = 0.07, p2 = 0.11, power = 0.9) gives n = 1073.6 (ceil 1074), with
  // alternative = "one.sided" n = 874.8 (875).
  assert.equal(sampleSizePerGroup(funflix, "pooled").controlUsers, 1074);
  assert.equal(sampleSizePerGroup({ ...funflix, oneSided: true }, "pooled").controlUsers, 875);
});

test("Cohen's h: 1063 per group two-sided (statsmodels NormalIndPower with proportion_effectsize)", () => {
  // Source: statsmodels NormalIndPower().solve_power(proportion_effectsize(0.11, 0.07), alpha=0.05, power=0.9,
  // ratio=1) = 1063.0 (ceil 1063).
  assert.equal(sampleSizePerGroup(funflix, "cohen-h").controlUsers, 1063);
});

test("R's power.prop.test documentation example: p1 0.50, p2 0.75, power 0.90 gives n = 76.7", () => {
  // Source: R documentation of stats::power.prop.test, examples section ("## => n = 76.7").
  const size = sampleSizePerGroup({ baselineRate: 0.5, minimumDetectableEffect: 0.25, power: 0.9 }, "pooled");
  assert.ok(Math.abs(size.controlUsersExact - 76.7) < 0.05, `${size.controlUsersExact}`);
  assert.equal(size.controlUsers, 77);
});

test("a relative MDE of 4/7 is the same design as +4 points absolute", () => {
  const relative = sampleSizePerGroup({ ...funflix, minimumDetectableEffect: 4 / 7, relativeEffect: true });
  assert.equal(relative.controlUsers, 1124);
});

test("allocation ratio: treatment = ratio x control, and unequal splits need more users in total", () => {
  for (const method of ["fleiss-cc", "pooled", "cohen-h"] as const) {
    const equal = sampleSizePerGroup(funflix, method);
    const unequal = sampleSizePerGroup({ ...funflix, allocationRatio: 2 }, method);
    assert.equal(unequal.treatmentUsers, Math.ceil(unequal.controlUsersExact * 2 - 1e-9));
    assert.ok(unequal.controlUsers < equal.controlUsers, method);
    assert.ok(unequal.totalUsers > equal.totalUsers, method);
  }
});

test("ordering and monotonicity: corrected > pooled; more power, smaller alpha or smaller effect need more users", () => {
  const sizes = sampleSizesByMethod(funflix);
  assert.deepEqual(
    sizes.map((s) => s.method),
    ["fleiss-cc", "pooled", "cohen-h"],
  );
  assert.ok(sizes[0].controlUsers > sizes[1].controlUsers);
  const base = sampleSizePerGroup(funflix).controlUsers;
  assert.ok(sampleSizePerGroup({ ...funflix, power: 0.95 }).controlUsers > base);
  assert.ok(sampleSizePerGroup({ ...funflix, alpha: 0.01 }).controlUsers > base);
  assert.ok(sampleSizePerGroup({ ...funflix, minimumDetectableEffect: 0.02 }).controlUsers > base);
  // A decrease of 4 points from 11% is the same comparison as an increase from 7% to 11%.
  assert.equal(
    sampleSizePerGroup({ ...funflix, baselineRate: 0.11, minimumDetectableEffect: -0.04 }).controlUsers,
    base,
  );
});

test("impossible designs are rejected with an InputError naming the setting", () => {
  const rejects = (settings: object, field: RegExp) =>
    assert.throws(
      () => sampleSizePerGroup({ ...funflix, ...settings }),
      (e: unknown) => e instanceof InputError && field.test(e.message),
    );
  rejects({ baselineRate: 1.2 }, /baseline/);
  rejects({ baselineRate: 0 }, /baseline/);
  rejects({ alpha: 0 }, /alpha/);
  rejects({ alpha: 1.5 }, /alpha/);
  rejects({ power: 1 }, /power/);
  rejects({ minimumDetectableEffect: 0 }, /mde/);
  rejects({ minimumDetectableEffect: 0.95 }, /outside 0..1/);
  rejects({ allocationRatio: 0 }, /ratio/);
});
