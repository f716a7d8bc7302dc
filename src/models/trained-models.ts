/**
 * The trained models of a project: their names and how they are loaded from `<modelsDir>/<name>/` (what
 * `abrec train` writes). The one place that loads trained models for serving, simulation and the pipeline.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../core/errors";
import { loadRecommender } from "./artifact";
import type { Recommender } from "./recommender";

/** The served models, child 0 (A) first. */
export const MODEL_NAMES = ["baseline", "challenger"] as const;

/** Loads the named models from `<modelsDir>/<name>/` (what `abrec train` writes). */
export async function loadModels(modelsDir: string, names: readonly string[]): Promise<Recommender[]> {
  return Promise.all(
    names.map(async (name) => {
      const dir = path.join(modelsDir, name);
      if (!fs.existsSync(dir))
        throw new InputError(`no model folder; run \`abrec train\` first`, { file: dir });
      const model = await loadRecommender(dir);
      if (model.name !== name)
        throw new InputError(`holds the model "${model.name}", expected "${name}"`, { file: dir });
      return model;
    }),
  );
}
