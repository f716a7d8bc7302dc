import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InputError } from "../../src/core/errors";
import { Random } from "../../src/core/random";
import {
  type BanditArm,
  epsilonGreedyChoice,
  epsilonGreedySelectionProbability,
  thompsonSamplingChoice,
  thompsonSelectionProbability,
} from "../../src/stats/bandits";
import { bayesianAnalysis } from "../../src/stats/bayesian";
import { logBeta } from "../../src/stats/distributions";

/**
 * Evan Miller (2015), "Formulas for Bayesian A/B testing" (evanmiller.org/bayesian-ab-testing.html), exact for an
 * integer first parameter: P(X > Y) = sum_{i=0}^{a_x - 1} B(a_y + i, b_y + b_x) / ((b_x + i) B(1 + i, b_x) B(a_y, b_y))
 * for X ~ Beta(a_x, b_x), Y ~ Beta(a_y, b_y); an independent closed form, not the module's integration.
 */
function probabilityGreater(ax: number, bx: number, ay: number, by: number): number {
  let total = 0;
  for (let i = 0; i < ax; i++)
    total += Math.exp(logBeta(ay + i, by + bx) - Math.log(bx + i) - logBeta(1 + i, bx) - logBeta(ay, by));
  return total;
}

const arm = (pulls: number, rewards: number): BanditArm => ({ pulls, rewards });

/** How often `choose` picked each arm in `draws` choices. */
function frequencies(arms: number, draws: number, choose: () => number): number[] {
  const counts = new Array<number>(arms).fill(0);
  for (let i = 0; i < draws; i++) counts[choose()]++;
  return counts.map((c) => c / draws);
}

/** |frequency - p| within 4 binomial SEs (plus 1e-12 so a probability 0 or 1 must be hit exactly). */
function assertWithin4Se(frequency: number, p: number, draws: number, label: string): void {
  const se = Math.sqrt((p * (1 - p)) / draws);
  assert.ok(
    Math.abs(frequency - p) <= 4 * se + 1e-12,
    `${label}: frequency ${frequency} vs probability ${p}`,
  );
}

test("Thompson selection probability of two arms: exact values 2/3, a / (a + 1), and Evan Miller's closed form", () => {
  // P(X1 > X0) for X0 ~ Beta(1, 1), X1 ~ Beta(a, 1): integral of x * a x^(a-1) dx = a / (a + 1).
  for (const a of [2, 3, 10]) {
    const [p0, p1] = thompsonSelectionProbability([arm(0, 0), arm(a - 1, a - 1)]);
    assert.ok(Math.abs(p1 - a / (a + 1)) < 1e-9, `a = ${a}: ${p1}`);
    assert.ok(Math.abs(p0 + p1 - 1) < 1e-15);
  }
  // Realistic states (a day of impressions per arm) against the closed form, and against bayesianAnalysis's
  // P(treatment better) for the same counts: the same integral.
  for (const [control, treatment] of [
    [arm(1452, 106), arm(1495, 129)],
    [arm(1124, 79), arm(1124, 124)],
    [arm(200, 20), arm(180, 25)],
    [arm(10, 0), arm(10, 1)],
  ]) {
    const [, p1] = thompsonSelectionProbability([control, treatment]);
    const exact = probabilityGreater(
      1 + treatment.rewards,
      1 + treatment.pulls - treatment.rewards,
      1 + control.rewards,
      1 + control.pulls - control.rewards,
    );
    assert.ok(Math.abs(p1 - exact) < 1e-6, `${JSON.stringify([control, treatment])}: ${p1} vs ${exact}`);
    const analysis = bayesianAnalysis({
      control: { units: control.pulls, clicks: control.rewards },
      treatment: { units: treatment.pulls, clicks: treatment.rewards },
    });
    assert.ok(Math.abs(p1 - analysis.probabilityTreatmentBetter) < 1e-11);
  }
  // The default run's counts (baseline 106/1452, challenger 129/1495): P(challenger better) = 0.90792 by
  // Evan Miller's sum.
  const [, runP] = thompsonSelectionProbability([arm(1452, 106), arm(1495, 129)]);
  assert.ok(Math.abs(runP - probabilityGreater(130, 1367, 107, 1347)) < 1e-6);
  assert.ok(Math.abs(runP - 0.90792) < 1e-5, `${runP}`);
});

test("Thompson selection probability of three arms: 1/3 each when equal; [1/2, 1/4, 1/4] for Beta(2, 1), U, U", () => {
  const equal = thompsonSelectionProbability([arm(5, 1), arm(5, 1), arm(5, 1)]);
  for (const p of equal) assert.ok(Math.abs(p - 1 / 3) < 1e-9, `${equal}`);
  // P(X0 max) = integral 2x * x^2 dx = 1/2 for X0 ~ Beta(2, 1) against two uniforms; the others share the rest.
  const skewed = thompsonSelectionProbability([arm(1, 1), arm(0, 0), arm(0, 0)]);
  [0.5, 0.25, 0.25].forEach((p, k) => assert.ok(Math.abs(skewed[k] - p) < 1e-9, `${skewed}`));
});

test("Thompson sampling picks a clearly better arm almost always, and each of two equal arms about half the time", () => {
  const random = new Random(20261128);
  const draws = 20000;
  // 7% vs 12% over 2000 impressions each: P(arm 0) = 3.1e-8, so 20000 draws all pick arm 1 (seeded).
  const clear = frequencies(2, draws, () => thompsonSamplingChoice([arm(2000, 140), arm(2000, 240)], random));
  assert.equal(clear[1], 1);
  for (const arms of [
    [arm(0, 0), arm(0, 0)],
    [arm(300, 21), arm(300, 21)],
  ]) {
    const [f0] = frequencies(2, draws, () => thompsonSamplingChoice(arms, random));
    assertWithin4Se(f0, 0.5, draws, `equal arms ${JSON.stringify(arms)}`);
  }
});

test("Thompson sampling: the empirical selection frequency matches the selection probability within 4 SE", () => {
  const random = new Random(7);
  const draws = 20000;
  for (const arms of [
    [arm(150, 10), arm(160, 14)],
    [arm(20, 1), arm(5, 0), arm(40, 4)],
  ]) {
    const probabilities = thompsonSelectionProbability(arms);
    const observed = frequencies(arms.length, draws, () => thompsonSamplingChoice(arms, random));
    probabilities.forEach((p, k) =>
      assertWithin4Se(observed[k], p, draws, `arm ${k} of ${JSON.stringify(arms)}`),
    );
  }
});

test("Thompson sampling draws exactly one uniform per arm, and the prior moves the choice", () => {
  const arms = [arm(10, 1), arm(10, 2), arm(10, 3)];
  const used = new Random(11);
  thompsonSamplingChoice(arms, used);
  const expected = new Random(11);
  for (let i = 0; i < arms.length; i++) expected.float();
  assert.equal(used.float(), expected.float());
  // One click in one impression wins under the uniform prior; a strong prior Beta(1, 1000) swamps it (posterior
  // Beta(2, 1000) against Beta(11, 1090)), the value again Evan Miller's closed form.
  const [uniformP0] = thompsonSelectionProbability([arm(1, 1), arm(100, 10)]);
  assert.ok(Math.abs(uniformP0 - probabilityGreater(2, 1, 11, 91)) < 1e-6, `${uniformP0}`);
  assert.ok(uniformP0 > 0.95);
  const [strongP0] = thompsonSelectionProbability([arm(1, 1), arm(100, 10)], { alpha: 1, beta: 1000 });
  assert.ok(Math.abs(strongP0 - probabilityGreater(2, 1000, 11, 1090)) < 1e-6, `${strongP0}`);
  assert.ok(strongP0 < 0.01);
});

test("epsilon-greedy: epsilon 0 is greedy, (K - 1) / K is uniform, 1 never serves the greedy arm (Seldon)", () => {
  const random = new Random(3);
  const draws = 20000;
  const arms = [arm(100, 9), arm(100, 7), arm(100, 5)];
  assert.deepEqual(
    frequencies(3, draws, () => epsilonGreedyChoice(arms, 0, random)),
    [1, 0, 0],
  );
  const uniform = frequencies(3, draws, () => epsilonGreedyChoice(arms, 2 / 3, random));
  uniform.forEach((f, k) => assertWithin4Se(f, 1 / 3, draws, `arm ${k} at epsilon 2/3`));
  const avoid = frequencies(3, draws, () => epsilonGreedyChoice(arms, 1, random));
  assert.equal(avoid[0], 0);
  assertWithin4Se(avoid[1], 0.5, draws, "arm 1 at epsilon 1");
  epsilonGreedySelectionProbability(arms, 2 / 3).forEach((p) => assert.ok(Math.abs(p - 1 / 3) < 1e-15));
  assert.deepEqual(epsilonGreedySelectionProbability(arms, 1), [0, 0.5, 0.5]);
});

test("epsilon-greedy: the empirical selection frequency matches the selection probability within 4 SE, ties included", () => {
  const random = new Random(5);
  const draws = 20000;
  for (const [arms, epsilon, expected] of [
    // Greedy arm 1 (9%): 0.9 on it, 0.1 on the other.
    [[arm(100, 7), arm(100, 9)], 0.1, [0.1, 0.9]],
    // Nothing pulled: all tie at 0, so each gets 1/2.
    [[arm(0, 0), arm(0, 0)], 0.1, [0.5, 0.5]],
    // Arms 0 and 2 tie at 10%: (1 - 0.2) / 2 + 0.2 * 1 / (2 * 2) = 0.45 each, arm 1 0.2 / 2 = 0.1.
    [[arm(10, 1), arm(0, 0), arm(20, 2)], 0.2, [0.45, 0.1, 0.45]],
  ] as const) {
    const probabilities = epsilonGreedySelectionProbability(arms, epsilon);
    probabilities.forEach((p, k) => assert.ok(Math.abs(p - expected[k]) < 1e-15, `${probabilities}`));
    const observed = frequencies(arms.length, draws, () => epsilonGreedyChoice(arms, epsilon, random));
    probabilities.forEach((p, k) =>
      assertWithin4Se(observed[k], p, draws, `arm ${k} of ${JSON.stringify(arms)}`),
    );
  }
});

test("epsilon-greedy draws exactly two uniforms per choice", () => {
  for (const epsilon of [0, 0.1, 1]) {
    const used = new Random(13);
    epsilonGreedyChoice([arm(3, 1), arm(3, 1)], epsilon, used);
    const expected = new Random(13);
    expected.float();
    expected.float();
    assert.equal(used.float(), expected.float());
  }
});

test("bad states are InputErrors naming the field", () => {
  const random = new Random(1);
  assert.throws(() => thompsonSamplingChoice([arm(1, 0)], random), InputError);
  assert.throws(() => thompsonSamplingChoice([arm(1, 2), arm(1, 0)], random), /arms\[0\]/);
  assert.throws(() => thompsonSelectionProbability([arm(1, 0), arm(1, 0)], { alpha: 0, beta: 1 }), /prior/);
  assert.throws(() => epsilonGreedyChoice([arm(1, 0), arm(1, 0)], 1.5, random), /epsilon/);
  assert.throws(() => epsilonGreedySelectionProbability([arm(1, 0), arm(-1, 0)], 0.1), /arms\[1\]/);
});
