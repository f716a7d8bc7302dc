import { test } from "node:test";
import * as assert from "node:assert/strict";
import { timeOrderedRequestId } from "../../src/serving/request-id";

// RFC 9562 section 5.7 (UUID version 7): 48-bit Unix milliseconds, version nibble 7, variant bits 10.
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("a request id is a version-7 UUID whose first 48 bits are the time in milliseconds", () => {
  const nowMs = Date.UTC(2026, 10, 28, 23, 59, 59, 123);
  const id = timeOrderedRequestId(nowMs);
  assert.match(id, UUID_V7);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), nowMs);
  // The example of RFC 9562 appendix A.6: unix_ts_ms 0x017F22E279B0 = 2022-02-22T19:22:22.000Z.
  assert.ok(timeOrderedRequestId(Date.UTC(2022, 1, 22, 19, 22, 22)).startsWith("017f22e2-79b0-7"));
});

test("request ids are unique, keep 74 random bits, and sort by time", () => {
  const ids = Array.from({ length: 10_000 }, () => timeOrderedRequestId(1_700_000_000_000));
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => UUID_V7.test(id)));
  const later = timeOrderedRequestId(1_700_000_000_001);
  assert.ok(
    ids.every((id) => id < later),
    "a later millisecond sorts after every id of an earlier one",
  );
  assert.throws(() => timeOrderedRequestId(-1), /Unix milliseconds/);
  assert.throws(() => timeOrderedRequestId(2 ** 48), /Unix milliseconds/);
});
