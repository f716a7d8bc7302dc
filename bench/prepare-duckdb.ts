/**
 * One run of the project's preprocessing for bench/data.ts, in its own process so its wall time and peak memory
 * are measured like pandas' (by /usr/bin/time). Usage: tsx bench/prepare-duckdb.ts RAW_DIR OUT_DIR SPLIT
 * Prints one JSON line with the same counts as bench/prepare_pandas.py.
 */
import { prepareDataset } from "../src/data/prepare";
import type { SplitName } from "../src/data/types";

async function main(): Promise<void> {
  const [rawDir, outDir, split] = process.argv.slice(2);
  const manifest = await prepareDataset({
    dataset: "synthetic",
    rawDir,
    outDir,
    split: split as SplitName,
    quiet: true,
  });
  const c = manifest.counts;
  const counts = {
    split: manifest.split,
    read: manifest.read.ratings,
    users: manifest.read.users,
    movies: manifest.read.movies,
    cutoffTimestamp: manifest.cutoffTimestamp,
    trainRatings: c.trainRatings,
    testRatings: c.testRatings,
    trainPositives: c.trainPositives,
    testPositives: c.testPositives,
    coldUsers: c.coldUsers,
    testUsersWithTrainHistory: c.testUsersWithTrainHistory,
    testUsersWithTrainHistoryAndPositives: c.testUsersWithTrainHistoryAndPositives,
    coldMovies: c.coldMovies,
    ratingsWithUnknownMovie: c.ratingsWithUnknownMovie,
  };
  process.stdout.write(JSON.stringify(counts) + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
