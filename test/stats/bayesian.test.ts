import { test } from "node:test";
import * as assert from "node:assert/strict";
import { bayesianAnalysis } from "../../src/stats/bayesian";
import { relativeLiftInterval } from "../../src/stats/intervals";
import { logBeta } from "../../src/stats/distributions";
import { InputError } from "../../src/core/errors";

/**
 * Evan Miller (2015), "Formulas for Bayesian A/B testing" (evanmiller.org/bayesian-ab-testing.html), exact for an
 * integer first parameter of X: P(X > Y) = sum_{i=0}^{a_x - 1} B(a_y + i, b_y + b_x) / ((b_x + i) B(1 + i, b_x) B(a_y, b_y))
 * for X ~ Beta(a_x, b_x), Y ~ Beta(a_y, b_y). An independent closed form, not this module's integration.
 */
function probabilityGreater(ax: number, bx: number, ay: number, by: number): number {
  let total = 0;
  for (let i = 0; i < ax; i++)
    total += Math.exp(logBeta(ay + i, by + bx) - Math.log(bx + i) - logBeta(1 + i, bx) - logBeta(ay, by));
  return total;
}

/** E[max(Y - X, 0)] = m_y P(Y+ > X) - m_x P(Y > X+) with Z+ ~ Beta(a_z + 1, b_z) (Evan Miller 2015 / Stucchio 2015). */
function expectedShortfall(ax: number, bx: number, ay: number, by: number): number {
  return (
    (ay / (ay + by)) * probabilityGreater(ay + 1, by, ax, bx) -
    (ax / (ax + bx)) * probabilityGreater(ay, by, ax + 1, bx)
  );
}

const cases = [
  { control: { units: 1124, clicks: 79 }, treatment: { units: 1124, clicks: 124 } },
  { control: { units: 200, clicks: 20 }, treatment: { units: 180, clicks: 25 } },
  { control: { units: 10, clicks: 0 }, treatment: { units: 10, clicks: 1 } },
  { control: { units: 50, clicks: 30 }, treatment: { units: 50, clicks: 22 } },
];

test("P(treatment better) and both expected losses match Evan Miller's closed forms (tolerance 1e-6)", () => {
  for (const counts of cases) {
    const result = bayesianAnalysis(counts);
    const c = result.controlPosterior;
    const t = result.treatmentPosterior;
    const label = JSON.stringify(counts);
    const p = probabilityGreater(t.alpha, t.beta, c.alpha, c.beta);
    assert.ok(
      Math.abs(result.probabilityTreatmentBetter - p) < 1e-6,
      `${label}: ${result.probabilityTreatmentBetter} vs ${p}`,
    );
    const lossT = expectedShortfall(t.alpha, t.beta, c.alpha, c.beta);
    const lossC = expectedShortfall(c.alpha, c.beta, t.alpha, t.beta);
    assert.ok(Math.abs(result.expectedLossChoosingTreatment - lossT) < 1e-6, `${label}: loss T ${lossT}`);
    assert.ok(Math.abs(result.expectedLossChoosingControl - lossC) < 1e-6, `${label}: loss C ${lossC}`);
  }
});

test("symmetry: identical arms give P = 1/2 and equal losses; swapping arms gives 1 - P", () => {
  const same = bayesianAnalysis({ control: { units: 10, clicks: 0 }, treatment: { units: 10, clicks: 0 } });
  assert.ok(Math.abs(same.probabilityTreatmentBetter - 0.5) < 1e-9);
  assert.ok(Math.abs(same.expectedLossChoosingControl - same.expectedLossChoosingTreatment) < 1e-9);
  const a = bayesianAnalysis(cases[1]);
  const b = bayesianAnalysis({ control: cases[1].treatment, treatment: cases[1].control });
  assert.ok(Math.abs(a.probabilityTreatmentBetter + b.probabilityTreatmentBetter - 1) < 1e-6);
});

test("credible intervals: tails hold 2.5% each, and at large counts the lift interval nears the delta method", () => {
  // With 100x the Funflix counts the posterior is nearly normal, so the credible interval of the lift should agree
  // with the frequentist delta-method interval to within 2% of its width (Bernstein-von Mises).
  const big = { control: { units: 112400, clicks: 7900 }, treatment: { units: 112400, clicks: 12400 } };
  const bayes = bayesianAnalysis(big).relativeLiftCredibleInterval;
  const delta = relativeLiftInterval(big).interval;
  const width = delta.upper - delta.lower;
  assert.ok(Math.abs(bayes.lower - delta.lower) < 0.02 * width, `${bayes.lower} vs ${delta.lower}`);
  assert.ok(Math.abs(bayes.upper - delta.upper) < 0.02 * width, `${bayes.upper} vs ${delta.upper}`);
  const funflix = bayesianAnalysis(cases[0]);
  assert.ok(funflix.differenceCredibleInterval.lower > 0 && funflix.differenceCredibleInterval.upper < 0.1);
  assert.ok(
    funflix.relativeLiftCredibleInterval.lower < 124 / 79 - 1 &&
      124 / 79 - 1 < funflix.relativeLiftCredibleInterval.upper,
  );
});

test("bad settings are InputErrors", () => {
  assert.throws(() => bayesianAnalysis(cases[0], { prior: { alpha: 0, beta: 1 } }), InputError);
  assert.throws(() => bayesianAnalysis(cases[0], { credibleLevel: 1 }), InputError);
  assert.throws(() => bayesianAnalysis(cases[0], { integrationNodes: 3 }), InputError);
});
