import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { launchBrowser } from "../../src/core/browser";
import { startServing } from "../../src/deployment/serve";
import { browserTransport, slateFromPage } from "../../src/simulation/browser";
import type { ClickModelParameters } from "../../src/simulation/click-model";
import { readJournal } from "../../src/simulation/journal";
import { runSimulation } from "../../src/simulation/visit-loop";
import { movieLensWorld } from "../support/simulation";

test("the page's cards are validated and ordered by position", () => {
  const rendered = {
    requestId: "r1",
    variant: "baseline",
    cards: [
      { movieId: "296", position: "1" },
      { movieId: "318", position: "0" },
    ],
  };
  assert.deepEqual(slateFromPage(rendered, "home"), {
    requestId: "r1",
    variant: "baseline",
    movieIds: [318, 296],
  });
  assert.throws(() => slateFromPage(null, "home"), /no #recommendations on home/);
  assert.throws(
    () => slateFromPage({ ...rendered, variant: null }, "home"),
    /lacks data-request-id or data-variant/,
  );
  assert.throws(
    () => slateFromPage({ ...rendered, cards: [{ movieId: "318", position: "1" }] }, "home"),
    /card 0 on home has position 1/,
  );
});

test("in headless Chromium on the real site: sign in, read the cards, click with a real click, all recorded", async () => {
  const world = await movieLensWorld();
  const eventsPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-browser-")), "events.sqlite");
  const server = await startServing({
    role: "all",
    port: 0,
    eventsPath,
    recommenders: [world.baseline, world.challenger],
    movies: world.dataset.movies,
    routing: { mode: "random", ratioA: 0.5, seed: 5 },
  });
  const browser = await launchBrowser({ pageLoadStrategy: "eager" });
  // A click-happy visitor, so that most of the few visits exercise the click path.
  const parameters: ClickModelParameters = {
    examination: new Array(10).fill(1),
    relevantClickProbability: 0.8,
    noiseClickProbability: 0.3,
  };
  const journalFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-browser-")),
    "journal.jsonl",
  );
  try {
    const summary = await runSimulation({
      population: world.population,
      parameters,
      visits: 24,
      seed: 5,
      transport: browserTransport({ driver: browser.driver, siteUrl: server.url }),
      journalFile,
      quiet: true,
    });
    process.stderr.write(`browser simulation: ${summary.visitsPerSecond.toFixed(2)} visits/s (24 visits)\n`);
    assert.equal(summary.complete, true);
    const visits = readJournal(journalFile).visits;
    const models = { baseline: world.baseline, challenger: world.challenger };
    for (const visit of visits) {
      // The cards read from the rendered page are the serving model's top 10 for that user.
      const model = models[visit.variant as keyof typeof models];
      assert.deepEqual(visit.movieIds, model.recommend(visit.userId, 10).movieIds);
    }
    const clicked = visits.filter((v) => v.clickedPosition >= 0);
    assert.ok(clicked.length >= 12, `${clicked.length} clicks in 24 visits`);
    // The site recorded every click, on the movie and position the visitor chose, and nothing else.
    const db = new Database(eventsPath, { readonly: true });
    try {
      const impressions = db.prepare("SELECT request_id, user_id, variant FROM impressions").all() as {
        request_id: string;
        user_id: number;
        variant: string;
      }[];
      assert.deepEqual(
        impressions.map((i) => `${i.request_id} ${i.user_id} ${i.variant}`).sort(),
        visits.map((v) => `${v.requestId} ${v.userId} ${v.variant}`).sort(),
      );
      const feedback = db
        .prepare("SELECT request_id, movie_id, position FROM feedback WHERE reward = 1")
        .all() as { request_id: string; movie_id: number; position: number }[];
      assert.deepEqual(
        feedback.map((f) => `${f.request_id} ${f.movie_id} ${f.position}`).sort(),
        clicked.map((v) => `${v.requestId} ${v.movieIds[v.clickedPosition]} ${v.clickedPosition}`).sort(),
      );
    } finally {
      db.close();
    }
  } finally {
    await browser.quit();
    await server.close();
  }
});
