import { test } from "node:test";
import * as assert from "node:assert/strict";
import { itemPopularityShares, novelty } from "../../../src/evaluation/metrics/novelty";

test("novelty is the mean self-information with add-one smoothed shares", () => {
  // 3 users; item 7 rated by all 3: p = 4/4 = 1 -> 0 bits; item 8 unrated: p = 1/4 -> 2 bits.
  const share = itemPopularityShares(new Map([[7, 3]]), 3);
  assert.equal(novelty([7, 8], share, 10), 1);
  assert.equal(novelty([7, 8], share, 1), 0);
  assert.equal(novelty([], share, 10), 0);
});
