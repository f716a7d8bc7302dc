import { test } from "node:test";
import * as assert from "node:assert/strict";
import { DEFAULT_VISITS } from "../../src/cli/commands/simulate";
import { DEFAULT_CALIBRATION_SETTINGS } from "../../src/simulation/click-model";
import { DEFAULT_RATIO_A } from "../../src/serving/assignment";
import { FUNFLIX_BUSINESS_CASE, FUNFLIX_SAMPLE_SIZE } from "../../src/stats/business-case";

test("the business case's sample: 1124 per group, 2248 visits, the default of every command that plans visits", () => {
  // Source: Fleiss, Levin & Paik 2003, Statistical Methods for Rates and Proportions, chapter 4 (Fleiss-Tytun-Ury
  // continuity-corrected formula) for p_c = 0.07, p_t = 0.11, alpha 0.05 two-sided, power 0.9: 1124 per group.
  assert.equal(FUNFLIX_SAMPLE_SIZE.controlUsers, 1124);
  assert.equal(FUNFLIX_SAMPLE_SIZE.treatmentUsers, 1124);
  assert.equal(DEFAULT_VISITS, 2248);
  assert.equal(DEFAULT_RATIO_A, 0.5);
  assert.equal(DEFAULT_CALIBRATION_SETTINGS.targetCtr, FUNFLIX_BUSINESS_CASE.baselineCtr);
});
