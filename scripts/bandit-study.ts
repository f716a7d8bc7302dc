/**
 * The bandit study (src/simulation/bandit-study.ts) on the default run's population and calendar, printed as JSON:
 *
 *   npx tsx scripts/bandit-study.ts [--run DIR] [--experiments N] [--seed N]
 *
 * The population is the committed run's click-model.json (`--run`, default the run folder that results/run.json
 * names): its `userIds` and each user's exact CTR per impression under each model
 * (`perUserCtr`). The daily visit rates are the run's calendar, `seededCalendar(userIds, { preDays: 7,
 * experimentDays: 14, seed: 20261128 })`; the study runs its 14 experiment days.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { InputError } from "../src/core/errors";
import { DEFAULT_RESULTS_DIR } from "../src/core/paths";
import { DEFAULT_SEED } from "../src/core/random";
import { banditStudy } from "../src/simulation/bandit-study";
import { seededCalendar } from "../src/simulation/calendar";

const PRE_DAYS = 7;
const EXPERIMENT_DAYS = 14;
/** The seed of the study's experiments (not the run's: its calendar rates come from the run's seed). */
const STUDY_SEED = 20261203;
/** The run folder of the recorded default run (results/run.json `runFolder`). */
function defaultRun(): string {
  const record = JSON.parse(fs.readFileSync(path.join(DEFAULT_RESULTS_DIR, "run.json"), "utf8")) as {
    runFolder: string;
  };
  return path.join(DEFAULT_RESULTS_DIR, record.runFolder);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      run: { type: "string" },
      experiments: { type: "string", default: "1000" },
      seed: { type: "string", default: String(STUDY_SEED) },
    },
  });
  const file = path.join(values.run ?? defaultRun(), "click-model.json");
  const clickModel = JSON.parse(fs.readFileSync(file, "utf8")) as {
    userIds?: number[];
    perUserCtr?: Record<string, number[]>;
  };
  const { userIds, perUserCtr } = clickModel;
  if (!userIds || !perUserCtr?.baseline || !perUserCtr.challenger)
    throw new InputError("expected userIds and perUserCtr.baseline / .challenger", { file });
  const { rates } = seededCalendar(userIds, {
    preDays: PRE_DAYS,
    experimentDays: EXPERIMENT_DAYS,
    seed: DEFAULT_SEED,
  });
  const started = Date.now();
  const study = banditStudy({
    rates: rates.rates,
    baselineCtr: perUserCtr.baseline,
    challengerCtr: perUserCtr.challenger,
    experimentDays: EXPERIMENT_DAYS,
    experiments: Number(values.experiments),
    seed: Number(values.seed),
  });
  process.stdout.write(
    JSON.stringify(
      {
        clickModel: file,
        calendar: { preDays: PRE_DAYS, experimentDays: EXPERIMENT_DAYS, seed: DEFAULT_SEED },
        meanVisitRate: rates.rates.reduce((a, b) => a + b, 0) / rates.rates.length,
        study,
        runtimeMs: Date.now() - started,
      },
      null,
      2,
    ) + "\n",
  );
}

main();
