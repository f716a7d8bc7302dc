/**
 * Real models for the serving integration tests: ml-latest-small (copied from the shared data folder) prepared
 * by the data layer into a temporary folder, the baseline trained on it, and a quickly trained challenger
 * (1 epoch, dimension 8: real artifact and code path, not a tuned model), both published as `abrec train` does.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensurePreparedDataset } from "../../src/data/ensure";
import { loadPreparedDataset } from "../../src/data/load";
import type { PreparedDataset } from "../../src/data/types";
import { publishModel } from "../../src/models/artifact";
import { trainBaseline } from "../../src/models/popularity";
import { trainChallenger } from "../../src/models/challenger/train";

export interface TrainedModels {
  dataDir: string;
  modelsDir: string;
  dataset: PreparedDataset;
}

export async function trainedModelsOnMlLatestSmall(): Promise<TrainedModels> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-trained-"));
  const dataDir = path.join(root, "data");
  const modelsDir = path.join(root, "models");
  // The global split: the baseline here is a 365-day window, which needs the split's one end time.
  const { dir } = await ensurePreparedDataset({
    dataset: "ml-latest-small",
    split: "global",
    dataDir,
    quiet: true,
  });
  const dataset = await loadPreparedDataset(dir);
  const record = { hyperparameters: {}, seed: 1, trainingSeconds: 0, metrics: {} };
  const baseline = trainBaseline(dataset, { windowDays: 365 });
  await publishModel(modelsDir, baseline.parts, dataset.manifest, record);
  const challenger = await trainChallenger(dataset, { maxEpochs: 1, dim: 8 }, { quiet: true, seed: 1 });
  await publishModel(modelsDir, challenger.model.parts, dataset.manifest, record);
  return { dataDir, modelsDir, dataset };
}
