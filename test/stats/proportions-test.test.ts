import { test } from "node:test";
import * as assert from "node:assert/strict";
import { assertClose as close } from "../support/approx";
import { chiSquareTest, fisherExactTest, twoProportionZTest } from "../../src/stats/proportions-test";
import { InputError } from "../../src/core/errors";
import { Random } from "../../src/core/random";
import { powerForSampleSize } from "../../src/stats/power";

// The business case's reference analysis: 79/1124 control vs 124/1124 treatment gives z = 3.3114,
// one-sided p = 0.000464, two-sided p = 0.000928 (pooled z-test, Fleiss, Levin & Paik 2003, chapter 3; the
// same numbers as R's prop.test(c(124, 79), c(1124, 1124), correct = FALSE)). Tolerances: half a unit in the last
// quoted digit.
const funflix = { control: { units: 1124, clicks: 79 }, treatment: { units: 1124, clicks: 124 } };

test("pooled z-test reproduces the Funflix reference: z 3.3114, p 0.000464 one-sided, 0.000928 two-sided", () => {
  const twoSided = twoProportionZTest(funflix);
  close(twoSided.z, 3.3114, 5e-5, "z");
  close(twoSided.pValue, 0.000928, 5e-7, "two-sided p");
  close(twoProportionZTest(funflix, "greater").pValue, 0.000464, 5e-7, "one-sided p");
  close(twoSided.difference, 124 / 1124 - 79 / 1124, 1e-15, "difference");
});

test("z-test properties: swapping arms flips z; 'less' and 'greater' p-values sum to 1; equal rates give z 0", () => {
  const swapped = twoProportionZTest({ control: funflix.treatment, treatment: funflix.control });
  close(swapped.z, -twoProportionZTest(funflix).z, 1e-12, "antisymmetry");
  close(
    twoProportionZTest(funflix, "less").pValue + twoProportionZTest(funflix, "greater").pValue,
    1,
    1e-12,
    "tails",
  );
  const same = twoProportionZTest({
    control: { units: 100, clicks: 7 },
    treatment: { units: 200, clicks: 14 },
  });
  assert.equal(same.z, 0);
  close(same.pValue, 1, 1e-15, "p at z = 0");
  const none = twoProportionZTest({
    control: { units: 100, clicks: 0 },
    treatment: { units: 100, clicks: 0 },
  });
  close(none.pValue, 1, 1e-15, "p with no clicks");
});

test("chi-square without correction equals z squared (same p); Yates' correction is more conservative", () => {
  const plain = chiSquareTest(funflix);
  close(plain.statistic, twoProportionZTest(funflix).z ** 2, 1e-9, "X^2 = z^2");
  close(plain.pValue, twoProportionZTest(funflix).pValue, 1e-12, "p");
  const yates = chiSquareTest(funflix, { yatesCorrection: true });
  assert.ok(yates.statistic < plain.statistic && yates.pValue > plain.pValue);
});

test("Yates-corrected chi-square matches a hand computation of the textbook formula", () => {
  // Table 10/20 vs 2/20: expected clicks 6 per arm, |O - E| = 4 in every cell, corrected 3.5; expected non-clicks 14.
  // X^2 = 2 * 3.5^2 / 6 + 2 * 3.5^2 / 14 = 5.8333 (Yates 1934; Fleiss, Levin & Paik 2003, chapter 3).
  const result = chiSquareTest(
    { control: { units: 20, clicks: 2 }, treatment: { units: 20, clicks: 10 } },
    { yatesCorrection: true },
  );
  close(result.statistic, (2 * 3.5 ** 2) / 6 + (2 * 3.5 ** 2) / 14, 1e-12, "X^2");
});

test("Fisher's exact test on Fisher's tea-tasting table: one-sided 17/70, two-sided 34/70", () => {
  // Fisher (1935), The Design of Experiments, section 2: 8 cups, 4 with milk first, 3 identified correctly.
  // P(3 or 4 correct) = (16 + 1) / 70 (hypergeometric; also R's fisher.test(TeaTasting, alternative = "greater")).
  const tea = { control: { units: 4, clicks: 1 }, treatment: { units: 4, clicks: 3 } };
  close(fisherExactTest(tea, "greater").pValue, 17 / 70, 1e-12, "one-sided");
  close(fisherExactTest(tea).pValue, 34 / 70, 1e-12, "two-sided");
  close(fisherExactTest(tea, "less").pValue, 69 / 70, 1e-12, "less");
});

test("Fisher's exact test is a little more conservative than the z-test at large counts (within 50% of its p-value)", () => {
  const fisher = fisherExactTest(funflix, "greater").pValue;
  const z = twoProportionZTest(funflix, "greater").pValue;
  assert.ok(Math.abs(fisher / z - 1) < 0.5 && fisher > z, `${fisher} vs ${z}`);
});

test("impossible counts are rejected with an InputError naming the arm", () => {
  assert.throws(
    () => twoProportionZTest({ control: { units: 10, clicks: 11 }, treatment: { units: 10, clicks: 1 } }),
    (e: unknown) => e instanceof InputError && /control/.test(e.message) && /exceed/.test(e.message),
  );
  assert.throws(
    () => twoProportionZTest({ control: { units: 10, clicks: 1 }, treatment: { units: 0, clicks: 0 } }),
    (e: unknown) => e instanceof InputError && /treatment/.test(e.message),
  );
  assert.throws(
    () => chiSquareTest({ control: { units: 10, clicks: -1 }, treatment: { units: 10, clicks: 1 } }),
    InputError,
  );
  assert.throws(
    () => fisherExactTest({ control: { units: 10.5, clicks: 1 }, treatment: { units: 10, clicks: 1 } }),
    InputError,
  );
});

test("Monte Carlo: in 4000 A/A experiments (7%, 1124 per group) the z-test rejects 5% +- 0.0138 (4 SE)", () => {
  // Seeded; binomial counts drawn per arm. SE of the rejection rate: sqrt(0.05 * 0.95 / 4000) = 0.00345.
  const rng = new Random(2024);
  const experiments = 4000;
  let twoSided = 0;
  let oneSided = 0;
  for (let i = 0; i < experiments; i++) {
    const counts = {
      control: { units: 1124, clicks: rng.binomial(1124, 0.07) },
      treatment: { units: 1124, clicks: rng.binomial(1124, 0.07) },
    };
    if (twoProportionZTest(counts).pValue < 0.05) twoSided++;
    if (twoProportionZTest(counts, "greater").pValue < 0.05) oneSided++;
  }
  assert.ok(Math.abs(twoSided / experiments - 0.05) < 0.0138, `two-sided ${twoSided / experiments}`);
  assert.ok(Math.abs(oneSided / experiments - 0.05) < 0.0138, `one-sided ${oneSided / experiments}`);
});

test("Monte Carlo: at 1124 per group the z-test detects 7% -> 11% with the theoretical power 0.91 +- 0.026", () => {
  // Theory: power 0.91 at this n (0.9126) from the uncorrected normal approximation (the z-test's own, the
  // formula of R's power.prop.test(n = 1124, p1 = 0.07, p2 = 0.11), pinned against R's documentation examples in power.test.ts). 2000 seeded
  // experiments: SE sqrt(0.91 * 0.09 / 2000) = 0.0064; tolerance 4 SE.
  const theory = powerForSampleSize({ baselineRate: 0.07, minimumDetectableEffect: 0.04 }, 1124, "pooled");
  assert.ok(Math.abs(theory - 0.91) < 0.005, `theory ${theory}`);
  const rng = new Random(2025);
  const experiments = 2000;
  let rejections = 0;
  for (let i = 0; i < experiments; i++) {
    const counts = {
      control: { units: 1124, clicks: rng.binomial(1124, 0.07) },
      treatment: { units: 1124, clicks: rng.binomial(1124, 0.11) },
    };
    if (twoProportionZTest(counts).pValue < 0.05) rejections++;
  }
  assert.ok(Math.abs(rejections / experiments - theory) < 0.026, `power ${rejections / experiments}`);
});
