import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ScoringKernel } from "../../src/models/scoring-kernel";
import { SCORING_KERNEL_WASM_BASE64 } from "../../src/models/scoring-kernel-binary";
import { Random } from "../../src/core/random";
import { assembleKernel, kernelBinaryModule, KERNEL_BINARY_FILE } from "../../scripts/assemble-wasm";
import * as fs from "node:fs";

test("the committed kernel binary is the assembly of scoring-kernel.wat (else run `npm run build:wasm`)", async () => {
  const binary = await assembleKernel();
  assert.deepEqual(Buffer.from(SCORING_KERNEL_WASM_BASE64, "base64"), Buffer.from(binary));
  assert.equal(fs.readFileSync(KERNEL_BINARY_FILE, "utf8"), kernelBinaryModule(binary));
});

test("the doc comment's example", () => {
  const kernel = new ScoringKernel(new Float32Array([1, 0, 0, 1]), new Float32Array([0.5, 0]), 2);
  assert.deepEqual([...kernel.score(new Float32Array([2, 3]))], [2.5, 3]);
});

test("scores equal bias + dot product in float64 to float32 precision, for odd widths and partial blocks", () => {
  const rng = new Random(11);
  for (const [nItems, dim] of [
    [1, 1],
    [5, 3],
    [8, 4],
    [13, 7],
    [1001, 32],
    [37, 33],
  ]) {
    const items = Float32Array.from({ length: nItems * dim }, () => rng.normal());
    const bias = Float32Array.from({ length: nItems }, () => rng.normal());
    const kernel = new ScoringKernel(items, bias, dim);
    for (let trial = 0; trial < 3; trial++) {
      const user = Float32Array.from({ length: dim }, () => rng.normal());
      const scores = kernel.score(user);
      assert.equal(scores.length, nItems);
      for (let i = 0; i < nItems; i++) {
        let expected = bias[i];
        for (let f = 0; f < dim; f++) expected += user[f] * items[i * dim + f];
        // float32 accumulation over <= 33 terms of size ~1: error well under 1e-5.
        assert.ok(Math.abs(scores[i] - expected) < 1e-5, `n ${nItems} dim ${dim} item ${i}`);
      }
    }
  }
});

test("bad shapes are rejected", () => {
  assert.throws(() => new ScoringKernel(new Float32Array(3), new Float32Array(2), 2), RangeError);
  assert.throws(() => new ScoringKernel(new Float32Array(0), new Float32Array(0), 0), RangeError);
  const kernel = new ScoringKernel(new Float32Array(4), new Float32Array(2), 2);
  assert.throws(() => kernel.score(new Float32Array(3)), RangeError);
});

test("firstAbove finds the first score above a threshold, like a linear scan, at every start", () => {
  const rng = new Random(12);
  for (const nItems of [1, 3, 4, 9, 64, 203]) {
    const kernel = new ScoringKernel(
      Float32Array.from({ length: nItems }, () => rng.normal()),
      Float32Array.from({ length: nItems }, () => rng.normal()),
      1,
    );
    const scores = kernel.score([1]);
    scores[0] = -Infinity; // how the recommender hides seen movies
    for (const threshold of [-Infinity, -1, 0, 0.5, 2, Infinity])
      for (let from = 0; from <= nItems; from++) {
        let expected = from;
        while (expected < nItems && !(scores[expected] > Math.fround(threshold))) expected++;
        assert.equal(kernel.firstAbove(from, threshold), expected, `n ${nItems} from ${from} > ${threshold}`);
      }
  }
});
