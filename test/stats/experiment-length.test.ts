import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InputError } from "../../src/core/errors";
import { chooseExperimentLength } from "../../src/stats/experiment-length";
import { ratioExperimentLength, ratioPowerAfterDays } from "../../src/stats/ratio-power";

// ratioExperimentLength's worked example (test/stats/ratio-power.test.ts pins it by hand): 6 users over 2 days,
// CTR 0.3, +0.2 needs 40 days for 90% power one-sided at 5%.
const pre = { clicks: [0, 1, 2, 0, 0, 0], impressions: [0, 2, 6, 2, 0, 0] };
const design = { baselineRate: 0.3, minimumDetectableEffect: 0.2, power: 0.9, alpha: 0.05 };

test("the design's days are rounded up to whole weeks, with the power of the rounded length", () => {
  const length = chooseExperimentLength(pre, { preDays: 2, maxDays: 60, design });
  assert.equal(length.design?.requiredDays, 40);
  assert.equal(length.days, 42);
  assert.equal(length.chosenBy, "design");
  const model = ratioExperimentLength(pre, { preDays: 2, maxDays: 60, lift: 0.2 }).model;
  assert.equal(length.powerAtLength, ratioPowerAfterDays(model, 42, 0.2, { oneSided: true }));
  assert.ok(length.powerAtLength! > 0.9);
});

test("a cap shorter than the design's days wins; a fixed length is kept and its power reported", () => {
  const capped = chooseExperimentLength(pre, { preDays: 2, maxDays: 14, design });
  assert.equal(capped.days, 14);
  // 0.5397 at 14 days: ratioExperimentLength's example.
  assert.ok(Math.abs(capped.powerAtLength! - 0.5397) < 1e-4, String(capped.powerAtLength));
  const fixed = chooseExperimentLength(pre, { preDays: 2, maxDays: 14, design, fixedDays: 5 });
  assert.deepEqual([fixed.days, fixed.chosenBy], [5, "fixed"]);
  assert.ok(fixed.powerAtLength! < capped.powerAtLength!);
  // A pre-period without a click cannot be fitted: a fixed length still runs, without a design.
  const noClicks = { clicks: [0, 0], impressions: [1, 2] };
  const blind = chooseExperimentLength(noClicks, { preDays: 1, maxDays: 14, design, fixedDays: 3 });
  assert.deepEqual([blind.days, blind.design, blind.powerAtLength], [3, null, null]);
  assert.throws(() => chooseExperimentLength(noClicks, { preDays: 1, maxDays: 14, design }), InputError);
  assert.throws(
    () =>
      chooseExperimentLength(pre, { preDays: 2, maxDays: 14, design: { ...design, relativeEffect: true } }),
    /absolute minimum detectable effect/,
  );
});
