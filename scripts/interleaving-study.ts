/**
 * Interleaving against the A/B test on the default run's population, calendar and click model, printed as JSON:
 *
 *   npx tsx scripts/interleaving-study.ts [--data DIR] [--models DIR] [--experiments N] [--seed N]
 *
 * It loads the prepared ml-latest-small (`--data`) and the trained models (`--models`, read only) as
 * src/pipeline/experiment.ts does: the test population, the calendar's daily visit rates of the run seeded
 * 20261128 (`seededCalendar`, 7 pre-period and 14 experiment days), the click model calibrated on the baseline
 * over those rates (`groundTruth`), and each user's top-10 from `recommendBatch`. Then `interleavingStudy` for
 * three pairs (A, B): the baseline and the challenger; the challenger and its own top-10 reversed (the same ten
 * movies, worst first: worse under a cascade model, so B is the worse model); the baseline and the reversed
 * challenger. Experiments last the run's 14 days.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR } from "../src/core/paths";
import { DEFAULT_SEED } from "../src/core/random";
import { loadPreparedDataset } from "../src/data/load";
import { loadTrainedModels, MODEL_NAMES } from "../src/models/trained-models";
import { seededCalendar } from "../src/simulation/calendar";
import { groundTruth } from "../src/simulation/ground-truth";
import { interleavingStudy, type InterleavingStudyUser } from "../src/simulation/interleaving-study";
import { testPopulation } from "../src/simulation/population";

const PRE_DAYS = 7;
const EXPERIMENT_DAYS = 14;
const SLATE_LENGTH = 10;
/** The study's own seed (the A/A study's, scripts/aa-study.ts), apart from the run's. */
const STUDY_SEED = 20261201;
const USER_COUNTS = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: "string", default: path.join(DEFAULT_DATA_DIR, "processed", "ml-latest-small") },
      models: { type: "string", default: DEFAULT_MODELS_DIR },
      experiments: { type: "string", default: "500" },
      seed: { type: "string", default: String(STUDY_SEED) },
    },
  });
  const started = process.cpuUsage();
  const data = await loadPreparedDataset(values.data);
  const [baseline, challenger] = await loadTrainedModels(values.models, MODEL_NAMES, data.manifest);
  const population = testPopulation(data);
  const { rates } = seededCalendar(population.userIds, {
    preDays: PRE_DAYS,
    experimentDays: EXPERIMENT_DAYS,
    seed: DEFAULT_SEED,
  });
  const truth = groundTruth(population, baseline, [challenger], {}, rates.rates);
  const parameters = truth.calibration.parameters;
  const top = (recommendations: ReturnType<typeof baseline.recommendBatch>) =>
    recommendations.map((r) => r.movieIds.slice(0, SLATE_LENGTH));
  const baselineTop = top(baseline.recommendBatch(population.userIds, SLATE_LENGTH));
  const challengerTop = top(challenger.recommendBatch(population.userIds, SLATE_LENGTH));
  const pair = (a: number[][], b: number[][]): InterleavingStudyUser[] =>
    population.userIds.map((userId, u) => ({
      rate: rates.rates[u],
      rankingA: a[u],
      rankingB: b[u],
      relevant: population.relevant.get(userId) ?? new Set<number>(),
    }));
  const reversed = challengerTop.map((ranking) => [...ranking].reverse());
  const study = (a: number[][], b: number[][]) =>
    interleavingStudy({
      users: pair(a, b),
      parameters,
      days: EXPERIMENT_DAYS,
      userCounts: USER_COUNTS,
      experiments: Number(values.experiments),
      seed: Number(values.seed),
    });
  const scenarios = {
    "baseline vs challenger": study(baselineTop, challengerTop),
    "challenger vs challenger reversed": study(challengerTop, reversed),
    "baseline vs challenger reversed": study(baselineTop, reversed),
  };
  const cpu = process.cpuUsage(started);
  process.stdout.write(
    JSON.stringify(
      {
        population: population.userIds.length,
        meanDailyVisitRate: rates.rates.reduce((sum, r) => sum + r, 0) / rates.rates.length,
        clickModel: parameters,
        groundTruth: truth.models.map((m) => ({ model: m.model, expectedCtr: m.expectedCtr })),
        scenarios,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      },
      null,
      2,
    ) + "\n",
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
