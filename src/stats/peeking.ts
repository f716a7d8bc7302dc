/**
 * The peeking problem, by simulation: many seeded experiments are checked after every `lookEveryUsers` users per
 * group. Stopping at the first look where the fixed-n z-test gives p < alpha inflates the false-positive rate of an
 * A/A test far above alpha; the sequential (always-valid) test keeps it at or below alpha.
 *
 * Counts are drawn as binomial increments per look (not per-user loops over the outcome), so thousands of
 * experiments take a second or two.
 */
import { InputError } from "../core/errors";
import { DEFAULT_SEED, Random } from "../core/random";
import { FUNFLIX_BUSINESS_CASE, FUNFLIX_SAMPLE_SIZE } from "./business-case";
import { twoProportionZTest } from "./proportions-test";
import { sequentialAnalysis, type SequentialSettings } from "./sequential";
import { requireOpenUnit } from "./summary";

export interface PeekingSimulationSettings {
  /** True control click-through rate. Default the business case's baseline CTR (0.07). */
  readonly controlRate?: number;
  /** True treatment rate; equal to the control rate (the default) for an A/A experiment. */
  readonly treatmentRate?: number;
  /** Users per group at the last look. Default the business case's sample size per group (1124). */
  readonly usersPerGroup?: number;
  /** Users per group between looks. Default 100. */
  readonly lookEveryUsers?: number;
  /** Simulated experiments. Default 2000. */
  readonly experiments?: number;
  /** Default 0.05 (two-sided tests). */
  readonly alpha?: number;
  /** Sequential tuning parameter N*. Default: the total users at the last look (2 x usersPerGroup). */
  readonly tuningParameter?: number;
  /** Seed of the simulation's random stream. Default core/random's DEFAULT_SEED. */
  readonly seed?: number;
}

export interface PeekingSimulation {
  readonly settings: Required<PeekingSimulationSettings>;
  /** Users per group at each look. */
  readonly looks: readonly number[];
  /** Share of experiments whose fixed-n test rejects at the final look only (no peeking). */
  readonly fixedSampleRejectionRate: number;
  /** Share of experiments stopped by the fixed-n test at any look (peeking). */
  readonly peekingRejectionRate: number;
  /** Share of experiments whose always-valid p-value falls below alpha at any look. */
  readonly sequentialRejectionRate: number;
  /** Cumulative share rejected by look k (same order as `looks`), for the naive and the sequential test. */
  readonly peekingRejectionByLook: readonly number[];
  readonly sequentialRejectionByLook: readonly number[];
}

/** Runs the peeking simulation described above. */
export function simulatePeeking(settings: PeekingSimulationSettings = {}): PeekingSimulation {
  const controlRate = requireOpenUnit(
    settings.controlRate ?? FUNFLIX_BUSINESS_CASE.baselineCtr,
    "controlRate",
  );
  const treatmentRate = requireOpenUnit(settings.treatmentRate ?? controlRate, "treatmentRate");
  const usersPerGroup = settings.usersPerGroup ?? FUNFLIX_SAMPLE_SIZE.controlUsers;
  const lookEveryUsers = settings.lookEveryUsers ?? 100;
  const experiments = settings.experiments ?? 2000;
  for (const [field, value] of Object.entries({ usersPerGroup, lookEveryUsers, experiments }))
    if (!Number.isInteger(value) || value <= 0)
      throw new InputError(`expected a positive integer, got ${value}`, { field });
  const alpha = requireOpenUnit(settings.alpha ?? 0.05, "alpha");
  const tuningParameter = settings.tuningParameter ?? 2 * usersPerGroup;
  const seed = settings.seed ?? DEFAULT_SEED;
  const sequentialSettings: SequentialSettings = { alpha, tuningParameter };

  const looks: number[] = [];
  for (let n = lookEveryUsers; n < usersPerGroup; n += lookEveryUsers) looks.push(n);
  looks.push(usersPerGroup);

  const rng = new Random(seed);
  const peekingFirst = new Array<number>(looks.length).fill(0);
  const sequentialFirst = new Array<number>(looks.length).fill(0);
  let fixedRejections = 0;
  for (let e = 0; e < experiments; e++) {
    let controlClicks = 0;
    let treatmentClicks = 0;
    let previous = 0;
    let peekingStopped = false;
    let sequentialStopped = false;
    for (let k = 0; k < looks.length; k++) {
      const added = looks[k] - previous;
      previous = looks[k];
      controlClicks += rng.binomial(added, controlRate);
      treatmentClicks += rng.binomial(added, treatmentRate);
      const counts = {
        control: { units: looks[k], clicks: controlClicks },
        treatment: { units: looks[k], clicks: treatmentClicks },
      };
      const fixedP = twoProportionZTest(counts).pValue;
      if (!peekingStopped && fixedP < alpha) {
        peekingStopped = true;
        peekingFirst[k]++;
      }
      if (!sequentialStopped && sequentialAnalysis(counts, sequentialSettings).pValue < alpha) {
        sequentialStopped = true;
        sequentialFirst[k]++;
      }
      if (k === looks.length - 1 && fixedP < alpha) fixedRejections++;
    }
  }
  const cumulative = (first: number[]) => {
    let sum = 0;
    return first.map((count) => (sum += count) / experiments);
  };
  const peekingRejectionByLook = cumulative(peekingFirst);
  const sequentialRejectionByLook = cumulative(sequentialFirst);
  return {
    settings: {
      controlRate,
      treatmentRate,
      usersPerGroup,
      lookEveryUsers,
      experiments,
      alpha,
      tuningParameter,
      seed,
    },
    looks,
    fixedSampleRejectionRate: fixedRejections / experiments,
    peekingRejectionRate: peekingRejectionByLook[looks.length - 1],
    sequentialRejectionRate: sequentialRejectionByLook[looks.length - 1],
    peekingRejectionByLook,
    sequentialRejectionByLook,
  };
}
