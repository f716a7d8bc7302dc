import { test } from "node:test";
import * as assert from "node:assert/strict";
import { topK, TopK } from "../../src/models/top-k";
import { Random } from "../../src/core/random";

test("topK returns the k best, best first, skipping excluded indices", () => {
  assert.deepEqual(topK(new Float32Array([0.1, 0.9, 0.5]), 2, new Set([1])), {
    items: [2, 0],
    scores: [Math.fround(0.5), Math.fround(0.1)],
  });
});

test("topK agrees with a full sort on random scores, ties broken by lower index", () => {
  const rng = new Random(3);
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + rng.int(200);
    const scores = Array.from({ length: n }, () => rng.int(20)); // many ties
    const k = rng.int(15);
    const expected = scores
      .map((score, index) => ({ score, index }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, k);
    const got = topK(scores, k);
    assert.deepEqual(
      got.items,
      expected.map((e) => e.index),
    );
  }
});

test("k = 0 and k larger than the catalogue", () => {
  assert.deepEqual(topK([1, 2], 0).items, []);
  assert.deepEqual(topK([1, 3, 2], 10).items, [1, 2, 0]);
  assert.throws(() => new TopK(-1), RangeError);
});
