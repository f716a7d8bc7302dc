import { test } from "node:test";
import * as assert from "node:assert/strict";
import { catalogueCoverage } from "../../../src/evaluation/metrics/coverage";

test("coverage counts distinct items in the top k of all lists over the catalogue", () => {
  assert.equal(
    catalogueCoverage(
      [
        [1, 2],
        [2, 3],
      ],
      2,
      10,
    ),
    0.3,
  );
  assert.equal(
    catalogueCoverage(
      [
        [1, 2],
        [2, 3],
      ],
      1,
      10,
    ),
    0.2,
  );
  assert.equal(catalogueCoverage([], 10, 10), 0);
  assert.throws(() => catalogueCoverage([[1]], 1, 0), RangeError);
});
