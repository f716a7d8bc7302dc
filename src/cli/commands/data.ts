/**
 * `abrec data`: gets a MovieLens dataset (copy, download or generate) and preprocesses it into
 * data/processed/<dataset>/ (see src/data/ensure.ts and src/data/prepare.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { DEFAULT_DATA_DIR } from "../../core/paths";
import { DEFAULT_SEED } from "../../core/random";
import { DEFAULT_SYNTHETIC_RATINGS, ensurePreparedDataset } from "../../data/ensure";
import { DEFAULT_POSITIVE_THRESHOLD, DEFAULT_TEST_FRACTION } from "../../data/prepare";
import type { DatasetManifest, DatasetName, SplitName } from "../../data/types";
import { datasetOption, splitOption } from "../dataset-option";
import { integerOption, numberOption, probabilityOption } from "../number-option";

interface DataOptions {
  dataset: DatasetName;
  dataDir: string;
  ratings: number;
  seed: number;
  positiveThreshold: number;
  testFraction: number;
  split?: SplitName;
  threads?: number;
  baseUrl?: string;
  force?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command("data")
    .description(
      "Get a MovieLens dataset into <data-dir>/<dataset>/ (copy, download from GroupLens, or generate) and " +
        "preprocess it into <data-dir>/processed/<dataset>/ (validated, temporal split, dense indices, manifest.json).",
    )
    .addOption(datasetOption("dataset to get and prepare"))
    .option("--data-dir <dir>", "folder holding <dataset>/ and processed/", DEFAULT_DATA_DIR)
    .option(
      "--ratings <n>",
      "synthetic only: number of ratings to generate",
      integerOption("--ratings", 1),
      DEFAULT_SYNTHETIC_RATINGS,
    )
    .option(
      "--seed <s>",
      "seed for synthetic data (recorded in the manifest)",
      integerOption("--seed", 0),
      DEFAULT_SEED,
    )
    .option(
      "--positive-threshold <rating>",
      "ratings >= this are positive implicit feedback",
      numberOption("--positive-threshold"),
      DEFAULT_POSITIVE_THRESHOLD,
    )
    .option(
      "--test-fraction <f>",
      "share of ratings (the most recent) in the test period",
      probabilityOption("--test-fraction"),
      DEFAULT_TEST_FRACTION,
    )
    .addOption(splitOption())
    .option("--threads <n>", "DuckDB worker threads (default: all cores)", integerOption("--threads", 1))
    .option("--base-url <url>", "where to download MovieLens zips from (default: files.grouplens.org)")
    .option("--force", "prepare again even if the processed dataset is up to date")
    .option("--quiet", "no progress output")
    .action(async (options: DataOptions) => {
      const result = await ensurePreparedDataset({
        dataset: options.dataset,
        dataDir: path.resolve(options.dataDir),
        ratings: options.ratings,
        seed: options.seed,
        positiveThreshold: options.positiveThreshold,
        testFraction: options.testFraction,
        split: options.split,
        threads: options.threads,
        baseUrl: options.baseUrl,
        force: options.force,
        quiet: options.quiet,
      });
      const manifest = JSON.parse(
        fs.readFileSync(path.join(result.dir, "manifest.json"), "utf8"),
      ) as DatasetManifest;
      const c = manifest.counts;
      process.stdout.write(
        `${result.prepared ? "prepared" : "up to date"}: ${result.dir}\n` +
          `read ${manifest.read.ratings} ratings, ${manifest.read.users} users, ${manifest.read.movies} movies ` +
          `from ${result.rawDir}\n` +
          (manifest.split === "global"
            ? `cutoff ${new Date(manifest.cutoffTimestamp * 1000).toISOString()}`
            : `each user's last ${manifest.testFraction} of ratings`) +
          `: train ${c.trainRatings} ratings ` +
          `(${c.trainPositives} >= ${manifest.positiveThreshold}), test ${c.testRatings} (${c.testPositives})\n` +
          `cold (first seen after the cutoff): ${c.coldUsers} users, ${c.coldMovies} movies; ` +
          `test users with train history ${c.testUsersWithTrainHistory} of ${c.testUsers}\n`,
      );
    });
}
