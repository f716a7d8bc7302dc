import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  activeFeatures,
  featureRows,
  movieFeatures,
  yearBucket,
  YEAR_BUCKETS,
} from "../../../src/models/challenger/features";

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

test("featureRows from the active columns equals gathering the dense rows", () => {
  const features = movieFeatures([
    { movieIndex: 0, movieId: 1, title: "Heat (1995)", year: 1995, genres: ["Action", "Crime"] },
    { movieIndex: 1, movieId: 2, title: "Untitled", year: null, genres: [] },
    { movieIndex: 2, movieId: 3, title: "Clue (1985)", year: 1985, genres: ["Comedy", "Crime"] },
  ]);
  const width = features.names.length;
  const active = activeFeatures(features);
  assert.deepEqual([...active.offsets], [0, 3, 4, 7]);
  const movies = Int32Array.of(2, 0, 2, 1);
  const expected = new Float32Array(movies.length * width);
  movies.forEach((m, k) => expected.set(features.matrix.subarray(m * width, (m + 1) * width), k * width));
  assert.deepEqual(featureRows(active, movies), expected);
  assert.throws(() => featureRows(active, Int32Array.of(3)), RangeError);
});
