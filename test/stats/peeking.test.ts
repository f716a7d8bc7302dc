import { test } from "node:test";
import * as assert from "node:assert/strict";
import { simulatePeeking } from "../../src/stats/peeking";

// Monte Carlo validation of the peeking problem (Armitage, McPherson & Rowe 1969, "Repeated significance tests on
// accumulating data", JRSS A 132:235-244; Johari et al. 2017, "Peeking at A/B tests", KDD): A/A experiments at the business case's 7% and 1124 users per group, looked at
// after every 100 users per group (12 looks), two-sided alpha 0.05, seeded. 2000 experiments: the binomial standard
// error of a rejection rate near 0.05 is sqrt(0.05 * 0.95 / 2000) = 0.0049.

test("peeking after every 100 users inflates the fixed-n test's type-I error well above alpha", () => {
  const result = simulatePeeking({ experiments: 2000, seed: 11 });
  assert.equal(result.looks.length, 12);
  // Without peeking the final test rejects 0.05 +- 4 SE (0.0196).
  assert.ok(
    Math.abs(result.fixedSampleRejectionRate - 0.05) < 0.0196,
    `fixed ${result.fixedSampleRejectionRate}`,
  );
  // With about a dozen looks the false-positive rate is far above alpha: Armitage, McPherson & Rowe 1969 (JRSS A
  // 132:235-244) give about 0.19 for 10 equally spaced looks at nominal 0.05. Assert at least 0.12.
  assert.ok(result.peekingRejectionRate > 0.12, `peeking ${result.peekingRejectionRate}`);
  // The always-valid test stays at or below alpha (plus 3 SE of simulation noise, 0.0147).
  assert.ok(result.sequentialRejectionRate <= 0.05 + 0.0147, `sequential ${result.sequentialRejectionRate}`);
  // Cumulative curves never decrease.
  for (let k = 1; k < result.looks.length; k++) {
    assert.ok(result.peekingRejectionByLook[k] >= result.peekingRejectionByLook[k - 1]);
    assert.ok(result.sequentialRejectionByLook[k] >= result.sequentialRejectionByLook[k - 1]);
  }
});

test("the sequential test also stays at or below alpha with GrowthBook's default N* = 5000", () => {
  const result = simulatePeeking({ experiments: 2000, seed: 12, tuningParameter: 5000 });
  assert.ok(result.sequentialRejectionRate <= 0.05 + 0.0147, `sequential ${result.sequentialRejectionRate}`);
});

test("the simulation is reproducible from its seed and records it", () => {
  const a = simulatePeeking({ experiments: 200, seed: 5 });
  const b = simulatePeeking({ experiments: 200, seed: 5 });
  assert.deepEqual(a, b);
  assert.equal(a.settings.seed, 5);
});
