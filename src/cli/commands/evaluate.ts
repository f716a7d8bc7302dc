/**
 * `abrec evaluate`: loads the saved baseline and challenger and compares them on the temporal test split
 * (src/evaluation/offline-report.ts): table on stdout (or JSON), <out>/offline-metrics.json and
 * <out>/figures/offline-comparison.{svg,png}.
 */
import * as path from "node:path";
import { Command } from "commander";
import { DEFAULT_MODELS_DIR, DEFAULT_RESULTS_DIR } from "../../core/paths";
import { DEFAULT_SEED } from "../../core/random";
import { loadTrainedModels } from "../../models/trained-models";
import { offlineComparison, offlineTableCells, writeOfflineReport } from "../../evaluation/offline-report";
import { addDatasetOptions, loadDatasetOption, type DatasetOptions } from "../dataset-option";
import { integerOption } from "../number-option";
import { formatTable } from "../table";

interface EvaluateOptions extends DatasetOptions {
  modelsDir: string;
  models: string;
  out: string;
  k: number;
  resamples: number;
  seed: number;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command("evaluate")
    .description(
      "Compare the saved models offline on the temporal test split (users with positives in both periods): " +
        "precision, recall, NDCG, MAP, hit rate @k, coverage, novelty, with bootstrap 95% intervals.",
    );
  addDatasetOptions(command)
    .option("--models-dir <dir>", "folder holding the model folders", DEFAULT_MODELS_DIR)
    .option(
      "--models <names>",
      "comma-separated model folders to compare; lifts are relative to the first",
      "baseline,challenger",
    )
    .option("--out <dir>", "results folder for offline-metrics.json and figures/", DEFAULT_RESULTS_DIR)
    .option("--k <k>", "list length", integerOption("--k", 1), 10)
    .option("--resamples <n>", "bootstrap resamples", integerOption("--resamples", 0), 1000)
    .option("--seed <s>", "bootstrap seed", integerOption("--seed", 0), DEFAULT_SEED)
    .option("--json", "print the report as JSON instead of a table")
    .option("--quiet", "no progress output")
    .action(async (options: EvaluateOptions) => {
      const dataset = await loadDatasetOption(options);
      const names = options.models
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean);
      const models = await loadTrainedModels(path.resolve(options.modelsDir), names, dataset.manifest);
      const { report } = offlineComparison(dataset, models, {
        k: options.k,
        resamples: options.resamples,
        seed: options.seed,
      });
      const written = await writeOfflineReport(path.resolve(options.out), report);
      const table = offlineTableCells(report);
      if (options.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else
        process.stdout.write(
          `${report.dataset}: ${report.evaluatedUsers} users with positives before and after the cutoff\n\n` +
            formatTable(table.header, table.rows) +
            `\n\nwrote ${written.json}, ${written.figure.svg}\n`,
        );
    });
}
