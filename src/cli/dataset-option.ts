/**
 * The `--dataset` and `--split` options (commander choices) and the `--dataset` / `--split` / `--data-dir` trio
 * shared by the commands that read a prepared dataset (so a user-temporal folder is not re-prepared as global).
 */
import * as path from "node:path";
import { Command, Option } from "commander";
import { DEFAULT_DATA_DIR } from "../core/paths";
import { DATASET_NAMES, ensurePreparedDataset } from "../data/ensure";
import { loadPreparedDataset } from "../data/load";
import { DEFAULT_SPLIT, SPLIT_NAMES } from "../data/prepare";
import type { DatasetName, PreparedDataset, SplitName } from "../data/types";

export interface DatasetOptions {
  dataset: DatasetName;
  split: SplitName;
  dataDir: string;
  quiet?: boolean;
}

/** `--dataset <name>`, limited to DATASET_NAMES, default ml-latest-small; `description` says what it is for. */
export function datasetOption(description: string): Option {
  return new Option("--dataset <name>", description).choices([...DATASET_NAMES]).default("ml-latest-small");
}

/** `--split <name>`, limited to SPLIT_NAMES, default DEFAULT_SPLIT. */
export function splitOption(): Option {
  return new Option(
    "--split <name>",
    "user-temporal: each user's last ratings are test; global: one cutoff time",
  )
    .choices([...SPLIT_NAMES])
    .default(DEFAULT_SPLIT);
}

/** Adds --dataset, --split and --data-dir to a command. */
export function addDatasetOptions(command: Command): Command {
  return command
    .addOption(datasetOption("dataset (prepared with `abrec data` if it is not yet)"))
    .addOption(splitOption())
    .option("--data-dir <dir>", "folder holding <dataset>/ and processed/", DEFAULT_DATA_DIR);
}

/** Prepares the dataset if needed (like `abrec data` with its defaults but the split) and loads it. */
export async function loadDatasetOption(options: DatasetOptions): Promise<PreparedDataset> {
  const { dir } = await ensurePreparedDataset({
    dataset: options.dataset,
    split: options.split,
    dataDir: path.resolve(options.dataDir),
    quiet: options.quiet,
  });
  return loadPreparedDataset(dir);
}
