/** Tolerance assertions for numerical tests. */
import * as assert from "node:assert/strict";

/** Asserts |actual - expected| <= tolerance, naming `what` and the numbers on failure. */
export function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`,
  );
}
