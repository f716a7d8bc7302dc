/**
 * The simulated visitor's behaviour: a cascade click model (Craswell et al. 2008, "An experimental comparison of
 * click position-bias models", WSDM; with abandonment as in the dependent click model of Guo et al. 2009).
 *
 * A visitor is a MovieLens user of the test population (see ./population). A shown movie is relevant to them when
 * they rated it >= 4 in the test period. The visitor scans the slate of K movies top-down:
 *
 * - having reached position k (0-based) without clicking, they examine it with probability e_k (the
 *   position-dependent examination probability) and otherwise leave the page;
 * - an examined movie is clicked with probability c_k = p_rel if it is relevant, p_noise if not;
 * - a click ends the visit (at most one click per visit); otherwise they go on to position k + 1.
 *
 * So the probability that the visit ends with a click at position k, and the visit's click probability (its
 * expected CTR, one visit = one impression) are the product formulas
 *
 *     P(click at k) = e_k c_k * prod_{j<k} e_j (1 - c_j)
 *     CTR(slate)    = sum_{k=0}^{K-1} P(click at k)
 *
 * and a model's expected CTR over the test population, visitors drawn uniformly, is the mean of CTR(slate) over
 * the population's users, each with the slate the model serves them.
 *
 * Default examination is geometric "patience": e_0 = 1 and e_k = gamma for k >= 1, so position k is reached
 * (absent clicks) with probability gamma^k. The click probabilities are tied by p_noise = noiseRatio * p_rel, and
 * p_rel is the free parameter that `calibrateClickModel` solves so that the baseline's expected CTR over the test
 * population is exactly the business case's 7.0%.
 */
import { InputError } from "../core/errors";
import type { Random } from "../core/random";
import { FUNFLIX_BUSINESS_CASE } from "../stats/business-case";

/** The parameters of the cascade click model. */
export interface ClickModelParameters {
  /**
   * e_k: probability that a visitor who reached position k (0-based) without clicking examines it (else leaves).
   * Its length is the slate length K the model applies to.
   */
  examination: readonly number[];
  /** p_rel: probability of clicking an examined relevant movie. */
  relevantClickProbability: number;
  /** p_noise: probability of clicking an examined irrelevant movie. */
  noiseClickProbability: number;
}

/**
 * A slate's relevance pattern for one visitor: `relevance[k]` is 1 when the movie at position k is relevant
 * (rated >= 4 by the visitor in the test period), else 0. Under the click model it is all that matters of a slate.
 */
export type RelevancePattern = Uint8Array;

/**
 * Geometric examination: e_0 = 1, e_k = patience for k >= 1 (a visitor who has not clicked goes on to the next
 * position with probability `patience`).
 *
 * @example
 * geometricExamination(4, 0.8) // => [1, 0.8, 0.8, 0.8]
 */
export function geometricExamination(slateLength: number, patience: number): number[] {
  if (!Number.isInteger(slateLength) || slateLength < 1)
    throw new InputError(`expected a positive integer slate length, got ${slateLength}`, {
      field: "slateLength",
    });
  assertProbability(patience, "patience");
  return Array.from({ length: slateLength }, (_, k) => (k === 0 ? 1 : patience));
}

/** Throws an InputError unless every parameter is a probability in [0, 1]. */
export function validateParameters(parameters: ClickModelParameters): void {
  if (parameters.examination.length === 0)
    throw new InputError("expected at least one examination probability", { field: "examination" });
  parameters.examination.forEach((e, k) => assertProbability(e, `examination[${k}]`));
  assertProbability(parameters.relevantClickProbability, "relevantClickProbability");
  assertProbability(parameters.noiseClickProbability, "noiseClickProbability");
}

function assertProbability(value: number, field: string): void {
  if (!(Number.isFinite(value) && value >= 0 && value <= 1))
    throw new InputError(`expected a probability in [0, 1], got ${value}`, { field });
}

/**
 * P(click at k) for every position k of a slate: e_k c_k prod_{j<k} e_j (1 - c_j). Positions beyond the
 * examination vector's length are never examined.
 *
 * @example
 * // e = [1, 0.5], p_rel = 0.5, p_noise = 0.1, slate [relevant, irrelevant]:
 * clickPositionProbabilities(Uint8Array.of(1, 0), { examination: [1, 0.5], relevantClickProbability: 0.5,
 *   noiseClickProbability: 0.1 }) // => [0.5, 0.025]  (1*0.5, then 1*(1-0.5)*0.5*0.1)
 */
export function clickPositionProbabilities(
  relevance: RelevancePattern,
  parameters: ClickModelParameters,
): number[] {
  const positions = Math.min(relevance.length, parameters.examination.length);
  const result = new Array<number>(positions);
  let reachNoClick = 1; // prod_{j<k} e_j (1 - c_j)
  for (let k = 0; k < positions; k++) {
    const c = relevance[k] ? parameters.relevantClickProbability : parameters.noiseClickProbability;
    const examined = reachNoClick * parameters.examination[k];
    result[k] = examined * c;
    reachNoClick = examined * (1 - c);
  }
  return result;
}

/**
 * The exact expected CTR of one slate for one visitor: CTR = sum_k e_k c_k prod_{j<k} e_j (1 - c_j), the
 * probability that the visit ends with a click.
 *
 * @example
 * expectedSlateCtr(Uint8Array.of(1, 0), { examination: [1, 0.5], relevantClickProbability: 0.5,
 *   noiseClickProbability: 0.1 }) // => 0.525
 */
export function expectedSlateCtr(relevance: RelevancePattern, parameters: ClickModelParameters): number {
  const positions = Math.min(relevance.length, parameters.examination.length);
  let ctr = 0;
  let reachNoClick = 1;
  for (let k = 0; k < positions; k++) {
    const c = relevance[k] ? parameters.relevantClickProbability : parameters.noiseClickProbability;
    const examined = reachNoClick * parameters.examination[k];
    ctr += examined * c;
    reachNoClick = examined * (1 - c);
  }
  return ctr;
}

/**
 * The exact expected CTR per impression of a model over a population: the mean of `expectedSlateCtr` over one
 * relevance pattern per user (the slate the model serves that user, the same on every visit), each user weighted
 * by their expected visits (`visitWeights`, e.g. the calendar's daily visit probabilities: a user who comes twice
 * as often shows twice as many impressions), or equally when visitors are drawn uniformly (no weights).
 *
 * @example
 * const p = { examination: [1], relevantClickProbability: 0.5, noiseClickProbability: 0 };
 * expectedPopulationCtr([Uint8Array.of(1), Uint8Array.of(0)], p);         // => 0.25
 * expectedPopulationCtr([Uint8Array.of(1), Uint8Array.of(0)], p, [3, 1]); // => 0.375
 */
export function expectedPopulationCtr(
  patterns: readonly RelevancePattern[],
  parameters: ClickModelParameters,
  visitWeights?: ArrayLike<number>,
): number {
  if (patterns.length === 0)
    throw new InputError("expected a non-empty test population", { field: "patterns" });
  if (visitWeights === undefined) {
    let sum = 0;
    for (const pattern of patterns) sum += expectedSlateCtr(pattern, parameters);
    return sum / patterns.length;
  }
  if (visitWeights.length !== patterns.length)
    throw new InputError(
      `expected one visit weight per user (${patterns.length}), got ${visitWeights.length}`,
      {
        field: "visitWeights",
      },
    );
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < patterns.length; i++) {
    const w = visitWeights[i];
    if (!(w >= 0 && Number.isFinite(w)))
      throw new InputError(`expected a finite non-negative visit weight, got ${w} at index ${i}`, {
        field: "visitWeights",
      });
    weighted += w * expectedSlateCtr(patterns[i], parameters);
    total += w;
  }
  if (!(total > 0)) throw new InputError("expected a positive total visit weight", { field: "visitWeights" });
  return weighted / total;
}

/** Uniform draws one visit consumes, whatever happens: 2 per position (examine, click). */
export function drawsPerVisit(parameters: ClickModelParameters): number {
  return 2 * parameters.examination.length;
}

/**
 * Draws the 2K uniforms of one visit from `random`. A visit always consumes exactly `drawsPerVisit` numbers, so
 * visit number i of a seeded run uses the same draws whatever earlier visits did (reproducible and resumable).
 */
export function drawVisitUniforms(random: Random, parameters: ClickModelParameters): Float64Array {
  const uniforms = new Float64Array(drawsPerVisit(parameters));
  for (let i = 0; i < uniforms.length; i++) uniforms[i] = random.float();
  return uniforms;
}

/**
 * Simulates one visit on a slate with the visit's pre-drawn uniforms (`drawVisitUniforms`): at position k the
 * visitor examines it when uniforms[2k] < e_k (else leaves) and clicks it when uniforms[2k+1] < c_k.
 * Returns the clicked position (0-based), or -1 when the visit ends without a click.
 */
export function simulateVisitWithUniforms(
  relevance: RelevancePattern,
  parameters: ClickModelParameters,
  uniforms: Float64Array,
): number {
  const positions = Math.min(relevance.length, parameters.examination.length);
  if (uniforms.length < 2 * positions)
    throw new RangeError(`expected ${2 * positions} uniforms for the visit, got ${uniforms.length}`);
  for (let k = 0; k < positions; k++) {
    if (!(uniforms[2 * k] < parameters.examination[k])) return -1;
    const c = relevance[k] ? parameters.relevantClickProbability : parameters.noiseClickProbability;
    if (uniforms[2 * k + 1] < c) return k;
  }
  return -1;
}

/**
 * Simulates one visit with a seeded `Random`: returns the clicked position (0-based) or -1 for no click.
 *
 * @example
 * simulateVisit(Uint8Array.of(1, 0, 0), parameters, new Random(7)) // => 0, 1, 2 or -1, the same for seed 7
 */
export function simulateVisit(
  relevance: RelevancePattern,
  parameters: ClickModelParameters,
  random: Random,
): number {
  return simulateVisitWithUniforms(relevance, parameters, drawVisitUniforms(random, parameters));
}

/** What is fixed before calibration; `relevantClickProbability` is then solved for. */
export interface CalibrationSettings {
  /** The baseline's target expected CTR over the test population (the business case: 0.07). */
  targetCtr: number;
  /** Slate length K (the site shows 10). */
  slateLength: number;
  /** gamma of `geometricExamination`. */
  patience: number;
  /** p_noise / p_rel. */
  noiseRatio: number;
  /** Bisection stops when the bracket on p_rel is narrower than this. */
  tolerance: number;
}

export const DEFAULT_CALIBRATION_SETTINGS: CalibrationSettings = {
  targetCtr: FUNFLIX_BUSINESS_CASE.baselineCtr,
  slateLength: 10,
  patience: 0.85,
  // With 0.05, about three quarters of the baseline's clicks on ml-latest-small are on relevant movies.
  noiseRatio: 0.05,
  tolerance: 1e-12,
};

/** A calibrated click model and the record of how it was obtained. */
export interface CalibratedClickModel {
  parameters: ClickModelParameters;
  settings: CalibrationSettings;
  /** The baseline's exact expected CTR under `parameters` (equals `targetCtr` to ~1e-12). */
  achievedCtr: number;
  /** Users the baseline's CTR was averaged over. */
  populationSize: number;
  iterations: number;
}

/** The click model with p_rel = `relevantClickProbability` and the settings' examination and noise ratio. */
export function clickModelParameters(
  relevantClickProbability: number,
  settings: Pick<CalibrationSettings, "slateLength" | "patience" | "noiseRatio">,
): ClickModelParameters {
  return {
    examination: geometricExamination(settings.slateLength, settings.patience),
    relevantClickProbability,
    noiseClickProbability: settings.noiseRatio * relevantClickProbability,
  };
}

/**
 * Solves p_rel so that the baseline's exact expected CTR per impression over the test population (its users
 * weighted by `visitWeights` when given, see `expectedPopulationCtr`) equals `targetCtr`, by
 * bisection on [0, 1]. The CTR is continuous and non-decreasing in p_rel (with p_noise = noiseRatio * p_rel every
 * c_k grows with p_rel, and the no-click probability N_k = (1 - e_k) + e_k (1 - c_k) N_{k+1} falls as any c_k
 * grows), so the root is unique where it exists. Throws an InputError when the target is out of reach (above the
 * CTR at p_rel = 1).
 *
 * @example
 * calibrateClickModel(baselinePatterns).parameters.relevantClickProbability // => p_rel giving CTR 0.07
 */
export function calibrateClickModel(
  baselinePatterns: readonly RelevancePattern[],
  overrides: Partial<CalibrationSettings> = {},
  visitWeights?: ArrayLike<number>,
): CalibratedClickModel {
  const settings: CalibrationSettings = { ...DEFAULT_CALIBRATION_SETTINGS, ...overrides };
  if (!(settings.targetCtr > 0 && settings.targetCtr < 1))
    throw new InputError(`expected a target CTR in (0, 1), got ${settings.targetCtr}`, {
      field: "targetCtr",
    });
  if (!(settings.noiseRatio >= 0 && settings.noiseRatio <= 1))
    throw new InputError(`expected a noise ratio in [0, 1], got ${settings.noiseRatio}`, {
      field: "noiseRatio",
    });
  const ctrAt = (pRel: number) =>
    expectedPopulationCtr(baselinePatterns, clickModelParameters(pRel, settings), visitWeights);
  const maxCtr = ctrAt(1);
  if (maxCtr < settings.targetCtr)
    throw new InputError(
      `the baseline cannot reach a CTR of ${settings.targetCtr} under this click model: even with p_rel = 1 its ` +
        `expected CTR is ${maxCtr.toFixed(4)}; raise patience or noiseRatio`,
      { field: "targetCtr" },
    );
  let low = 0;
  let high = 1;
  let iterations = 0;
  while (high - low > settings.tolerance && iterations < 200) {
    const mid = (low + high) / 2;
    if (ctrAt(mid) < settings.targetCtr) low = mid;
    else high = mid;
    iterations++;
  }
  const pRel = (low + high) / 2;
  const parameters = clickModelParameters(pRel, settings);
  return {
    parameters,
    settings,
    achievedCtr: expectedPopulationCtr(baselinePatterns, parameters, visitWeights),
    populationSize: baselinePatterns.length,
    iterations,
  };
}
