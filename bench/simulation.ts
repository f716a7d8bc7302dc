/**
 * `npm run bench:simulation`: visits per second of the traffic simulation with the calibrated click model, in
 * headless Chromium on the mock site, over HTTP against the router, and in process, all against the same serving
 * tier started here (both models, random routing, a temporary event store). The reference, measured in the same
 * run with the same browser, is the bare page flow (sign in and load the home page, nothing read, nothing clicked):
 * the ratio says how much the simulation adds on top of what any browser visit costs.
 *
 * Needs the trained models (`abrec train`) and the prepared dataset under the default folders.
 * Usage: tsx bench/simulation.ts [--visits N] [--seed S]
 * Goal (docs/benchmarks.md): >= 3 browser visits per second on 2 cores.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { launchBrowser } from "../src/core/browser";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR } from "../src/core/paths";
import { DEFAULT_SEED, Random } from "../src/core/random";
import { ensurePreparedDataset } from "../src/data/ensure";
import { loadPreparedDataset } from "../src/data/load";
import { SITE_ROUTES } from "../mock-site/contract";
import { startServing } from "../src/deployment/serve";
import { browserTransport } from "../src/simulation/browser";
import { httpTransport } from "../src/simulation/http";
import { inProcessTransport } from "../src/simulation/in-process";
import { loadSimulationInputs } from "../src/simulation/inputs";
import { runSimulation, type VisitTransport } from "../src/simulation/visit-loop";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

async function main(): Promise<void> {
  const visits = option("--visits", 300);
  const seed = option("--seed", DEFAULT_SEED);
  const inputs = await loadSimulationInputs({
    dataset: "ml-latest-small",
    dataDir: DEFAULT_DATA_DIR,
    modelsDir: DEFAULT_MODELS_DIR,
    quiet: true,
  });
  const { dir } = await ensurePreparedDataset({ dataset: "ml-latest-small", quiet: true });
  const movies = (await loadPreparedDataset(dir)).movies;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-bench-sim-"));
  const server = await startServing({
    role: "all",
    port: 0,
    eventsPath: path.join(scratch, "events.sqlite"),
    recommenders: [inputs.baseline, inputs.challenger],
    movies,
    routing: { mode: "random", ratioA: 0.5, seed },
  });
  const browser = await launchBrowser({ pageLoadStrategy: "eager" });
  const results: { label: string; visitsPerSecond: number; ctr: string }[] = [];
  try {
    // Reference: the bare page flow in the same browser, same visitors.
    const random = new Random(seed);
    const users = inputs.population.userIds;
    const started = performance.now();
    for (let i = 0; i < visits; i++)
      await browser.driver.get(`${server.url}${SITE_ROUTES.signIn}?user=${users[random.int(users.length)]}`);
    const bare = (1000 * visits) / (performance.now() - started);
    results.push({ label: "reference: bare sign-in + home page (browser)", visitsPerSecond: bare, ctr: "" });
    const run = async (label: string, transport: VisitTransport, n: number, concurrency: number) => {
      const summary = await runSimulation({
        population: inputs.population,
        parameters: inputs.truth.calibration.parameters,
        visits: n,
        seed,
        transport,
        journalFile: path.join(scratch, `${transport.kind}.jsonl`),
        concurrency,
        quiet: true,
      });
      const ctr = summary.variants.map((v) => `${v.variant} ${(100 * v.ctr).toFixed(1)}%`).join(", ");
      results.push({ label, visitsPerSecond: summary.visitsPerSecond, ctr });
    };
    await run(
      "simulation: browser (Chromium, real clicks)",
      browserTransport({ driver: browser.driver, siteUrl: server.url }),
      visits,
      1,
    );
    await run(
      "simulation: HTTP (router, 4 in flight)",
      httpTransport({ routerUrl: server.url, slateLength: 10 }),
      visits * 4,
      4,
    );
    await run(
      "simulation: in process (no server)",
      inProcessTransport({
        variants: [
          { name: "baseline", recommender: inputs.baseline },
          { name: "challenger", recommender: inputs.challenger },
        ],
        slateLength: 10,
        seed,
      }),
      visits * 20,
      1,
    );
    for (const r of results)
      process.stdout.write(
        `${r.label.padEnd(48)} ${r.visitsPerSecond.toFixed(2).padStart(9)} visits/s  ${r.ctr}\n`,
      );
    const browserRate = results[1].visitsPerSecond;
    process.stdout.write(
      `browser simulation / bare page flow: ${(browserRate / bare).toFixed(2)}; goal >= 3 browser visits/s: ` +
        `${browserRate >= 3 ? "met" : "NOT met"} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})\n`,
    );
  } finally {
    await browser.quit();
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
