/**
 * Writes a screenshot of each page of the mock site to results/screenshots/ (sign-in, home, movie, experiment):
 * serves the trained models (models/) and the ml-latest-small catalog (data/processed/) with a temporary event
 * store, sends 300 seeded API visits so the experiment page has numbers, then visits the site in headless
 * Chromium as MovieLens user 1. Run: `npx tsx scripts/site-screenshots.ts` after `abrec data` and `abrec train`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { launchBrowser } from "../src/core/browser";
import { publishDirectoryAtomic } from "../src/core/files";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_RESULTS_DIR } from "../src/core/paths";
import { Random } from "../src/core/random";
import { startServing } from "../src/deployment/serve";
import { loadPreparedDataset } from "../src/data/load";
import { MODEL_NAMES, loadTrainedModels } from "../src/models/trained-models";
import { visitSite } from "../src/deployment/screenshots";
import { feedbackRequest, predictionRequest } from "../src/serving/seldon";

const SEED = 5;

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as unknown;
}

async function main(): Promise<void> {
  const eventsDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-screenshots-"));
  const dataset = await loadPreparedDataset(path.join(DEFAULT_DATA_DIR, "processed", "ml-latest-small"));
  const server = await startServing({
    role: "all",
    port: 0,
    eventsPath: path.join(eventsDir, "events.sqlite"),
    recommenders: await loadTrainedModels(DEFAULT_MODELS_DIR, MODEL_NAMES, dataset.manifest),
    movies: dataset.movies,
  });
  const target = path.join(DEFAULT_RESULTS_DIR, "screenshots");
  try {
    const random = new Random(SEED);
    for (let userId = 2; userId <= 301; userId++) {
      const response = (await post(`${server.url}/api/v1.0/predictions`, predictionRequest(userId, 10))) as {
        data: { ndarray: number[][] };
      };
      if (random.bernoulli(0.1))
        await post(
          `${server.url}/api/v1.0/feedback`,
          feedbackRequest(response, 1, response.data.ndarray[0][0]),
        );
    }
    const browser = await launchBrowser({ windowSize: { width: 1280, height: 800 } });
    try {
      await publishDirectoryAtomic(target, async (dir) => {
        await visitSite(browser, server.url, dir, 1, 0);
      });
    } finally {
      await browser.quit();
    }
    process.stdout.write(
      `site-screenshots: wrote ${fs.readdirSync(target).sort().join(", ")} to ${target}\n`,
    );
  } finally {
    await server.close();
    fs.rmSync(eventsDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `site-screenshots: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
