/**
 * The `--dataset` and `--split` options (commander choices) and the `--dataset` / `--split` / `--data-dir` trio
 * shared by the commands that read a prepared dataset (so a user-temporal folder is not re-prepared as global).
 */
import * as path from "node:path";
import { Command, Option } from "commander";
import { DEFAULT_DATA_DIR } from "../core/paths";
import { DATASET_NAMES, ensurePreparedDataset } from "../data/ensure";
import { loadPreparedDataset } from "../data/load";
import { DEFAULT_SPLITS, SPLIT_NAMES } from "../data/prepare";
import type { DatasetName, PreparedDataset, SplitName } from "../data/types";

export interface DatasetOptions {
  dataset: DatasetName;
  /** Absent: the dataset's default split (DEFAULT_SPLITS). */
  split?: SplitName;
  dataDir: string;
  quiet?: boolean;
}

/** `--dataset <name>`, limited to DATASET_NAMES, default ml-latest-small; `description` says what it is for. */
export function datasetOption(description: string): Option {
  return new Option("--dataset <name>", description).choices([...DATASET_NAMES]).default("ml-latest-small");
}

/**
 * `--split <name>`, limited to SPLIT_NAMES. No commander default: it depends on `--dataset` (DEFAULT_SPLITS), and
 * an absent value lets the data layer choose it.
 */
export function splitOption(): Option {
  const defaults = Object.entries(DEFAULT_SPLITS)
    .map(([dataset, split]) => `${split} for ${dataset}`)
    .join(", ");
  return new Option(
    "--split <name>",
    `user-temporal: each user's last ratings are test; global: one cutoff time (default: ${defaults})`,
  ).choices([...SPLIT_NAMES]);
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
