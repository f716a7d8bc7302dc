/**
 * Negative sampling for the challenger's BPR loss: movie j is drawn with probability proportional to
 * (n_j + 1)^α, n_j its positives in the training period. α = 0 is BPR's uniform sampling (Rendle et al.,
 * UAI 2009); α > 0 draws popular movies more often as negatives, which makes them harder negatives and stops the
 * model from ranking a movie high merely because it is popular. Popularity-shaped negatives come from word2vec,
 * which draws negatives from the unigram distribution raised to 3/4 (Mikolov et al., NIPS 2013, "Distributed
 * representations of words and phrases and their compositionality", section 2.2); for BPR, Rendle & Freudenthaler
 * (WSDM 2014, "Improving pairwise learning for item recommendation from implicit feedback") show that when item
 * popularity is long-tailed, uniformly drawn negatives are mostly pairs already ranked right, whose gradients
 * vanish, and oversample popular (and then model-dependent) negatives instead. The + 1 gives movies without
 * positives a chance to be drawn.
 *
 * Draws use Walker's alias method as Vose builds it (Vose, IEEE TSE 1991, "A linear algorithm for generating
 * random numbers with a given distribution"): O(n) set-up, then O(1) per draw from one uniform float, which
 * measured faster than a binary search over the cumulative distribution (docs/models.md, History 2026-12-01).
 */
import { InputError } from "../../core/errors";
import type { Random } from "../../core/random";

/** Draws one movie index. */
export type NegativeSampler = () => number;

/**
 * A sampler over `counts.length` movies with P(j) ∝ (counts[j] + 1)^exponent, drawing from `rng`. Exponent 0
 * returns `rng.int(n)` itself, so uniform sampling consumes exactly the draws it always did.
 */
export function negativeSampler(rng: Random, counts: ArrayLike<number>, exponent: number): NegativeSampler {
  const n = counts.length;
  if (!(Number.isFinite(exponent) && exponent >= 0))
    throw new InputError(`expected a finite number >= 0, got ${exponent}`, {
      field: "negativeSamplingExponent",
    });
  if (n === 0) throw new RangeError("negative sampling needs at least one movie");
  if (exponent === 0) return () => rng.int(n);
  const { probability, alias } = aliasTable(
    Float64Array.from({ length: n }, (_, j) => Math.pow(counts[j] + 1, exponent)),
  );
  return () => {
    // One 53-bit float gives both the column (its integer part) and the coin (its fraction): the column takes
    // at most 17 bits for 100k movies, leaving the coin 36.
    const x = rng.float() * n;
    const column = Math.floor(x);
    return x - column < probability[column] ? column : alias[column];
  };
}

/**
 * Vose's alias table for `weights` (non-negative, not all zero): column j keeps itself with probability
 * `probability[j]`, else gives `alias[j]`; a uniform column then that coin draws j with probability
 * weights[j] / Σ weights.
 */
export function aliasTable(weights: Float64Array): { probability: Float64Array; alias: Int32Array } {
  const n = weights.length;
  let total = 0;
  for (let j = 0; j < n; j++) total += weights[j];
  if (!(total > 0 && Number.isFinite(total)))
    throw new RangeError(`alias table: weights must be finite with a positive sum, got sum ${total}`);
  const scaled = Float64Array.from(weights, (w) => (w * n) / total);
  const probability = new Float64Array(n);
  const alias = new Int32Array(n);
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let nSmall = 0;
  let nLarge = 0;
  for (let j = 0; j < n; j++) {
    if (scaled[j] < 1) small[nSmall++] = j;
    else large[nLarge++] = j;
  }
  while (nSmall > 0 && nLarge > 0) {
    const less = small[--nSmall];
    const more = large[--nLarge];
    probability[less] = scaled[less];
    alias[less] = more;
    scaled[more] = scaled[more] + scaled[less] - 1;
    if (scaled[more] < 1) small[nSmall++] = more;
    else large[nLarge++] = more;
  }
  // What remains is 1 up to rounding error (Vose, section III).
  while (nLarge > 0) probability[large[--nLarge]] = 1;
  while (nSmall > 0) probability[small[--nSmall]] = 1;
  return { probability, alias };
}
