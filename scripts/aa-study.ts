/**
 * The A/A study and the experiment's length on the real calendar and population, printed as JSON:
 *
 *   npx tsx scripts/aa-study.ts [--data DIR] [--models DIR] [--experiments N] [--seed N]
 *
 * It loads the prepared ml-latest-small (`--data`, default data/processed/ml-latest-small; when missing it is
 * prepared from ../shared/data into a temporary folder) and the trained models (`--models`, default models/; when
 * they are missing or were trained on other data they are trained into a temporary folder, never into `--models`),
 * the test population and the click model calibrated on the baseline, as src/pipeline/experiment.ts does. Each
 * user's exact CTR per impression under each model is `expectedSlateCtr` of their slate; their daily visit rate
 * is `visitRates` (Beta(0.5, 1)) with the run's seed. One pre-period of 7 days drawn from these gives the design
 * (`ratioExperimentLength`: 90% power at +4 points, one-sided 5%, capped at 14 days), and the study
 * (`calendarAaStudy`) runs that many experiment days.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR } from "../src/core/paths";
import { DEFAULT_SEED, Random } from "../src/core/random";
import { ensurePreparedDataset } from "../src/data/ensure";
import { loadPreparedDataset } from "../src/data/load";
import { loadTrainedModels, MODEL_NAMES } from "../src/models/trained-models";
import { ensureTrainedModels } from "../src/pipeline/training";
import { calendarAaStudy } from "../src/simulation/aa-study";
import { visitRates } from "../src/simulation/calendar";
import { DEFAULT_CALIBRATION_SETTINGS, expectedSlateCtr } from "../src/simulation/click-model";
import { groundTruth } from "../src/simulation/ground-truth";
import { modelRelevancePatterns, testPopulation } from "../src/simulation/population";
import { ratioExperimentLength } from "../src/stats/ratio-power";

const PRE_DAYS = 7;
const MAX_DAYS = 14;
/** The seed of the study's experiments (the A/A figures in docs/experiment-design.md). */
const STUDY_SEED = 20261201;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: "string", default: path.join(DEFAULT_DATA_DIR, "processed", "ml-latest-small") },
      models: { type: "string", default: DEFAULT_MODELS_DIR },
      experiments: { type: "string", default: "2000" },
      seed: { type: "string", default: String(DEFAULT_SEED) },
    },
  });
  const seed = Number(values.seed);
  const started = Date.now();
  const notes: string[] = [];

  let dataDir = values.data;
  if (!fs.existsSync(path.join(dataDir, "manifest.json"))) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-aa-study-data-"));
    notes.push(`${dataDir} has no prepared dataset: prepared ml-latest-small into ${tmp}`);
    dataDir = (await ensurePreparedDataset({ dataset: "ml-latest-small", dataDir: tmp, seed, quiet: true }))
      .dir;
  }
  const data = await loadPreparedDataset(dataDir);

  let modelsDir = values.models;
  let models = await loadTrainedModels(modelsDir, MODEL_NAMES, data.manifest).catch((error: unknown) => {
    notes.push(`no usable models in ${modelsDir} (${String(error)}): trained them into a temporary folder`);
    return null;
  });
  if (models === null) {
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-aa-study-models-"));
    await ensureTrainedModels(data, { modelsDir, seed, quiet: true });
    models = await loadTrainedModels(modelsDir, MODEL_NAMES, data.manifest);
  }
  const [baseline, challenger] = models;
  const loadedMs = Date.now() - started;

  const population = testPopulation(data);
  const truth = groundTruth(population, baseline, [challenger], DEFAULT_CALIBRATION_SETTINGS);
  const { parameters } = truth.calibration;
  const ctrOf = (recommender: typeof baseline) =>
    Float64Array.from(
      modelRelevancePatterns(population, recommender, DEFAULT_CALIBRATION_SETTINGS.slateLength),
      (pattern) => expectedSlateCtr(pattern, parameters),
    );
  const baselineCtr = ctrOf(baseline);
  const challengerCtr = ctrOf(challenger);
  const { rates } = visitRates(population.userIds, {}, new Random(seed));

  // One simulated pre-period, everyone on the baseline, for the design.
  const preRandom = new Random(seed).fork();
  const preImpressions = new Int32Array(rates.length);
  const preClicks = new Int32Array(rates.length);
  for (let day = 0; day < PRE_DAYS; day++)
    rates.forEach((rate, u) => {
      if (!(preRandom.float() < rate)) return;
      preImpressions[u]++;
      if (preRandom.float() < baselineCtr[u]) preClicks[u]++;
    });
  const design = ratioExperimentLength(
    { clicks: preClicks, impressions: preImpressions },
    { preDays: PRE_DAYS, maxDays: MAX_DAYS },
  );

  const studyStarted = Date.now();
  const study = calendarAaStudy({
    rates,
    baselineCtr,
    challengerCtr,
    preDays: PRE_DAYS,
    experimentDays: design.cappedDays,
    experiments: Number(values.experiments),
    lift: design.lift,
    seed: STUDY_SEED,
  });
  const studyMs = Date.now() - studyStarted;

  process.stdout.write(
    JSON.stringify(
      {
        data: dataDir,
        models: modelsDir,
        notes,
        seed,
        users: population.userIds.length,
        meanVisitRate: rates.reduce((a, b) => a + b, 0) / rates.length,
        groundTruthUniformUsers: truth.models.map((m) => ({ model: m.model, ctr: m.expectedCtr })),
        prePeriod: {
          days: PRE_DAYS,
          impressions: preImpressions.reduce((a, b) => a + b, 0),
          clicks: preClicks.reduce((a, b) => a + b, 0),
          usersSeen: preImpressions.filter((d) => d > 0).length,
        },
        design,
        study,
        runtimeMs: { loadModels: loadedMs, study: studyMs, total: Date.now() - started },
      },
      null,
      2,
    ) + "\n",
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
