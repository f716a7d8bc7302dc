/**
 * `abrec experiment`: the whole A/B test end to end (src/pipeline/experiment.ts): data, training (or reuse),
 * offline evaluation, design, calibration, serving (+ Prometheus), browser or HTTP traffic, analysis, results/.
 * Ctrl-C stops after the visit in flight; running the same command again continues the run.
 */
import { Command, Option } from "commander";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_RESULTS_DIR } from "../../core/paths";
import { DEFAULT_SEED } from "../../core/random";
import type { DatasetName, SplitName } from "../../data/types";
import {
  BANDIT_POLICIES,
  type BanditPolicy,
  DEFAULT_CALENDAR,
  EXPERIMENT_METHODS,
  type ExperimentMethod,
  runExperiment,
} from "../../pipeline/experiment";
import type { AbRunResults, BanditRunResults, InterleavingRunResults } from "../../results/write";
import { formatP } from "../../results/report";
import { datasetOption, splitOption } from "../dataset-option";
import { integerOption, probabilityOption } from "../number-option";

interface ExperimentCliOptions {
  dataset: DatasetName;
  method: ExperimentMethod;
  bandit: BanditPolicy;
  epsilon?: number;
  split?: SplitName;
  preDays: number;
  days?: number;
  maxDays: number;
  http?: boolean;
  seed: number;
  resultsDir: string;
  dataDir: string;
  modelsDir: string;
  epochs?: number;
  prometheus: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command("experiment")
    .description(
      "Run the A/B test end to end: data, models, offline evaluation, design, serving, simulated traffic " +
        "(headless Chromium by default), analysis; writes the results folder.",
    )
    .addOption(datasetOption("dataset to run the experiment on (prepared and trained on if need be)"))
    .addOption(splitOption())
    .addOption(
      new Option(
        "--method <method>",
        "the experiment phase: the A/B test (sticky by user), team-draft interleaving, or a bandit",
      )
        .choices(EXPERIMENT_METHODS)
        .default("ab"),
    )
    .addOption(
      new Option("--bandit <policy>", "the bandit method's routing policy")
        .choices(BANDIT_POLICIES)
        .default("thompson"),
    )
    .option(
      "--epsilon <p>",
      "exploration probability of --bandit epsilon-greedy (default Seldon's 0.1)",
      probabilityOption("--epsilon"),
    )
    .option(
      "--pre-days <n>",
      "days of pre-period, everyone on the baseline (CUPED's covariate and the design's variance)",
      integerOption("--pre-days", 1),
      DEFAULT_CALENDAR.preDays,
    )
    .option(
      "--days <n>",
      "the experiment's length in days (default: the days for 90% power, sized from the pre-period)",
      integerOption("--days", 1),
    )
    .option(
      "--max-days <n>",
      "the cap on a length sized from the pre-period",
      integerOption("--max-days", 1),
      DEFAULT_CALENDAR.maxExperimentDays,
    )
    .option("--http", "send the traffic to the router's HTTP API instead of driving the site in Chromium")
    .option(
      "--seed <n>",
      "seed of training, routing, visitors and clicks",
      integerOption("--seed", 0),
      DEFAULT_SEED,
    )
    .option(
      "--results-dir <dir>",
      "where report.md, events.csv, figures/ and run.json go",
      DEFAULT_RESULTS_DIR,
    )
    .option("--data-dir <dir>", "data folder (raw and processed datasets)", DEFAULT_DATA_DIR)
    .option(
      "--models-dir <dir>",
      "model artifacts (reused when they match, else trained)",
      DEFAULT_MODELS_DIR,
    )
    .option(
      "--epochs <n>",
      "the challenger's maximum training epochs (early stopping may stop sooner)",
      integerOption("--epochs", 1),
    )
    .option("--no-prometheus", "do not start Prometheus even when it is installed")
    .option("--quiet", "no progress output")
    .action(async (options: ExperimentCliOptions) => {
      const controller = new AbortController();
      const onSignal = () => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write(
          "\nabrec experiment: stopping after the visit in flight (Ctrl-C again to kill)\n",
        );
        controller.abort();
      };
      process.on("SIGINT", onSignal);
      try {
        const outcome = await runExperiment({
          dataset: options.dataset,
          split: options.split,
          method: options.method,
          bandit: options.bandit,
          epsilon: options.epsilon,
          preDays: options.preDays,
          experimentDays: options.days,
          maxExperimentDays: options.maxDays,
          transport: options.http ? "http" : "browser",
          seed: options.seed,
          resultsDir: options.resultsDir,
          dataDir: options.dataDir,
          modelsDir: options.modelsDir,
          epochs: options.epochs,
          prometheus: options.prometheus ? undefined : false,
          signal: controller.signal,
          quiet: options.quiet,
        });
        if (!outcome.complete || !outcome.run) {
          process.exitCode = 130;
          return;
        }
        const results = outcome.run.results;
        process.stdout.write(
          `${
            "method" in results
              ? results.method === "interleaving"
                ? interleavingSummary(results)
                : banditSummary(results)
              : abSummary(results)
          }results in ${outcome.resultsDir} (report.md, events.csv${"method" in results ? "" : ", figures/"}, run.json)\n`,
        );
      } finally {
        process.off("SIGINT", onSignal);
      }
    });
}

/** The A/B test's lines on stdout. */
function abSummary(r: AbRunResults): string {
  const line = (arm: typeof r.control) =>
    `${arm.variant}: ${arm.clicks}/${arm.trials} = ${(100 * arm.ctr).toFixed(2)}%` +
    (arm.users === null ? "" : ` (${arm.users} users)`);
  const cuped = r.cuped
    ? `CUPED: ${(100 * r.cuped.difference).toFixed(2)} points, one-sided p = ${formatP(r.cuped.pValueOneSided)} ` +
      `(variance -${(100 * r.cuped.varianceReduction).toFixed(1)}%)\n`
    : "";
  return (
    `${line(r.control)}; ${line(r.treatment)} (${r.unit === "user" ? "per impression, users as the unit" : `per ${r.unit}`})\n` +
    `difference ${(100 * r.difference).toFixed(2)} points (SE ${(100 * r.standardError).toFixed(2)}); ` +
    `one-sided p = ${formatP(r.pValueOneSided)} (pre-registered), two-sided p = ${formatP(r.pValueTwoSided)}: ` +
    `${r.rejectNull ? "reject H0, the challenger's CTR is higher" : "H0 not rejected"}\n` +
    cuped
  );
}

/** The interleaving experiment's lines on stdout. */
function interleavingSummary(r: InterleavingRunResults): string {
  return (
    `${r.users} users: ${r.prefersControl} prefer ${r.control}, ${r.prefersTreatment} prefer ${r.treatment}; ` +
    `Delta_AB ${r.deltaAB.toFixed(4)} [${r.deltaABInterval.lower.toFixed(4)}, ${r.deltaABInterval.upper.toFixed(4)}]\n` +
    `sign test one-sided p = ${formatP(r.pValueOneSided)}: ` +
    `${r.rejectNull ? `reject H0, users prefer ${r.treatment}` : "H0 not rejected"}\n`
  );
}

/** The bandit experiment's lines on stdout. */
function banditSummary(r: BanditRunResults): string {
  const line = (arm: typeof r.control) =>
    `${arm.variant}: ${arm.impressions} impressions (${(100 * arm.servedShare).toFixed(1)}%), ` +
    `weighted CTR ${(100 * arm.ipwCtr).toFixed(2)}% (naive, biased: ${(100 * arm.naiveCtr).toFixed(2)}%)`;
  const posterior =
    r.probabilityTreatmentBetter === null
      ? "no posterior"
      : `P(${r.treatment.variant} better) = ${(100 * r.probabilityTreatmentBetter).toFixed(1)}%`;
  const regret = r.regretClicks === null ? "" : `; ${r.regretClicks.toFixed(2)} expected clicks lost`;
  return `${r.policy}: ${line(r.control)}; ${line(r.treatment)}\n${posterior}${regret}\n`;
}
