/**
 * Percentile bootstrap confidence intervals over users (Efron & Tibshirani, "An Introduction to the Bootstrap",
 * 1993, ch. 13): resample the n users with replacement B times, compute the statistic on each resample, and take
 * the (1−c)/2 and (1+c)/2 quantiles of the B values. Seeded, so intervals are reproducible.
 */
import { Random } from "../core/random";

export interface Interval {
  /** The statistic on the original sample. */
  estimate: number;
  lower: number;
  upper: number;
}

export interface BootstrapOptions {
  resamples: number;
  /** e.g. 0.95 */
  confidence: number;
  rng: Random;
}

/** Resample index sets: `resamples` arrays of n indices drawn with replacement from 0..n-1. */
export function bootstrapSamples(n: number, resamples: number, rng: Random): Int32Array[] {
  return Array.from({ length: resamples }, () => {
    const sample = new Int32Array(n);
    for (let j = 0; j < n; j++) sample[j] = rng.int(n);
    return sample;
  });
}

/** The q-quantile of sorted values, linear interpolation between order statistics (type 7, as R's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/**
 * Percentile interval of `statistic` over precomputed resamples (share the same `samples` between metrics and
 * models so paired comparisons use the same users).
 */
export function percentileInterval(
  n: number,
  statistic: (indices: ArrayLike<number>) => number,
  samples: readonly Int32Array[],
  confidence: number,
  options: { biasCorrected?: boolean } = {},
): Interval {
  const identity = Int32Array.from({ length: n }, (_, j) => j);
  const estimate = statistic(identity);
  const values = Float64Array.from(samples, (sample) => statistic(sample)).sort();
  // Bias correction (Efron & Tibshirani 1993, §10.6): shift by bias = mean(θ*) − θ̂. Needed for statistics that
  // are biased under resampling with replacement, such as catalogue coverage (duplicated users add no new items).
  let shift = 0;
  if (options.biasCorrected && values.length > 0)
    shift = meanAt(values, identityOf(values.length)) - estimate;
  return {
    estimate,
    lower: quantileSorted(values, (1 - confidence) / 2) - shift,
    upper: quantileSorted(values, (1 + confidence) / 2) - shift,
  };
}

function identityOf(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, j) => j);
}

/** Mean of `values` at `indices`. */
export function meanAt(values: ArrayLike<number>, indices: ArrayLike<number>): number {
  if (indices.length === 0) return NaN;
  let sum = 0;
  for (let j = 0; j < indices.length; j++) sum += values[indices[j]];
  return sum / indices.length;
}

/**
 * Bootstrap interval of the mean of `values`.
 *
 * @example
 * bootstrapMean([0, 1, 1, 0], { resamples: 1000, confidence: 0.95, rng: new Random(1) }); // estimate 0.5
 */
export function bootstrapMean(values: ArrayLike<number>, options: BootstrapOptions): Interval {
  const samples = bootstrapSamples(values.length, options.resamples, options.rng);
  return percentileInterval(values.length, (indices) => meanAt(values, indices), samples, options.confidence);
}
