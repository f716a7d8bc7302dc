/**
 * The click model calibrated on the baseline, and the exact expected CTR of every model under it: the ground truth
 * that measured CTRs (simulation, experiment) are compared with. Written as `click-model.json` beside a run.
 */
import type { Recommender } from "../models/recommender";
import {
  calibrateClickModel,
  expectedPopulationCtr,
  expectedSlateCtr,
  type CalibratedClickModel,
  type CalibrationSettings,
} from "./click-model";
import { populationFingerprint, relevancePattern, type TestPopulation } from "./population";

/**
 * One model's exact expected CTR per impression over the test population: users weighted by their daily visit
 * probability on a calendar (a returning user sees the same slate each visit), equally for uniform visitors.
 */
export interface ModelGroundTruth {
  /** The recommender's name ("baseline", "challenger"). */
  model: string;
  version: string;
  expectedCtr: number;
  /** Mean number of relevant movies in the model's slates (a precision@K times K). */
  meanRelevantPerSlate: number;
  /** Population users the model served its unknown-user fallback (0 when the model knows them all). */
  fallbackUsers: number;
}

export interface GroundTruth {
  calibration: CalibratedClickModel;
  /** Same order as the recommenders given, baseline first. */
  models: ModelGroundTruth[];
  populationSize: number;
  populationFingerprint: string;
  positiveThreshold: number;
  /** "visit-rates": users weighted by their expected visits (the calendar); "uniform": visitors drawn uniformly. */
  weighting: "visit-rates" | "uniform";
  /** The population's user ids, ascending: `perUserCtr` and the calendar's rates follow this order. */
  userIds: number[];
  /** Each model's exact CTR of each user's slate, aligned with `userIds` (model name -> CTRs). */
  perUserCtr: Record<string, number[]>;
}

/**
 * Calibrates the click model on `baseline` (its expected CTR per impression over the population becomes
 * `targetCtr`) and computes every model's exact expected CTR under the calibrated model. `visitRates`, aligned with
 * `population.userIds`, weights each user by their expected visits (the calendar); without it users count equally.
 *
 * @example
 * const truth = groundTruth(population, baseline, [challenger]);
 * truth.models.map((m) => m.expectedCtr) // => [0.07, 0.1x]
 */
export function groundTruth(
  population: TestPopulation,
  baseline: Recommender,
  others: readonly Recommender[] = [],
  settings: Partial<CalibrationSettings> = {},
  visitRates?: ArrayLike<number>,
): GroundTruth {
  const slateLength = settings.slateLength ?? 10;
  const serve = (recommender: Recommender) => {
    const recommendations = recommender.recommendBatch(population.userIds, slateLength);
    return {
      fallbackUsers: recommendations.filter((r) => r.fallback).length,
      patterns: recommendations.map((r, i) =>
        relevancePattern(population, population.userIds[i], r.movieIds),
      ),
    };
  };
  const base = serve(baseline);
  const served = others.map((other) => ({ recommender: other, served: serve(other) }));
  const calibration = calibrateClickModel(base.patterns, settings, visitRates);
  const describe = (recommender: Recommender, served: ReturnType<typeof serve>): ModelGroundTruth => ({
    model: recommender.name,
    version: recommender.version,
    expectedCtr: expectedPopulationCtr(served.patterns, calibration.parameters, visitRates),
    meanRelevantPerSlate:
      served.patterns.reduce((sum, p) => sum + p.reduce((s, bit) => s + bit, 0), 0) / served.patterns.length,
    fallbackUsers: served.fallbackUsers,
  });
  return {
    calibration,
    models: [describe(baseline, base), ...served.map((o) => describe(o.recommender, o.served))],
    populationSize: population.userIds.length,
    populationFingerprint: populationFingerprint(population),
    positiveThreshold: population.positiveThreshold,
    weighting: visitRates === undefined ? "uniform" : "visit-rates",
    userIds: population.userIds.slice(),
    perUserCtr: Object.fromEntries(
      [{ recommender: baseline, served: base }, ...served].map(({ recommender, served: s }) => [
        recommender.name,
        s.patterns.map((pattern) => expectedSlateCtr(pattern, calibration.parameters)),
      ]),
    ),
  };
}
