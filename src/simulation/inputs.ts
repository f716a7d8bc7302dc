/**
 * Everything a simulation needs before its first visit: the prepared dataset's test population, the trained
 * models, the click model calibrated on the baseline and the ground truth of both models.
 */
import * as path from "node:path";
import { ensurePreparedDataset } from "../data/ensure";
import { loadPreparedDataset } from "../data/load";
import type { DatasetName } from "../data/types";
import { loadRecommender } from "../models/artifact";
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

/** Loads (preparing when needed) the dataset and both models, and calibrates the click model on the baseline. */
export async function loadSimulationInputs(options: SimulationInputsOptions): Promise<SimulationInputs> {
  const { dir } = await ensurePreparedDataset({
    dataset: options.dataset,
    dataDir: options.dataDir,
    quiet: options.quiet,
  });
  const dataset = await loadPreparedDataset(dir);
  const population = testPopulation(dataset);
  const baseline = await loadRecommender(path.join(options.modelsDir, "baseline"));
  const challenger = await loadRecommender(path.join(options.modelsDir, "challenger"));
  const truth = groundTruth(population, baseline, [challenger], options.calibration);
  return { population, baseline, challenger, truth };
}
