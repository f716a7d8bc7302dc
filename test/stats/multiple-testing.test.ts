import { test } from "node:test";
import * as assert from "node:assert/strict";
import { benjaminiHochbergAdjust, holmAdjust } from "../../src/stats/multiple-testing";
import { InputError } from "../../src/core/errors";

// Benjamini & Hochberg (1995), JRSS B 57:289-300, section 4.2: the 15 p-values of Neuhaus et al.'s trial. At level
// 0.05 their procedure rejects the four smallest; the Bonferroni-type procedures (Holm's among them) reject three.
const neuhaus = [
  0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528,
  0.759, 1.0,
];

test("Benjamini & Hochberg 1995's example: BH rejects 4 of 15 at 0.05, Holm 3", () => {
  const bh = benjaminiHochbergAdjust(neuhaus);
  const holm = holmAdjust(neuhaus);
  assert.equal(bh.filter((p) => p <= 0.05).length, 4);
  assert.equal(holm.filter((p) => p <= 0.05).length, 3);
  // The rejected ones are the smallest p-values.
  assert.deepEqual(
    bh.map((p) => p <= 0.05),
    neuhaus.map((_, i) => i < 4),
  );
});

test("adjusted values by the definitions: Holm (m - i + 1) p_(i) cumulative max, BH m p_(i) / i cumulative min", () => {
  // p = [0.01, 0.04, 0.03] (m = 3): Holm 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04) -> [0.03, 0.06, 0.06];
  // BH sorted 0.01, 0.03, 0.04 -> 3*0.01/1, 3*0.03/2, 3*0.04/3 = 0.03, 0.045, 0.04 -> min from the top: [0.03, 0.04, 0.04].
  const p = [0.01, 0.04, 0.03];
  holmAdjust(p).forEach((v, i) => assert.ok(Math.abs(v - [0.03, 0.06, 0.06][i]) < 1e-15));
  benjaminiHochbergAdjust(p).forEach((v, i) => assert.ok(Math.abs(v - [0.03, 0.04, 0.04][i]) < 1e-15));
});

test("properties: adjusted >= raw, capped at 1, BH <= Holm, a single p-value is unchanged", () => {
  const holm = holmAdjust(neuhaus);
  const bh = benjaminiHochbergAdjust(neuhaus);
  neuhaus.forEach((p, i) => {
    assert.ok(holm[i] >= p && bh[i] >= p && holm[i] <= 1 && bh[i] <= holm[i]);
  });
  assert.deepEqual(holmAdjust([0.2]), [0.2]);
  assert.deepEqual(benjaminiHochbergAdjust([0.2]), [0.2]);
  assert.deepEqual(holmAdjust([]), []);
  assert.throws(() => holmAdjust([0.1, 1.2]), InputError);
});
