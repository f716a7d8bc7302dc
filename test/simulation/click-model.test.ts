import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Random } from "../../src/core/random";
import {
  calibrateClickModel,
  clickModelParameters,
  clickPositionProbabilities,
  expectedPopulationCtr,
  expectedSlateCtr,
  geometricExamination,
  simulateVisit,
  validateParameters,
  type ClickModelParameters,
} from "../../src/simulation/click-model";
import { InputError } from "../../src/core/errors";

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} != ${expected} (tolerance ${tolerance})`);

const pattern = (...bits: number[]) => Uint8Array.from(bits);

test("hand-computed slates: the cascade's product formula", () => {
  // e = [1, 0.5], p_rel 0.5, p_noise 0.1, [relevant, irrelevant]:
  // P(click 0) = 1 * 0.5 = 0.5; P(click 1) = 1 * (1 - 0.5) * 0.5 * 0.1 = 0.025; CTR 0.525.
  const a: ClickModelParameters = {
    examination: [1, 0.5],
    relevantClickProbability: 0.5,
    noiseClickProbability: 0.1,
  };
  const byPosition = clickPositionProbabilities(pattern(1, 0), a);
  close(byPosition[0], 0.5);
  close(byPosition[1], 0.025);
  close(expectedSlateCtr(pattern(1, 0), a), 0.525);
  // Full examination, three relevant movies, p_rel 0.2: CTR = 1 - 0.8^3 = 0.488.
  const b: ClickModelParameters = {
    examination: [1, 1, 1],
    relevantClickProbability: 0.2,
    noiseClickProbability: 0,
  };
  close(expectedSlateCtr(pattern(1, 1, 1), b), 0.488);
  // Nothing relevant and no noise: never a click.
  close(expectedSlateCtr(pattern(0, 0, 0), b), 0);
  // Geometric patience 0.5, c = 0.4 everywhere: 0.4 + 0.5*0.6*0.4 + 0.25*0.36*0.4 = 0.4 + 0.12 + 0.036 = 0.556.
  const c: ClickModelParameters = {
    examination: geometricExamination(3, 0.5),
    relevantClickProbability: 0.4,
    noiseClickProbability: 0.4,
  };
  close(expectedSlateCtr(pattern(1, 0, 1), c), 0.556);
  // Positions beyond the examination vector are never examined: [0, 1, 1 | 1] gives 0 + 0.2 + 0.8 * 0.2 = 0.36.
  close(expectedSlateCtr(pattern(0, 1, 1, 1), b), 0.36);
});

test("geometricExamination and parameter validation", () => {
  assert.deepEqual(geometricExamination(4, 0.8), [1, 0.8, 0.8, 0.8]);
  assert.throws(() => geometricExamination(0, 0.8), InputError);
  assert.throws(() => geometricExamination(3, 1.2), /patience/);
  assert.throws(
    () => validateParameters({ examination: [1], relevantClickProbability: -0.1, noiseClickProbability: 0 }),
    /relevantClickProbability/,
  );
});

test("Monte Carlo agrees with the analytic CTR and click positions (n = 200,000; 4 standard errors)", () => {
  const parameters = clickModelParameters(0.35, { slateLength: 10, patience: 0.85, noiseRatio: 0.1 });
  const slate = pattern(0, 1, 0, 0, 1, 1, 0, 0, 0, 1);
  const n = 200_000;
  const random = new Random(11);
  const counts = new Array<number>(10).fill(0);
  let clicks = 0;
  for (let i = 0; i < n; i++) {
    const position = simulateVisit(slate, parameters, random);
    if (position >= 0) {
      clicks++;
      counts[position]++;
    }
  }
  const expected = expectedSlateCtr(slate, parameters);
  // Clicks ~ Binomial(n, CTR): |p_hat - CTR| < 4 sqrt(CTR (1 - CTR) / n) fails with probability ~6e-5.
  close(clicks / n, expected, 4 * Math.sqrt((expected * (1 - expected)) / n));
  const byPosition = clickPositionProbabilities(slate, parameters);
  for (let k = 0; k < 10; k++)
    close(counts[k] / n, byPosition[k], 4 * Math.sqrt((byPosition[k] * (1 - byPosition[k])) / n));
});

test("the same seed gives the same visits", () => {
  const parameters = clickModelParameters(0.5, { slateLength: 10, patience: 0.85, noiseRatio: 0.1 });
  const slate = pattern(1, 0, 1, 0, 0, 0, 1, 0, 0, 0);
  const run = (seed: number) => {
    const random = new Random(seed);
    return Array.from({ length: 50 }, () => simulateVisit(slate, parameters, random));
  };
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
});

test("monotonicity: CTR rises with p_rel, patience and relevance, and with a relevant movie moved up", () => {
  const random = new Random(5);
  for (let trial = 0; trial < 200; trial++) {
    const slate = Uint8Array.from({ length: 10 }, () => (random.bernoulli(0.3) ? 1 : 0));
    const pRel = random.float();
    const patience = random.float();
    const base = clickModelParameters(pRel, { slateLength: 10, patience, noiseRatio: 0.1 });
    const ctr = expectedSlateCtr(slate, base);
    const higherP = clickModelParameters(Math.min(1, pRel + 0.05), {
      slateLength: 10,
      patience,
      noiseRatio: 0.1,
    });
    assert.ok(expectedSlateCtr(slate, higherP) >= ctr - 1e-15);
    const morePatient = clickModelParameters(pRel, {
      slateLength: 10,
      patience: Math.min(1, patience + 0.05),
      noiseRatio: 0.1,
    });
    assert.ok(expectedSlateCtr(slate, morePatient) >= ctr - 1e-15);
    // Making an irrelevant movie relevant never lowers the CTR (p_rel >= p_noise).
    const k = random.int(10);
    const moreRelevant = slate.slice();
    moreRelevant[k] = 1;
    assert.ok(expectedSlateCtr(moreRelevant, base) >= ctr - 1e-15);
    // Swapping (irrelevant, relevant) at (k, k+1) into (relevant, irrelevant) changes the CTR by
    // R e_k (p_rel - p_noise)(1 - e_{k+1}) >= 0 (R = probability of reaching k without a click).
    const j = random.int(9);
    if (slate[j] === 0 && slate[j + 1] === 1) {
      const swapped = slate.slice();
      swapped[j] = 1;
      swapped[j + 1] = 0;
      assert.ok(expectedSlateCtr(swapped, base) >= ctr - 1e-15);
    }
  }
});

test("calibration solves p_rel so the baseline's expected CTR is 0.07 to 1e-6", () => {
  const random = new Random(21);
  // A synthetic population of 300 baseline slates with precision ~ 0.15.
  const patterns = Array.from({ length: 300 }, () =>
    Uint8Array.from({ length: 10 }, () => (random.bernoulli(0.15) ? 1 : 0)),
  );
  const calibrated = calibrateClickModel(patterns);
  close(calibrated.achievedCtr, 0.07, 1e-6);
  close(expectedPopulationCtr(patterns, calibrated.parameters), 0.07, 1e-6);
  const { relevantClickProbability: pRel, noiseClickProbability: pNoise } = calibrated.parameters;
  assert.ok(pRel > 0 && pRel < 1);
  close(pNoise, 0.05 * pRel); // DEFAULT_CALIBRATION_SETTINGS.noiseRatio
  assert.deepEqual(calibrated.parameters.examination, geometricExamination(10, 0.85));
  assert.equal(calibrated.populationSize, 300);
  // Another target and settings.
  const other = calibrateClickModel(patterns, { targetCtr: 0.11, patience: 0.7, noiseRatio: 0.05 });
  close(other.achievedCtr, 0.11, 1e-6);
  assert.ok(other.parameters.relevantClickProbability > pRel);
});

test("calibration refuses an unreachable target and bad settings", () => {
  const nothingRelevant = [pattern(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)];
  assert.throws(() => calibrateClickModel(nothingRelevant, { noiseRatio: 0 }), /cannot reach a CTR of 0.07/);
  assert.throws(() => calibrateClickModel(nothingRelevant, { targetCtr: 1.5 }), InputError);
  assert.throws(
    () =>
      expectedPopulationCtr([], clickModelParameters(0.5, { slateLength: 10, patience: 0.8, noiseRatio: 0 })),
    /non-empty/,
  );
});
