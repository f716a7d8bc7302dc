import { test } from "node:test";
import * as assert from "node:assert/strict";
import { wilsonInterval } from "../../mock-site/intervals";

// Expected limits: Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score without
// continuity correction), printed to 4 decimals; tolerance 5e-5 (half a unit of the last printed digit).
const NEWCOMBE_TABLE_I: [number, number, number, number][] = [
  [81, 263, 0.2553, 0.3662],
  [15, 148, 0.0624, 0.1605],
  [0, 20, 0.0, 0.1611],
  [1, 29, 0.0061, 0.1718],
];

test("Wilson score interval matches Newcombe (1998) Table I", () => {
  for (const [clicks, users, lower, upper] of NEWCOMBE_TABLE_I) {
    const interval = wilsonInterval({ users, clicks });
    assert.ok(Math.abs(interval.lower - lower) < 5e-5, `${clicks}/${users} lower ${interval.lower}`);
    assert.ok(Math.abs(interval.upper - upper) < 5e-5, `${clicks}/${users} upper ${interval.upper}`);
  }
});

test("Wilson interval stays in [0, 1], contains the estimate, and is symmetric under clicks -> users - clicks", () => {
  for (const users of [1, 7, 100]) {
    for (let clicks = 0; clicks <= users; clicks++) {
      const { lower, upper } = wilsonInterval({ users, clicks });
      const mirrored = wilsonInterval({ users, clicks: users - clicks });
      assert.ok(lower >= 0 && upper <= 1 && lower <= clicks / users && clicks / users <= upper);
      assert.ok(Math.abs(lower - (1 - mirrored.upper)) < 1e-12);
    }
  }
  assert.throws(() => wilsonInterval({ users: 0, clicks: 0 }), RangeError);
});
