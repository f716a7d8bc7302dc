/**
 * `abrec train`: trains the baseline and/or the challenger, choosing hyperparameters on a validation period
 * carved from the end of the training period, and writes each model to <models-dir>/<name>/
 * (src/pipeline/training.ts).
 */
import * as path from "node:path";
import { Command, Option } from "commander";
import { DEFAULT_MODELS_DIR } from "../../core/paths";
import { DEFAULT_SEED } from "../../core/random";
import { CHALLENGER_GRID, DEFAULT_VALIDATION_FRACTION } from "../../evaluation/model-selection";
import type { TrainingBackend } from "../../models/challenger/tensorflow";
import { trainModels, type ModelChoice } from "../../pipeline/training";
import { addDatasetOptions, loadDatasetOption, type DatasetOptions } from "../dataset-option";
import { integerOption, probabilityOption } from "../number-option";

interface TrainOptions extends DatasetOptions {
  model: ModelChoice;
  modelsDir: string;
  seed: number;
  maxEpochs?: number;
  validationFraction: number;
  tune?: boolean;
  backend: TrainingBackend;
  quiet?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command("train")
    .description(
      "Train the popularity baseline and/or the TensorFlow.js challenger (hyperparameters chosen on a validation " +
        "period at the end of the training period) and save them to <models-dir>/<name>/.",
    )
    .addOption(
      new Option("--model <name>", "which model to train")
        .choices(["baseline", "challenger", "all"])
        .default("all"),
    );
  addDatasetOptions(command)
    .option("--models-dir <dir>", "where model folders are written", DEFAULT_MODELS_DIR)
    .option(
      "--seed <s>",
      "seed for initialisation and negative sampling",
      integerOption("--seed", 0),
      DEFAULT_SEED,
    )
    .option(
      "--max-epochs <n>",
      "challenger: most epochs on the validation split (early stopping picks the best)",
      integerOption("--max-epochs", 1),
    )
    .option(
      "--validation-fraction <f>",
      "share of the training period's ratings (the most recent) used for validation",
      probabilityOption("--validation-fraction"),
      DEFAULT_VALIDATION_FRACTION,
    )
    .option(
      "--tune",
      `challenger: try ${CHALLENGER_GRID.length} hyperparameter candidates instead of the defaults`,
    )
    .addOption(
      new Option("--backend <name>", "TensorFlow.js backend for training")
        .choices(["wasm", "cpu"])
        .default("wasm"),
    )
    .option("--quiet", "no progress output")
    .action(async (options: TrainOptions) => {
      const dataset = await loadDatasetOption(options);
      const summaries = await trainModels(dataset, {
        model: options.model,
        modelsDir: path.resolve(options.modelsDir),
        seed: options.seed,
        validationFraction: options.validationFraction,
        grid: options.tune ? CHALLENGER_GRID : undefined,
        overrides: options.maxEpochs !== undefined ? { maxEpochs: options.maxEpochs } : undefined,
        backend: options.backend,
        quiet: options.quiet,
        log: (line) => process.stderr.write(line + "\n"),
      });
      for (const s of summaries)
        process.stdout.write(
          `${s.name} ${s.version}: validation NDCG@10 ${s.validationNdcg.toFixed(4)}, ${s.trainingSeconds.toFixed(1)} s -> ${s.folder}\n`,
        );
    });
}
