import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InputError } from "../../src/core/errors";
import { benjaminiHochbergAdjust, holmAdjust } from "../../src/stats/multiple-testing";

// The 15 p-values of Benjamini & Hochberg (1995, JRSS B 57:289-300, section 4.2, the myocardial infarction
// study), in ascending order.
const BH_1995 = [
  0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528,
  0.759, 1.0,
];

const close = (actual: readonly number[], expected: readonly number[], tolerance: number) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]) <= tolerance, `[${i}] ${a} vs ${expected[i]}`),
  );
};

test("Holm on Benjamini & Hochberg's 15 p-values equals R 4.2.2's p.adjust(p, 'holm')", () => {
  // R: p.adjust(p, "holm"), printed with options(digits = 10). E.g. the 4th: max(14 * 0.0019, 12 * 0.0095) = 0.114.
  close(
    holmAdjust(BH_1995),
    [0.0015, 0.0056, 0.0247, 0.114, 0.2211, 0.278, 0.278, 0.278, 0.3213, 1, 1, 1, 1, 1, 1],
    1e-12,
  );
  // Holm at 0.05 rejects only the first three (Bonferroni-like strictness).
  assert.equal(holmAdjust(BH_1995).filter((p) => p <= 0.05).length, 3);
});

test("BH on the same p-values equals R's p.adjust(p, 'BH'); at q = 0.05 it rejects the first four, as the paper", () => {
  // R: p.adjust(p, "BH"). E.g. the 6th and 7th: min(15 * 0.0278 / 6, 15 * 0.0298 / 7) = 0.0638571.
  close(
    benjaminiHochbergAdjust(BH_1995),
    [
      0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.06385714286, 0.06385714286, 0.0645, 0.0765, 0.486,
      0.5811818182, 0.714875, 0.7532307692, 0.8132142857, 1,
    ],
    1e-10,
  );
  assert.equal(benjaminiHochbergAdjust(BH_1995).filter((p) => p <= 0.05).length, 4);
});

test("the adjusted values come back in the input order, ties included (R's p.adjust on c(0.04, 0.01, 0.03, 0.2, 0.03))", () => {
  close(holmAdjust([0.04, 0.01, 0.03, 0.2, 0.03]), [0.12, 0.05, 0.12, 0.2, 0.12], 1e-15);
  close(benjaminiHochbergAdjust([0.04, 0.01, 0.03, 0.2, 0.03]), [0.05, 0.05, 0.05, 0.2, 0.05], 1e-15);
  // Two tests: R gives holm c(0.04, 0.04) and BH c(0.03, 0.03) for c(0.02, 0.03).
  close(holmAdjust([0.02, 0.03]), [0.04, 0.04], 1e-15);
  close(benjaminiHochbergAdjust([0.02, 0.03]), [0.03, 0.03], 1e-15);
  assert.deepEqual(holmAdjust([]), []);
});

test("properties: adjusted >= raw, capped at 1, Holm >= BH, order of raw p preserved", () => {
  const shuffled = [...BH_1995].reverse();
  const holm = holmAdjust(shuffled);
  const bh = benjaminiHochbergAdjust(shuffled);
  shuffled.forEach((p, i) => {
    assert.ok(holm[i] >= p && bh[i] >= p && holm[i] <= 1 && bh[i] <= 1);
    assert.ok(holm[i] >= bh[i]);
  });
  close(holm, [...holmAdjust(BH_1995)].reverse(), 0);
});

test("a p-value outside [0, 1] or not a number is an InputError naming its index", () => {
  assert.throws(
    () => holmAdjust([0.1, 1.2]),
    (e: unknown) => e instanceof InputError && /pValues\[1\]/.test(e.message),
  );
  assert.throws(() => benjaminiHochbergAdjust([Number.NaN]), InputError);
});
