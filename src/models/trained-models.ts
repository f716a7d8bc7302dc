/**
 * The trained models of a project: their names and the one loader of `<modelsDir>/<name>/` (what `abrec train`
 * writes) for serving, simulation, evaluation, the pipeline, benchmarks and scripts. A model is loaded only for
 * the prepared dataset it was trained on: its metadata.json must name the model the folder is for, and record the
 * dataset's input checksum and the preprocessing settings (split, cutoff, positive threshold) of that dataset's
 * manifest.
 */
import * as path from "node:path";
import { InputError } from "../core/errors";
import type { DatasetManifest, SplitName } from "../data/types";
import { datasetChecksum, loadRecommender, readModelMetadata, type ModelMetadata } from "./artifact";
import type { Recommender } from "./recommender";

/** The served models, child 0 (A) first. */
export const MODEL_NAMES = ["baseline", "challenger"] as const;

const describe = (d: {
  name: string;
  checksum: string;
  split: SplitName;
  cutoffTimestamp: number;
  positiveThreshold: number;
}) =>
  `${d.name} (input checksum ${d.checksum.slice(0, 12)}, ${d.split} split, cutoff ${d.cutoffTimestamp}, ` +
  `positive threshold ${d.positiveThreshold})`;

/**
 * Why a model with `metadata` does not belong to the prepared dataset of `manifest` (trained on other input files
 * or with other preprocessing settings), or null when it does.
 */
export function datasetMismatch(metadata: ModelMetadata, manifest: DatasetManifest): string | null {
  const expected = {
    name: manifest.dataset,
    checksum: datasetChecksum(manifest.inputChecksums),
    split: manifest.split,
    cutoffTimestamp: manifest.cutoffTimestamp,
    positiveThreshold: manifest.positiveThreshold,
  };
  // artifacts written before the user-temporal split existed record none: they were all global
  const found = { ...metadata.dataset, split: metadata.dataset.split ?? "global" };
  const same =
    found.name === expected.name &&
    found.checksum === expected.checksum &&
    found.split === expected.split &&
    found.cutoffTimestamp === expected.cutoffTimestamp &&
    found.positiveThreshold === expected.positiveThreshold;
  return same ? null : `trained on ${describe(found)}, expected ${describe(expected)}`;
}

/**
 * Loads the named models from `<modelsDir>/<name>/`, each checked against the prepared dataset of `manifest`.
 *
 * @throws InputError naming the model's metadata.json when the folder is not an artifact, holds another model,
 *   or was trained on another dataset or with other preprocessing settings.
 * @example
 * const [baseline, challenger] = await loadTrainedModels(DEFAULT_MODELS_DIR, MODEL_NAMES, dataset.manifest);
 */
export async function loadTrainedModels(
  modelsDir: string,
  names: readonly string[],
  manifest: DatasetManifest,
): Promise<Recommender[]> {
  return Promise.all(
    names.map(async (name) => {
      const dir = path.join(modelsDir, name);
      const file = path.join(dir, "metadata.json");
      const metadata = readModelMetadata(dir);
      if (metadata.name !== name)
        throw new InputError(`holds the model "${metadata.name}", expected "${name}"`, { file });
      const mismatch = datasetMismatch(metadata, manifest);
      if (mismatch)
        throw new InputError(
          `the ${name} model was ${mismatch}: retrain it with \`abrec train --dataset ${manifest.dataset}` +
            `${manifest.split === "global" ? "" : ` --split ${manifest.split}`}\``,
          { file },
        );
      return loadRecommender(dir);
    }),
  );
}
