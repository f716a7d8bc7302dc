import { test } from "node:test";
import * as assert from "node:assert/strict";
import { expectedPopulationCtr } from "../../src/simulation/click-model";
import { groundTruth } from "../../src/simulation/ground-truth";
import { modelRelevancePatterns } from "../../src/simulation/population";
import { slateRecommender, syntheticPopulation } from "../support/simulation";

test("ground truth: the baseline is calibrated to 7% and a better model's exact CTR is higher", () => {
  const population = syntheticPopulation();
  const baseline = slateRecommender("baseline", population, 1);
  const challenger = slateRecommender("challenger", population, 2);
  const truth = groundTruth(population, baseline, [challenger]);
  assert.deepEqual(
    truth.models.map((m) => m.model),
    ["baseline", "challenger"],
  );
  assert.ok(Math.abs(truth.models[0].expectedCtr - 0.07) < 1e-6);
  // Every baseline slate holds exactly one relevant movie, every challenger slate two.
  assert.equal(truth.models[0].meanRelevantPerSlate, 1);
  assert.equal(truth.models[1].meanRelevantPerSlate, 2);
  assert.ok(truth.models[1].expectedCtr > truth.models[0].expectedCtr);
  assert.equal(
    truth.models[1].expectedCtr,
    expectedPopulationCtr(modelRelevancePatterns(population, challenger, 10), truth.calibration.parameters),
  );
  assert.equal(truth.populationSize, 150);
  assert.equal(truth.models[0].fallbackUsers, 0);
});
