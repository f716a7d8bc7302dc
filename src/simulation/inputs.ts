/**
 * Everything a simulation needs before its first visit: the prepared dataset's test population, the trained
 * models, the click model calibrated on the baseline and the ground truth of both models.
 */
import * as path from "node:path";
import { ensurePreparedDataset } from "../data/ensure";
import { loadPreparedDataset } from "../data/load";
import type { DatasetName } from "../data/types";
import { InputError } from "../core/errors";
import { datasetChecksum, loadRecommender, readModelMetadata } from "../models/artifact";
import type { Recommender } from "../models/recommender";
import type { CalibrationSettings } from "./click-model";
import { groundTruth, type GroundTruth } from "./ground-truth";
import { testPopulation, type TestPopulation } from "./population";

export interface SimulationInputsOptions {
  dataset: DatasetName;
  dataDir?: string;
  /** Holds `baseline/` and `challenger/` model artifacts (`abrec train`). */
  modelsDir: string;
  calibration?: Partial<CalibrationSettings>;
  quiet?: boolean;
}

export interface SimulationInputs {
  population: TestPopulation;
  baseline: Recommender;
  challenger: Recommender;
  truth: GroundTruth;
}

/**
 * Loads (preparing when needed) the dataset and both models, checks the models were trained on this dataset and
 * split (an InputError naming the model's metadata.json otherwise), and calibrates the click model on the baseline.
 */
export async function loadSimulationInputs(options: SimulationInputsOptions): Promise<SimulationInputs> {
  const { dir } = await ensurePreparedDataset({
    dataset: options.dataset,
    dataDir: options.dataDir,
    quiet: options.quiet,
  });
  const dataset = await loadPreparedDataset(dir);
  const population = testPopulation(dataset);
  const expected = datasetChecksum(dataset.manifest.inputChecksums);
  const load = async (name: string) => {
    const dir = path.join(options.modelsDir, name);
    const metadata = readModelMetadata(dir);
    if (
      metadata.dataset.checksum !== expected ||
      (metadata.dataset.split ?? "global") !== dataset.manifest.split ||
      metadata.dataset.cutoffTimestamp !== dataset.manifest.cutoffTimestamp
    )
      throw new InputError(
        `the ${name} model was trained on other data (${metadata.dataset.name}, ${metadata.dataset.split ?? "global"} ` +
          `split, cutoff ${metadata.dataset.cutoffTimestamp}) than ${options.dataset} (${dataset.manifest.split} ` +
          `split, cutoff ${dataset.manifest.cutoffTimestamp}): ` +
          `retrain it with abrec train --dataset ${options.dataset}`,
        { file: path.join(dir, "metadata.json") },
      );
    return loadRecommender(dir);
  };
  const baseline = await load("baseline");
  const challenger = await load("challenger");
  const truth = groundTruth(population, baseline, [challenger], options.calibration);
  return { population, baseline, challenger, truth };
}
