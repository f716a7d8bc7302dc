import { test } from "node:test";
import * as assert from "node:assert/strict";
import { movieFeatures, yearBucket, YEAR_BUCKETS } from "../../../src/models/challenger/features";

test("year buckets: lower bounds inclusive, early years in the first, unknown last", () => {
  assert.equal(yearBucket(1850), 0);
  assert.equal(yearBucket(1995), YEAR_BUCKETS.indexOf(1995));
  assert.equal(yearBucket(1994), YEAR_BUCKETS.indexOf(1990));
  assert.equal(yearBucket(2018), YEAR_BUCKETS.length - 1);
  assert.equal(yearBucket(null), YEAR_BUCKETS.length);
});

test("each movie row has its genres and exactly one year bucket set", () => {
  const features = movieFeatures([
    { movieIndex: 0, movieId: 1, title: "Heat (1995)", year: 1995, genres: ["Action", "Crime"] },
    { movieIndex: 1, movieId: 2, title: "Untitled", year: null, genres: [] },
  ]);
  const width = features.names.length;
  assert.equal(width, 2 + YEAR_BUCKETS.length + 1);
  const row = (i: number) =>
    Object.fromEntries(features.names.map((name, j) => [name, features.matrix[i * width + j]]));
  assert.equal(row(0)["genre:Action"], 1);
  assert.equal(row(0)["genre:Crime"], 1);
  assert.equal(row(0)["year:1995"], 1);
  assert.equal(
    [...features.matrix.subarray(0, width)].reduce((a, b) => a + b),
    3,
  );
  assert.equal(row(1)["year:unknown"], 1);
  assert.equal(
    [...features.matrix.subarray(width)].reduce((a, b) => a + b),
    1,
  );
});
