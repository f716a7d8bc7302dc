import { test } from "node:test";
import * as assert from "node:assert/strict";
import { FactorRecommender } from "../../src/models/factor-recommender";
import { Random } from "../../src/core/random";

/** A random factor model over `nMovies` movies whose users have each seen a few of them. */
function randomModel(dim: number, nUsers = 20, nMovies = 300, seed = 4): FactorRecommender {
  const rng = new Random(seed);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const offsets = new Int32Array(nUsers + 1);
  const items: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const seen = new Set<number>();
    while (seen.size < 1 + rng.int(30)) seen.add(rng.int(nMovies));
    items.push(...[...seen].sort((a, b) => a - b));
    offsets[u + 1] = items.length;
  }
  return new FactorRecommender({
    name: "challenger",
    version: "t",
    dim,
    userIds: Int32Array.from({ length: nUsers }, (_, u) => 100 + u),
    movieIds: Int32Array.from({ length: nMovies }, (_, i) => 5000 + i),
    userFactors: fill(nUsers * dim),
    itemFactors: fill(nMovies * dim),
    itemBias: fill(nMovies),
    fallbackScores: fill(nMovies),
    seen: { nUsers, offsets, items: Int32Array.from(items) },
  });
}

test("top-k equals a brute-force sort of bias + dot product, minus seen movies, for several widths", () => {
  for (const dim of [0, 1, 3, 4, 7, 32]) {
    const model = randomModel(dim);
    const { parts } = model;
    for (let row = 0; row < parts.userIds.length; row++) {
      const seen = new Set(parts.seen.items.subarray(parts.seen.offsets[row], parts.seen.offsets[row + 1]));
      const expected = Array.from(parts.movieIds.keys())
        .filter((i) => !seen.has(i))
        .map((i) => {
          let score = parts.itemBias[i];
          for (let f = 0; f < dim; f++)
            score += parts.userFactors[row * dim + f] * parts.itemFactors[i * dim + f];
          return { i, score };
        })
        .sort((a, b) => b.score - a.score)
        .slice(0, 10);
      const got = model.recommend(parts.userIds[row], 10);
      assert.deepEqual(
        got.movieIds,
        expected.map((e) => parts.movieIds[e.i]),
        `dim ${dim} user row ${row}`,
      );
      // float32 arithmetic (the kernel) against the float64 sum: agreement to ~1e-6 relative.
      got.scores.forEach((score, j) =>
        assert.ok(Math.abs(score - expected[j].score) < 1e-5 * Math.max(1, Math.abs(score))),
      );
    }
  }
});

test("repeated calls are independent (the reused exclusion mask is cleared) and k is validated", () => {
  const model = randomModel(4);
  const first = model.recommend(100, 10);
  model.recommend(101, 10);
  assert.deepEqual(model.recommend(100, 10), first);
  assert.throws(() => model.recommend(100, -1), RangeError);
  assert.equal(model.recommend(100, 0).movieIds.length, 0);
});
