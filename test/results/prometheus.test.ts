import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { startServing, type RunningServer } from "../../src/deployment/serve";
import { counterTotal, readSeldonFeedbackCounts, twoArmCountsFromSeldon } from "../../src/results/prometheus";
import { readVariantCounts } from "../../src/serving/event-store";
import { groundTruth } from "../../src/simulation/ground-truth";
import { httpTransport } from "../../src/simulation/http";
import { runSimulation } from "../../src/simulation/visit-loop";
import { startPrometheus } from "../support/prometheus";
import { movieLensWorld } from "../support/simulation";

/**
 * Runs the CLI without blocking this process, whose model servers must keep answering Prometheus' scrapes (a failed
 * scrape marks their series stale, and an instant query then finds none).
 */
const abrec = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );

test("counterTotal adds the first value and every rise, and after a reset the new value", () => {
  assert.equal(counterTotal([]), 0);
  assert.equal(counterTotal([[0, "5"]]), 5);
  assert.equal(
    counterTotal([
      [0, "0"],
      [1, "40"],
      [2, "40"],
      [3, "3"],
      [4, "10"],
    ]),
    50,
  );
  // Two restarts, the second one back to 0 with nothing counted before the next scrape.
  assert.equal(
    counterTotal([
      [0, "7"],
      [1, "2"],
      [2, "0"],
      [3, "4"],
    ]),
    13,
  );
});

test("twoArmCountsFromSeldon: feedbacks are trials, rewards clicks; unknown models and fractional rewards refused", () => {
  const counts = {
    url: "http://127.0.0.1:9090",
    queries: ["q1", "q2"] as [string, string],
    variants: [
      { variant: "baseline", feedbacks: 120, rewards: 9 },
      { variant: "challenger", feedbacks: 110, rewards: 14 },
      { variant: "graded", feedbacks: 10, rewards: 3.5 },
    ],
  };
  assert.deepEqual(twoArmCountsFromSeldon(counts), {
    control: { units: 120, clicks: 9 },
    treatment: { units: 110, clicks: 14 },
  });
  assert.throws(() => twoArmCountsFromSeldon(counts, { treatment: "nope" }), /"nope".*baseline, challenger/);
  assert.throws(() => twoArmCountsFromSeldon(counts, { treatment: "graded" }), /sum to 3.5.*0 or 1/);
});

test("readSeldonFeedbackCounts names the URL when Prometheus cannot be reached or the URL is not http", async () => {
  await assert.rejects(readSeldonFeedbackCounts({ url: "127.0.0.1:9" }), /--prometheus.*http/);
  await assert.rejects(
    readSeldonFeedbackCounts({ url: "http://127.0.0.1:9" }),
    /cannot reach http:\/\/127\.0\.0\.1:9/,
  );
});

/** Waits until Prometheus has scraped every target, up, after `afterMs` (Unix ms). */
async function scrapedSince(prometheusUrl: string, afterMs: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const body = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as {
      data: { activeTargets: { lastScrape: string; health: string }[] };
    };
    const targets = body.data.activeTargets;
    if (targets.length > 0 && targets.every((t) => t.health === "up" && Date.parse(t.lastScrape) > afterMs))
      return;
    if (Date.now() > deadline)
      throw new Error(`not every target scraped since ${afterMs}: ${JSON.stringify(targets)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const perVariant = (file: string) =>
  readVariantCounts(file).variants.map((v) => ({
    variant: v.variant,
    feedbacks: v.impressions,
    rewards: v.clicks,
  }));

test("abrec analyze --prometheus over a real Prometheus scraping two Seldon model servers: the event store's counts and analysis; --range totals across a model server's restart, --time reads the past", async () => {
  const world = await movieLensWorld();
  const truth = groundTruth(world.population, world.baseline, [world.challenger]);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-prom-analyze-"));
  const eventsPath = path.join(folder, "events.sqlite");
  const model = (recommender: typeof world.baseline, port = 0) =>
    startServing({ role: "model", port, recommenders: [recommender] });
  const baseline = await model(world.baseline);
  let challenger: RunningServer = await model(world.challenger);
  const router = await startServing({
    role: "router",
    port: 0,
    eventsPath,
    modelUrls: [
      { name: "baseline", url: baseline.url },
      { name: "challenger", url: challenger.url },
    ],
    routing: { mode: "random", ratioA: 0.5, seed: 21 },
  });
  // As in a SeldonDeployment: Prometheus scrapes the model servers, the only place the counters are.
  const prometheus = await startPrometheus([new URL(baseline.url).host, new URL(challenger.url).host], []);
  const simulate = (seed: number, visits: number) =>
    runSimulation({
      population: world.population,
      parameters: truth.calibration.parameters,
      visits,
      seed,
      transport: httpTransport({ routerUrl: router.url, slateLength: 10 }),
      journalFile: path.join(folder, `journal-${seed}.jsonl`),
      concurrency: 4,
      quiet: true,
    });
  try {
    await simulate(21, 300);
    await scrapedSince(prometheus.url, Date.now());
    const firstPhase = perVariant(eventsPath);
    assert.deepEqual(
      firstPhase.map((v) => v.variant),
      ["baseline", "challenger"],
    );
    assert.equal(firstPhase[0].feedbacks + firstPhase[1].feedbacks, 300);
    assert.ok(
      firstPhase.every((v) => v.rewards > 0),
      JSON.stringify(firstPhase),
    );

    const fromPrometheus = await abrec("analyze", "--prometheus", prometheus.url, "--json");
    assert.equal(fromPrometheus.status, 0, fromPrometheus.stderr);
    const { prometheus: counts, ...analysis } = JSON.parse(fromPrometheus.stdout);
    assert.deepEqual(counts.variants, firstPhase);
    assert.deepEqual(counts.queries, [
      "sum by (model_name) (seldon_api_model_feedback_total)",
      "sum by (model_name) (seldon_api_model_feedback_reward_total)",
    ]);
    const fromEvents = await abrec("analyze", "--events", eventsPath, "--unit", "visit", "--json");
    assert.equal(fromEvents.status, 0, fromEvents.stderr);
    assert.deepEqual(analysis, JSON.parse(fromEvents.stdout));
    const oneSided = await abrec("analyze", "--prometheus", prometheus.url, "--one-sided", "--json");
    const oneSidedEvents = await abrec(
      "analyze",
      "--events",
      eventsPath,
      "--unit",
      "visit",
      "--one-sided",
      "--json",
    );
    const { prometheus: _, ...oneSidedAnalysis } = JSON.parse(oneSided.stdout);
    assert.deepEqual(oneSidedAnalysis, JSON.parse(oneSidedEvents.stdout));
    assert.equal(oneSidedAnalysis.settings.alternative, "greater");
    const readable = await abrec("analyze", "--prometheus", prometheus.url);
    assert.equal(readable.status, 0, readable.stderr);
    assert.match(readable.stdout, /Counts from Prometheus .*one trial per visit with a feedback/);
    const firstPhaseEnd = Date.now() / 1000;

    // The challenger's model server restarts on its port: its counters start again from 0.
    const { port } = challenger;
    await challenger.close();
    challenger = await model(world.challenger, port);
    await simulate(22, 300);
    await scrapedSince(prometheus.url, Date.now());
    const all = perVariant(eventsPath);
    assert.equal(all[0].feedbacks + all[1].feedbacks, 600);

    const latest = await readSeldonFeedbackCounts({ url: prometheus.url });
    // The latest values: the baseline's whole count, the challenger's since its restart only.
    assert.deepEqual(latest.variants, [
      all[0],
      {
        variant: "challenger",
        feedbacks: all[1].feedbacks - firstPhase[1].feedbacks,
        rewards: all[1].rewards - firstPhase[1].rewards,
      },
    ]);
    const ranged = await abrec("analyze", "--prometheus", prometheus.url, "--range", "1h", "--json");
    assert.equal(ranged.status, 0, ranged.stderr);
    const { prometheus: rangedCounts, ...rangedAnalysis } = JSON.parse(ranged.stdout);
    assert.deepEqual(rangedCounts.variants, all);
    assert.equal(rangedCounts.queries[0], "seldon_api_model_feedback_total[1h]");
    assert.deepEqual(
      rangedAnalysis,
      JSON.parse((await abrec("analyze", "--events", eventsPath, "--unit", "visit", "--json")).stdout),
    );
    const past = await readSeldonFeedbackCounts({ url: prometheus.url, time: String(firstPhaseEnd) });
    assert.deepEqual(past.variants, firstPhase);

    const refused: [string[], RegExp][] = [
      [["--prometheus", prometheus.url, "--range", "an hour"], /Prometheus refused .*an hour/],
      [["--prometheus", prometheus.url, "--events", eventsPath], /without --events/],
      [["--prometheus", prometheus.url, "--treatment-variant", "nope"], /model_name "nope"/],
      [["--events", eventsPath, "--range", "1h"], /with --prometheus/],
    ];
    for (const [args, message] of refused) {
      const run = await abrec("analyze", ...args);
      assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
  } finally {
    await prometheus.stop();
    await router.close();
    await baseline.close();
    await challenger.close();
  }
});
