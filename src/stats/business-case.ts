/**
 * Funflix's business case, in one place: the production recommender's click-through rate, the lift worth
 * detecting, the error rates the test is designed for, the split of traffic and the seed of the default run.
 * Everything else (the `abrec design` and `abrec analyze` defaults, the click model's calibration target, the
 * peeking simulation, the results analysis, the router's default split, the default number of visits) reads it
 * from here; the sample size is computed from it, never written out.
 *
 * CTRs are fractions of visits (0.07 = 7%); the effect is absolute, in the same unit (0.04 = +4 percentage points).
 */
import { DEFAULT_SEED } from "../core/random";
import type { DesignSettings, SampleSizeMethod } from "./design";
import { sampleSizePerGroup, type SampleSize } from "./sample-size";

export const FUNFLIX_BUSINESS_CASE = {
  /** The production recommender's click-through rate: visits with a click / visits, as a fraction (7%). */
  baselineCtr: 0.07,
  /** The smallest lift worth detecting: absolute CTR points as a fraction (+4 points, 7% -> 11%). */
  minimumDetectableEffect: 0.04,
  /** Significance level of the test: the false-positive rate accepted (5%). */
  alpha: 0.05,
  /** Probability of detecting the minimum effect when it is real, 1 - beta (90%). */
  power: 0.9,
  /** The design is two-sided; the pre-registered analysis (src/results/analyze-results.ts) reads it one-sided. */
  oneSided: false,
  /** Treatment users per control user: 1 is a 50/50 split. */
  allocationRatio: 1,
  /** How the sample size per group is computed (Fleiss, Levin & Paik 2003, with continuity correction). */
  sampleSizeMethod: "fleiss-cc" as SampleSizeMethod,
  /** Seed of the default run (training, routing, visitors, clicks). */
  seed: DEFAULT_SEED,
} as const;

/** The business case as design settings for src/stats (sample size, power, plan). */
export const FUNFLIX_DESIGN: DesignSettings = {
  baselineRate: FUNFLIX_BUSINESS_CASE.baselineCtr,
  minimumDetectableEffect: FUNFLIX_BUSINESS_CASE.minimumDetectableEffect,
  alpha: FUNFLIX_BUSINESS_CASE.alpha,
  power: FUNFLIX_BUSINESS_CASE.power,
  oneSided: FUNFLIX_BUSINESS_CASE.oneSided,
  allocationRatio: FUNFLIX_BUSINESS_CASE.allocationRatio,
};

/** Users per group the business case needs (1124 in each group, 2248 in all). */
export const FUNFLIX_SAMPLE_SIZE: SampleSize = sampleSizePerGroup(
  FUNFLIX_DESIGN,
  FUNFLIX_BUSINESS_CASE.sampleSizeMethod,
);

/** Share of traffic for the control (child 0, the baseline) under the business case's allocation: 0.5. */
export const FUNFLIX_CONTROL_SHARE = 1 / (1 + FUNFLIX_BUSINESS_CASE.allocationRatio);
