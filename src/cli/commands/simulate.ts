/**
 * `abrec simulate`: simulated visitors, drawn from the test population (or following the simulated calendar with
 * `--days`), react to the slates served by the A/B router (--http), the mock site in headless Chromium (--browser)
 * or the models in this process (--in-process) according to the calibrated cascade click model. Resumable:
 * re-running the same command continues an interrupted run from its journal.
 */
import * as path from "node:path";
import { Command, Option } from "commander";
import { launchBrowser } from "../../core/browser";
import { InputError } from "../../core/errors";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_RESULTS_DIR } from "../../core/paths";
import { DEFAULT_SEED } from "../../core/random";
import type { DatasetName, SplitName } from "../../data/types";
import { DEFAULT_CALIBRATION_SETTINGS } from "../../simulation/click-model";
import { browserTransport } from "../../simulation/browser";
import { httpTransport } from "../../simulation/http";
import { inProcessTransport } from "../../simulation/in-process";
import { loadSimulationInputs } from "../../simulation/inputs";
import { simulate, type SimulationRecord } from "../../simulation/simulate";
import type { VisitTransport } from "../../simulation/visit-loop";
import { FUNFLIX_SAMPLE_SIZE } from "../../stats/business-case";
import { datasetOption, splitOption } from "../dataset-option";
import { integerOption, probabilityOption } from "../number-option";
import { formatTable } from "../table";

/** The business case's sample, one visit per user: 2 x its users per group. */
export const DEFAULT_VISITS = FUNFLIX_SAMPLE_SIZE.totalUsers;

interface SimulateCliOptions {
  http?: boolean;
  browser?: boolean;
  inProcess?: boolean;
  aa?: boolean;
  router?: string;
  site?: string;
  visits: number;
  days?: number;
  preDays: number;
  seed: number;
  dataset: DatasetName;
  split?: SplitName;
  dataDir: string;
  modelsDir: string;
  out: string;
  targetCtr: number;
  patience: number;
  noiseRatio: number;
  slateLength: number;
  concurrency?: number;
  quiet?: boolean;
}

/** A plain-text table of measured vs exact CTR per variant. */
export function formatSimulationRecord(record: SimulationRecord): string {
  const { summary } = record;
  const truth = new Map(record.groundTruth.map((m) => [m.model, m.expectedCtr]));
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `${summary.completedVisits}/${summary.plannedVisits} visits (${summary.newVisits} in this run, ` +
      `${summary.visitsPerSecond.toFixed(2)} visits/s), visitors ${summary.sampling}, seed ${summary.seed}`,
    `click model: p_rel ${record.clickModel.parameters.relevantClickProbability.toFixed(5)}, p_noise ` +
      `${record.clickModel.parameters.noiseClickProbability.toFixed(5)}, patience ${record.clickModel.settings.patience}` +
      ` (baseline calibrated to CTR ${record.clickModel.achievedCtr.toFixed(6)} over ${record.clickModel.populationSize} users)`,
    "",
    formatTable(
      ["variant", "visits", "clicks", "CTR", "expected CTR of slates shown", "exact model CTR"],
      summary.variants.map((v) => [
        v.variant,
        String(v.visits),
        String(v.clicks),
        pct(v.ctr),
        pct(v.expectedCtr),
        truth.has(v.variant) ? pct(truth.get(v.variant)!) : "",
      ]),
      { align: ["left", "right", "right", "right", "right", "right"] },
    ),
    "",
    `journal ${summary.journalFile}`,
  ];
  if (!summary.complete) lines.push("interrupted: run the same command again to continue where it stopped");
  return lines.join("\n") + "\n";
}

export function register(program: Command): void {
  program
    .command("simulate")
    .description(
      "Simulated visitors (MovieLens users of the test population) click according to the calibrated cascade " +
        "click model, over HTTP against the router, in headless Chromium on the mock site, or in process.",
    )
    .addOption(
      new Option("--http", "visits over HTTP against the A/B router (needs --router)").conflicts([
        "browser",
        "inProcess",
      ]),
    )
    .addOption(
      new Option("--browser", "visits through the mock site in headless Chromium (needs --site)").conflicts(
        "inProcess",
      ),
    )
    .addOption(
      new Option("--in-process", "slates straight from the models in this process, routed at random here"),
    )
    .option(
      "--days <n>",
      "follow the simulated calendar: --pre-days of pre-period, then n experiment days, each user at their own " +
        "visit rate (the router must run with the same --pre-days); replaces --visits",
      integerOption("--days", 1),
    )
    .option(
      "--pre-days <n>",
      "with --days: days of pre-period, everyone on the baseline",
      integerOption("--pre-days", 0),
      0,
    )
    .option("--aa", "with --in-process: both arms serve the baseline (an A/A test)")
    .option("--router <url>", "the router's base URL, e.g. http://127.0.0.1:9000")
    .option("--site <url>", "the mock site's base URL, e.g. http://127.0.0.1:8080")
    .option(
      "--visits <n>",
      `planned visits in total (2 x ${FUNFLIX_SAMPLE_SIZE.controlUsers} is the designed sample)`,
      integerOption("--visits", 1),
      DEFAULT_VISITS,
    )
    .option(
      "--seed <n>",
      "seed of the visitor and click draws (and of in-process routing)",
      integerOption("--seed", 0),
      DEFAULT_SEED,
    )
    .addOption(datasetOption("prepared dataset whose test population visits"))
    .addOption(splitOption())
    .option("--data-dir <dir>", "data folder (raw and processed datasets)", DEFAULT_DATA_DIR)
    .option("--models-dir <dir>", "folder with the baseline/ and challenger/ artifacts", DEFAULT_MODELS_DIR)
    .option(
      "--out <dir>",
      "output folder (journal, visits.csv, summary.json)",
      path.join(DEFAULT_RESULTS_DIR, "simulation"),
    )
    .option(
      "--target-ctr <p>",
      "the baseline's calibrated expected CTR",
      probabilityOption("--target-ctr"),
      DEFAULT_CALIBRATION_SETTINGS.targetCtr,
    )
    .option(
      "--patience <p>",
      "probability of examining the next position after no click",
      probabilityOption("--patience"),
      DEFAULT_CALIBRATION_SETTINGS.patience,
    )
    .option(
      "--noise-ratio <r>",
      "p_noise / p_rel: clicks on irrelevant movies",
      probabilityOption("--noise-ratio"),
      DEFAULT_CALIBRATION_SETTINGS.noiseRatio,
    )
    .option(
      "--slate-length <k>",
      "movies per slate",
      integerOption("--slate-length", 1),
      DEFAULT_CALIBRATION_SETTINGS.slateLength,
    )
    .option(
      "--concurrency <n>",
      "visits in flight at once (default 4 over HTTP, 1 otherwise)",
      integerOption("--concurrency", 1),
    )
    .option("--quiet", "no progress output")
    .action(async (options: SimulateCliOptions) => {
      const mode = options.browser ? "browser" : options.inProcess ? "in-process" : "http";
      if (mode === "http" && !options.router)
        throw new InputError("expected --router <url> for an HTTP simulation (or --browser/--in-process)", {
          field: "--router",
        });
      if (mode === "browser" && !options.site)
        throw new InputError("expected --site <url> for a browser simulation", { field: "--site" });
      if (options.aa && mode !== "in-process")
        throw new InputError(
          "--aa needs --in-process (an A/A test over HTTP needs a router serving one model twice)",
          {
            field: "--aa",
          },
        );
      const { visits, seed, slateLength } = options;
      if (options.days !== undefined && mode === "in-process")
        throw new InputError("--days needs a router with a simulated calendar: use --http or --browser", {
          field: "--days",
        });
      const concurrency = options.concurrency ?? (mode === "http" ? 4 : 1);
      if (mode === "browser" && concurrency > 1)
        throw new InputError("a browser simulation drives one browser: concurrency must be 1", {
          field: "--concurrency",
        });
      const inputs = await loadSimulationInputs({
        dataset: options.dataset,
        split: options.split,
        dataDir: options.dataDir,
        modelsDir: options.modelsDir,
        quiet: options.quiet,
        calibration: {
          targetCtr: options.targetCtr,
          patience: options.patience,
          noiseRatio: options.noiseRatio,
          slateLength,
        },
        ...(options.days === undefined
          ? {}
          : { calendar: { preDays: options.preDays, experimentDays: options.days, seed } }),
      });
      let transport: VisitTransport;
      if (mode === "http") transport = httpTransport({ routerUrl: options.router!, slateLength });
      else if (mode === "browser") {
        const browser = await launchBrowser({ pageLoadStrategy: "eager" });
        transport = browserTransport({
          driver: browser.driver,
          siteUrl: options.site!,
          onClose: () => browser.quit(),
        });
      } else
        transport = inProcessTransport({
          variants: options.aa
            ? [
                { name: "baseline-a", recommender: inputs.baseline },
                { name: "baseline-b", recommender: inputs.baseline },
              ]
            : [
                { name: inputs.baseline.name, recommender: inputs.baseline },
                { name: inputs.challenger.name, recommender: inputs.challenger },
              ],
          slateLength,
          seed,
        });
      const controller = new AbortController();
      const onSignal = () => {
        process.stderr.write(
          "\nabrec simulate: stopping after the visits in flight (Ctrl-C again to kill)\n",
        );
        controller.abort();
        process.off("SIGINT", onSignal);
      };
      process.on("SIGINT", onSignal);
      try {
        const record = await simulate({
          population: inputs.population,
          truth: inputs.truth,
          transport,
          visits,
          ...(inputs.calendar
            ? {
                calendar: {
                  ...inputs.calendar,
                  throughDay: inputs.calendar.schedule.totalDays - 1,
                },
              }
            : {}),
          seed,
          outDir: options.out,
          concurrency,
          signal: controller.signal,
          quiet: options.quiet,
        });
        process.stdout.write(formatSimulationRecord(record));
        if (!record.summary.complete) process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSignal);
        await transport.close();
      }
    });
}
