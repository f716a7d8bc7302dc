import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseProportionSummary, proportionSummary } from "../../src/stats/summary";
import { InputError } from "../../src/core/errors";

test("parses CLICKS/UNITS and rejects malformed or impossible counts, naming the field", () => {
  assert.deepEqual(parseProportionSummary("79/1124", "control"), { units: 1124, clicks: 79 });
  assert.deepEqual(parseProportionSummary(" 0 / 5 ", "control"), { units: 5, clicks: 0 });
  for (const bad of ["79", "79/", "/1124", "-1/10", "1.5/10", "a/b", "79/1124/3", "11/10", "0/0"])
    assert.throws(
      () => parseProportionSummary(bad, "--treatment"),
      (e: unknown) => e instanceof InputError && e.message.includes('field "--treatment"'),
      bad,
    );
  assert.ok(Object.isFrozen(proportionSummary(10, 1)));
});
