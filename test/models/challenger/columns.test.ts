import { test } from "node:test";
import * as assert from "node:assert/strict";
import { joinColumns, splitColumns } from "../../../src/models/challenger/columns";

test("splitColumns and joinColumns are inverse; the doc examples hold; bad shapes are refused", () => {
  const [left, right] = splitColumns(Float32Array.of(1, 2, 3, 4, 5, 6), 3, 2);
  assert.deepEqual(left, Float32Array.of(1, 2, 4, 5));
  assert.deepEqual(right, Float32Array.of(3, 6));
  assert.deepEqual(joinColumns(left, 2, right, 1), Float32Array.of(1, 2, 3, 4, 5, 6));
  const values = Float32Array.from({ length: 4 * 5 }, (_, k) => k * 0.5);
  for (const at of [1, 2, 4]) {
    const [first, rest] = splitColumns(values, 5, at);
    assert.equal(first.length, 4 * at);
    assert.deepEqual(joinColumns(first, at, rest, 5 - at), values);
  }
  assert.throws(() => splitColumns(new Float32Array(5), 2, 1), RangeError);
  assert.throws(() => splitColumns(new Float32Array(4), 2, 3), RangeError);
  assert.throws(() => joinColumns(new Float32Array(4), 2, new Float32Array(3), 1), RangeError);
});
