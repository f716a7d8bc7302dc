import { test } from "node:test";
import * as assert from "node:assert/strict";
import { itemsOf, positiveRows, userItems } from "../../src/models/interactions";
import type { InteractionColumns } from "../../src/data/types";

const columns: InteractionColumns = {
  length: 6,
  userIndex: Int32Array.from([2, 0, 2, 2, 0, 2]),
  movieIndex: Int32Array.from([5, 1, 3, 5, 4, 0]),
  rating: Float32Array.from([4, 2, 5, 4.5, 4, 1]),
  timestamp: Float64Array.from([1, 2, 3, 4, 5, 6]),
};

test("userItems groups by user, sorts and de-duplicates; users without items are empty", () => {
  const lists = userItems(columns, 3);
  assert.deepEqual([...itemsOf(lists, 0)], [1, 4]);
  assert.deepEqual([...itemsOf(lists, 1)], []);
  assert.deepEqual([...itemsOf(lists, 2)], [0, 3, 5]);
  assert.equal(lists.items.length, 5);
});

test("positiveRows keeps ratings at or above the threshold", () => {
  const positives = userItems(columns, 3, positiveRows(columns, 4));
  assert.deepEqual([...itemsOf(positives, 0)], [4]);
  assert.deepEqual([...itemsOf(positives, 2)], [3, 5]);
});
