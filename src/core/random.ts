/**
 * Seeded pseudo-random numbers for everything in the project that draws at random (synthetic data, negative
 * sampling, routing, simulated visitors, Monte Carlo), so every run can be reproduced from its recorded seed.
 *
 * Built on pure-rand's xoroshiro128+; `fork()` jumps the generator 2^64 steps ahead, giving independent streams
 * (one per purpose) from one seed without them sharing draws.
 *
 * @example
 * const rng = new Random(42);
 * rng.float();   // => a number in [0, 1), the same on every run with seed 42
 * rng.int(10);   // => an integer in 0..9
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";

/** The seed used when the caller gives none; recorded in every manifest and run record. */
export const DEFAULT_SEED = 20261128;

export class Random {
  private readonly generator: JumpableRandomGenerator;
  private spareNormal: number | undefined;

  constructor(
    /** The seed this stream was created from (for run records). */
    readonly seed: number = DEFAULT_SEED,
    state?: readonly number[],
  ) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.generator = state ? xoroshiro128plusFromState(state) : xoroshiro128plus(seed);
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    return uniformFloat64(this.generator);
  }

  /** Uniform integer in 0..n-1. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer n, got ${n}`);
    return uniformInt(this.generator, 0, n - 1);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal draw (Marsaglia polar method). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    for (;;) {
      const u = 2 * this.float() - 1;
      const v = 2 * this.float() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const factor = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * factor;
        return u * factor;
      }
    }
  }

  /** Binomial(n, p) draw; exact (sum of Bernoullis) for small n, normal approximation never used. */
  binomial(n: number, p: number): number {
    let successes = 0;
    for (let i = 0; i < n; i++) if (this.float() < p) successes++;
    return successes;
  }

  /** Poisson(mean) draw by multiplying uniforms (Knuth, TAOCP vol. 2, 3.4.1): O(mean) uniforms, for small means. */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let count = 0;
    for (let product = this.float(); product > limit; product *= this.float()) count++;
    return count;
  }

  /**
   * Gamma(shape, 1) draw by Marsaglia & Tsang (2000), "A simple method for generating gamma variables", ACM TOMS
   * 26(3), with their boost for shape < 1: Gamma(shape) = Gamma(shape + 1) * U^(1 / shape).
   */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.float(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.float();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** Beta(alpha, beta) draw as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). */
  beta(alpha: number, beta: number): number {
    const x = this.gamma(alpha);
    const y = this.gamma(beta);
    return x / (x + y);
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /**
   * An independent stream: a copy of this generator jumped 2^64 steps ahead. This generator is jumped too, so
   * successive forks never overlap.
   */
  fork(): Random {
    this.generator.jump();
    return new Random(this.seed, this.generator.clone().getState());
  }
}
