import { test } from "node:test";
import * as assert from "node:assert/strict";
import { experimentDuration, minimumDetectableEffect, powerForSampleSize } from "../../src/stats/power";
import { sampleSizePerGroup } from "../../src/stats/sample-size";
import { InputError } from "../../src/core/errors";

const funflix = { baselineRate: 0.07, minimumDetectableEffect: 0.04, alpha: 0.05, power: 0.9 };
const methods = ["fleiss-cc", "pooled", "cohen-h"] as const;

test("R's power.prop.test documentation examples: power 0.740 at n = 50; p2 = 0.8026 at n = 50, power 0.9", () => {
  // Source: R documentation of stats::power.prop.test, examples section:
  //   power.prop.test(n = 50, p1 = .50, p2 = .75)   ## => power = 0.740
  //   power.prop.test(n = 50, p1 = .5, power = .90) ## => p2 = 0.8026
  // Tolerances: half a unit in the last published digit.
  const power = powerForSampleSize({ baselineRate: 0.5, minimumDetectableEffect: 0.25 }, 50, "pooled");
  assert.ok(Math.abs(power - 0.74) < 5e-4, `${power}`);
  const mde = minimumDetectableEffect({ baselineRate: 0.5, power: 0.9 }, 50, "pooled");
  assert.ok(Math.abs(mde.treatmentRate - 0.8026) < 5e-5, `${mde.treatmentRate}`);
});

test("power and sample size are inverse: n gives at least the target power, n - 1 less (every method)", () => {
  for (const oneSided of [false, true])
    for (const method of methods) {
      const { controlUsers } = sampleSizePerGroup({ ...funflix, oneSided }, method);
      assert.ok(powerForSampleSize({ ...funflix, oneSided }, controlUsers, method) >= 0.9, method);
      assert.ok(powerForSampleSize({ ...funflix, oneSided }, controlUsers - 1, method) < 0.9, method);
    }
});

test("power grows with n and with the effect; the MDE at the designed n is the designed effect", () => {
  const p = (n: number) => powerForSampleSize(funflix, n);
  assert.ok(p(500) < p(1000) && p(1000) < p(2000));
  assert.ok(powerForSampleSize({ ...funflix, minimumDetectableEffect: 0.05 }, 1124) > p(1124));
  for (const method of methods) {
    const exactN = sampleSizePerGroup(funflix, method).controlUsersExact;
    const mde = minimumDetectableEffect(funflix, exactN, method);
    assert.ok(Math.abs(mde.absoluteEffect - 0.04) < 1e-7, `${method}: ${mde.absoluteEffect}`);
    assert.ok(Math.abs(mde.relativeEffect - 0.04 / 0.07) < 1e-6);
  }
  assert.ok(
    minimumDetectableEffect(funflix, 500).absoluteEffect >
      minimumDetectableEffect(funflix, 2000).absoluteEffect,
  );
});

test("duration: ceil(total / (daily users x traffic fraction)); bad inputs are InputErrors", () => {
  assert.deepEqual(experimentDuration({ totalUsers: 2248, dailyUsers: 500 }), { days: 5, usersPerDay: 500 });
  assert.equal(experimentDuration({ totalUsers: 2248, dailyUsers: 500, trafficFraction: 0.5 }).days, 9);
  assert.equal(experimentDuration({ totalUsers: 2000, dailyUsers: 500 }).days, 4);
  assert.throws(() => experimentDuration({ totalUsers: 2248, dailyUsers: 0 }), InputError);
  assert.throws(
    () => experimentDuration({ totalUsers: 2248, dailyUsers: 10, trafficFraction: 1.5 }),
    InputError,
  );
  assert.throws(() => powerForSampleSize(funflix, 0), InputError);
  assert.throws(() => minimumDetectableEffect({ baselineRate: 0.07, power: 0.9 }, 1), InputError);
});
