/**
 * The `--dataset` option (one of the datasets the project knows, as commander choices) and the `--dataset` /
 * `--data-dir` pair shared by the commands that read a prepared dataset.
 */
import * as path from "node:path";
import { Command, Option } from "commander";
import { DEFAULT_DATA_DIR } from "../core/paths";
import { DATASET_NAMES, ensurePreparedDataset } from "../data/ensure";
import { loadPreparedDataset } from "../data/load";
import type { DatasetName, PreparedDataset } from "../data/types";

export interface DatasetOptions {
  dataset: DatasetName;
  dataDir: string;
  quiet?: boolean;
}

/** `--dataset <name>`, limited to DATASET_NAMES, default ml-latest-small; `description` says what it is for. */
export function datasetOption(description: string): Option {
  return new Option("--dataset <name>", description).choices([...DATASET_NAMES]).default("ml-latest-small");
}

/** Adds --dataset and --data-dir to a command. */
export function addDatasetOptions(command: Command): Command {
  return command
    .addOption(datasetOption("dataset (prepared with `abrec data` if it is not yet)"))
    .option("--data-dir <dir>", "folder holding <dataset>/ and processed/", DEFAULT_DATA_DIR);
}

/** Prepares the dataset if needed (like `abrec data` with its defaults) and loads it. */
export async function loadDatasetOption(options: DatasetOptions): Promise<PreparedDataset> {
  const { dir } = await ensurePreparedDataset({
    dataset: options.dataset,
    dataDir: path.resolve(options.dataDir),
    quiet: options.quiet,
  });
  return loadPreparedDataset(dir);
}
