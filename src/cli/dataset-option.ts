/** The `--dataset` / `--data-dir` pair shared by commands that read a prepared dataset. */
import * as path from "node:path";
import { Command, Option } from "commander";
import { DEFAULT_DATA_DIR } from "../core/paths";
import { DATASET_NAMES, ensurePreparedDataset, parseDatasetName } from "../data/ensure";
import { loadPreparedDataset } from "../data/load";
import type { PreparedDataset } from "../data/types";

export interface DatasetOptions {
  dataset: string;
  dataDir: string;
  quiet?: boolean;
}

/** Adds --dataset and --data-dir to a command. */
export function addDatasetOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--dataset <name>", "dataset (prepared with `abrec data` if it is not yet)")
        .choices([...DATASET_NAMES])
        .default("ml-latest-small"),
    )
    .option("--data-dir <dir>", "folder holding <dataset>/ and processed/", DEFAULT_DATA_DIR);
}

/** Prepares the dataset if needed (like `abrec data` with its defaults) and loads it. */
export async function loadDatasetOption(options: DatasetOptions): Promise<PreparedDataset> {
  const { dir } = await ensurePreparedDataset({
    dataset: parseDatasetName(options.dataset),
    dataDir: path.resolve(options.dataDir),
    quiet: options.quiet,
  });
  return loadPreparedDataset(dir);
}
