/**
 * Everything a simulation needs before its first visit: the prepared dataset's test population, the trained
 * models, the calendar when the visits follow one, the click model calibrated on the baseline and the ground
 * truth of both models (users weighted by their visit rates on a calendar).
 */
import { ensurePreparedDataset } from "../data/ensure";
import { loadPreparedDataset } from "../data/load";
import type { DatasetName, SplitName } from "../data/types";
import type { Recommender } from "../models/recommender";
import { loadTrainedModels, MODEL_NAMES } from "../models/trained-models";
import { seededCalendar, type SeededCalendarOptions, type VisitRates, type VisitSchedule } from "./calendar";
import type { CalibrationSettings } from "./click-model";
import { groundTruth, type GroundTruth } from "./ground-truth";
import { testPopulation, type TestPopulation } from "./population";

export interface SimulationInputsOptions {
  dataset: DatasetName;
  /** Default: DEFAULT_SPLITS[dataset] (src/data/prepare.ts). */
  split?: SplitName;
  dataDir?: string;
  /** Holds `baseline/` and `challenger/` model artifacts (`abrec train`). */
  modelsDir: string;
  calibration?: Partial<CalibrationSettings>;
  /** Visits follow this calendar (`seededCalendar`); absent: visitors drawn uniformly. */
  calendar?: SeededCalendarOptions;
  quiet?: boolean;
}

export interface SimulationInputs {
  population: TestPopulation;
  baseline: Recommender;
  challenger: Recommender;
  truth: GroundTruth;
  calendar?: { rates: VisitRates; schedule: VisitSchedule };
}

/**
 * Loads (preparing when needed) the dataset and both models, checked against it by src/models/trained-models.ts
 * (an InputError naming the model's metadata.json otherwise), and calibrates the click model on the baseline.
 */
export async function loadSimulationInputs(options: SimulationInputsOptions): Promise<SimulationInputs> {
  const { dir } = await ensurePreparedDataset({
    dataset: options.dataset,
    split: options.split,
    dataDir: options.dataDir,
    quiet: options.quiet,
  });
  const dataset = await loadPreparedDataset(dir);
  const population = testPopulation(dataset);
  const [baseline, challenger] = await loadTrainedModels(options.modelsDir, MODEL_NAMES, dataset.manifest);
  const calendar = options.calendar && seededCalendar(population.userIds, options.calendar);
  const truth = groundTruth(population, baseline, [challenger], options.calibration, calendar?.rates.rates);
  return { population, baseline, challenger, truth, ...(calendar ? { calendar } : {}) };
}
