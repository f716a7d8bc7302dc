import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { renderSvg } from "../../src/core/figures";
import { SHARED_DATA_DIR } from "../../src/core/paths";
import {
  activityHistogram,
  activitySpec,
  activitySummary,
  datasetSizes,
  genreCounts,
  genreSpec,
  popularityCurve,
  popularitySpec,
  ratingDistribution,
  ratingDistributionSpec,
  ratingsOverTimeSpec,
  ratingsPerYear,
  splitSummary,
  tailSummary,
} from "../../src/data/exploration";
import { loadPreparedDataset } from "../../src/data/load";
import { prepareDataset } from "../../src/data/prepare";
import type { PreparedDataset } from "../../src/data/types";
import { tempDir, writeTinyDataset } from "../support/movielens";

async function prepared(rawDir: string, testFraction = 0.2): Promise<PreparedDataset> {
  const outDir = path.join(tempDir(), "out");
  await prepareDataset({ dataset: "synthetic", rawDir, outDir, testFraction, quiet: true });
  return loadPreparedDataset(outDir);
}

test("hand-checked summaries of the tiny dataset", async () => {
  const data = await prepared(writeTinyDataset(), 0.3);
  const sizes = datasetSizes(data);
  assert.equal(sizes.ratings, 10);
  assert.equal(sizes.density, 10 / 12);
  assert.equal(sizes.meanRating, 36 / 10); // 4+3+5+4.5+2+1+4+4+5+3.5
  assert.equal(sizes.positiveShare, 0.6);
  const distribution = ratingDistribution(data);
  assert.equal(distribution.length, 10);
  assert.deepEqual(
    distribution.filter((row) => row.count > 0).map((row) => [row.rating, row.count, row.positive]),
    [
      [1, 1, false],
      [2, 1, false],
      [3, 1, false],
      [3.5, 1, false],
      [4, 3, true],
      [4.5, 1, true],
      [5, 2, true],
    ],
  );
  assert.deepEqual(
    popularityCurve(data).map((row) => row.ratings),
    [5, 3, 2, 0],
  ); // movies 10, 20, 30, 40
  assert.deepEqual(tailSummary(data), {
    top1PercentShare: 0.5,
    top10PercentShare: 0.5,
    unrated: 1,
    fewerThan5: 3,
  });
  assert.deepEqual(activitySummary(data), { min: 2, median: 3, p90: 5, max: 5, mean: 10 / 3 });
  assert.deepEqual(activityHistogram(data), [
    { from: 2, to: 3, users: 2 },
    { from: 4, to: 7, users: 1 },
  ]);
  assert.deepEqual(ratingsPerYear(data), [
    { year: 2001, period: "train", ratings: 7 },
    { year: 2001, period: "test", ratings: 3 },
  ]);
  assert.deepEqual(genreCounts(data), [
    { genre: "Drama", movies: 2, ratings: 8 },
    { genre: "Comedy", movies: 1, ratings: 3 },
    { genre: "(no genres listed)", movies: 1, ratings: 2 },
    { genre: "Horror", movies: 1, ratings: 0 },
  ]);
  assert.deepEqual(
    splitSummary(data).map((row) => [row.period, row.ratings, row.positives, row.users, row.movies]),
    [
      ["train", 7, 4, 2, 2],
      ["test", 3, 2, 2, 2],
    ],
  );
});

test("ml-latest-small facts: 610 users with >= 20 ratings, 48.2% positives, 1996-03-29 .. 2018-09-24", async () => {
  // Counts, dates and >= 20 ratings per user from the GroupLens release's README.txt; 48.2% positives measured
  // on its ratings.csv.
  const data = await prepared(path.join(SHARED_DATA_DIR, "ml-latest-small"));
  const sizes = datasetSizes(data);
  assert.equal(sizes.ratings, 100_836);
  assert.equal(sizes.firstRating, "1996-03-29");
  assert.equal(sizes.lastRating, "2018-09-24");
  assert.ok(Math.abs(sizes.positiveShare - 0.482) < 0.0005);
  assert.ok(activitySummary(data).min >= 20);
  assert.equal(
    ratingDistribution(data).reduce((a, row) => a + row.count, 0),
    100_836,
  );
  assert.equal(
    ratingsPerYear(data).reduce((a, row) => a + row.ratings, 0),
    100_836,
  );
  const tail = tailSummary(data);
  assert.ok(tail.top10PercentShare > 0.5, "a long tail: the top 10% of movies hold most ratings");
  const split = splitSummary(data);
  assert.equal(split[0].ratings + split[1].ratings, 100_836);
  assert.ok(split[0].to < split[1].from || split[0].to === split[1].from);
  for (const spec of [
    ratingDistributionSpec(ratingDistribution(data)),
    popularitySpec(popularityCurve(data)),
    activitySpec(activityHistogram(data)),
    ratingsOverTimeSpec(ratingsPerYear(data)),
    genreSpec(genreCounts(data)),
  ]) {
    const svg = await renderSvg(spec);
    assert.match(svg, /^<svg/);
    assert.match(svg, new RegExp(String(spec.title)));
  }
});
