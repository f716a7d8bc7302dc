import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../../src/core/errors";
import { startServing } from "../../src/deployment/serve";
import { groundTruth } from "../../src/simulation/ground-truth";
import { httpTransport, parseBaseUrl, slateFromPrediction } from "../../src/simulation/http";
import { runSimulation } from "../../src/simulation/visit-loop";
import { movieLensWorld } from "../support/simulation";
import { Random } from "../../src/core/random";
import { readVisitEvents } from "../../src/serving/event-store";
import { SimulatedCalendar } from "../../src/serving/simulated-calendar";
import { visitRates, visitSchedule } from "../../src/simulation/calendar";
import { readJournal } from "../../src/simulation/journal";

test("a Seldon prediction response gives the request id, the serving model and the slate", () => {
  // The response shape documented by the router (src/serving/seldon.ts, Seldon Core v1 SeldonMessage).
  const response = {
    meta: {
      puid: "0b6f",
      routing: { "ab-router": 1 },
      requestPath: { challenger: "abrec/challenger:v1" },
      tags: { model_name: "challenger", model_version: "v1", fallback: false },
    },
    data: { names: ["movieIds"], ndarray: [[318, 296, 2571]] },
  };
  assert.deepEqual(slateFromPrediction(response), {
    requestId: "0b6f",
    variant: "challenger",
    movieIds: [318, 296, 2571],
  });
  assert.throws(() => slateFromPrediction({ data: { ndarray: [[1]] } }), /unexpected prediction response/);
  assert.throws(
    () => slateFromPrediction({ ...response, data: { ndarray: [["318"]] } }),
    /unexpected prediction response/,
  );
});

test("router and site URLs are checked", () => {
  assert.equal(parseBaseUrl("http://127.0.0.1:9000", "router").port, "9000");
  assert.throws(() => parseBaseUrl("127.0.0.1:9000", "router"), InputError);
  assert.throws(() => parseBaseUrl("ftp://x", "site"), /field "site"/);
});

/** The whole serving tier (both models, router, site) in this process on a free port, random routing per request. */
async function serve(world: Awaited<ReturnType<typeof movieLensWorld>>, seed: number) {
  const eventsPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-events-")), "events.sqlite");
  const server = await startServing({
    role: "all",
    port: 0,
    eventsPath,
    recommenders: [world.baseline, world.challenger],
    movies: world.dataset.movies,
    routing: { mode: "random", ratioA: 0.5, seed },
  });
  return { server, eventsPath };
}

test("over HTTP against the real router, each model's measured CTR matches its exact CTR (n = 3,000; 4 SE)", async () => {
  const world = await movieLensWorld();
  const truth = groundTruth(world.population, world.baseline, [world.challenger]);
  const { server } = await serve(world, 11);
  try {
    const summary = await runSimulation({
      population: world.population,
      parameters: truth.calibration.parameters,
      visits: 3000,
      seed: 11,
      transport: httpTransport({ routerUrl: server.url, slateLength: 10 }),
      journalFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-http-")), "journal.jsonl"),
      concurrency: 4,
      quiet: true,
    });
    assert.deepEqual(
      summary.variants.map((v) => v.variant),
      ["baseline", "challenger"],
    );
    for (const v of summary.variants) {
      // Random routing per request and visitors drawn with replacement: visits are i.i.d. Bernoulli(CTR of the
      // model over the population); |CTR_hat - CTR| < 4 sqrt(CTR (1 - CTR) / n) fails with probability ~6e-5.
      const p = truth.models.find((m) => m.model === v.variant)!.expectedCtr;
      const se = Math.sqrt((p * (1 - p)) / v.visits);
      assert.ok(Math.abs(v.ctr - p) < 4 * se, `${v.variant}: measured ${v.ctr}, exact ${p}, SE ${se}`);
    }
    // The event store saw exactly the journalled visits: one impression and one feedback each.
    const counts = server.store!.counts();
    for (const v of summary.variants) {
      const stored = counts.variants.find((c) => c.variant === v.variant)!;
      assert.equal(stored.impressions, v.visits);
      assert.equal(stored.clicks, v.clicks);
    }
  } finally {
    await server.close();
  }
});

test("over HTTP, a run killed between an impression and its feedback resumes without a second impression", async () => {
  const world = await movieLensWorld();
  const truth = groundTruth(world.population, world.baseline, [world.challenger]);
  const { server } = await serve(world, 12);
  const journalFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-http-")), "journal.jsonl");
  try {
    const http = httpTransport({ routerUrl: server.url, slateLength: 10 });
    const dying = {
      ...http,
      finish: async (...args: Parameters<typeof http.finish>) => {
        if (args[0].visit === 60) throw new Error("killed after the impression of visit 60");
        return http.finish(...args);
      },
    };
    const options = {
      population: world.population,
      parameters: truth.calibration.parameters,
      visits: 150,
      seed: 12,
      journalFile,
      quiet: true,
    };
    await assert.rejects(runSimulation({ ...options, transport: dying }), /killed/);
    assert.equal(
      server.store!.counts().variants.reduce((s, v) => s + v.impressions, 0),
      61,
    );
    const summary = await runSimulation({ ...options, transport: http });
    assert.equal(summary.complete, true);
    const counts = server.store!.counts();
    assert.equal(
      counts.variants.reduce((s, v) => s + v.impressions, 0),
      150,
    );
    assert.equal(
      counts.variants.reduce((s, v) => s + v.clicks, 0),
      summary.variants.reduce((s, v) => s + v.clicks, 0),
    );
  } finally {
    await server.close();
  }
});

test("a calendar run over HTTP: the router stores each visit's day, the pre-period on the baseline, then sticky users", async () => {
  const world = await movieLensWorld();
  const rates = visitRates(world.population.userIds, { meanVisitsPerDay: 0.6 }, new Random(4));
  const schedule = visitSchedule({ ...rates, preDays: 2, experimentDays: 4, seed: 5 });
  const truth = groundTruth(world.population, world.baseline, [world.challenger], {}, rates.rates);
  const eventsPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-events-")), "events.sqlite");
  const server = await startServing({
    role: "all",
    port: 0,
    eventsPath,
    recommenders: [world.baseline, world.challenger],
    movies: world.dataset.movies,
    routing: { mode: "sticky", ratioA: 0.5, seed: 3 },
    calendar: new SimulatedCalendar(2),
  });
  const journalFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-")), "journal.jsonl");
  try {
    const summary = await runSimulation({
      population: world.population,
      parameters: truth.calibration.parameters,
      calendar: { rates, schedule, throughDay: 5 },
      seed: 6,
      transport: httpTransport({ routerUrl: server.url, slateLength: 10 }),
      journalFile,
      concurrency: 4,
      quiet: true,
    });
    assert.equal(summary.complete, true);
    assert.ok(summary.plannedVisits > 3 * world.population.userIds.length, `${summary.plannedVisits} visits`);
  } finally {
    await server.close();
  }
  const journal = readJournal(journalFile).visits;
  const stored = new Map(readVisitEvents(eventsPath).map((v) => [v.requestId, v]));
  assert.equal(stored.size, journal.length);
  const experimentVariant = new Map<number, string>();
  for (const visit of journal) {
    const event = stored.get(visit.requestId)!;
    assert.equal(event.day, visit.day);
    assert.equal(event.phase, visit.day! < 2 ? "pre" : "experiment");
    assert.equal(event.clicked, visit.clickedPosition >= 0 ? 1 : 0);
    if (event.phase === "pre") assert.equal(event.variant, "baseline");
    else {
      // Sticky: a returning user sees the same model on every experiment visit.
      assert.equal(experimentVariant.get(visit.userId) ?? event.variant, event.variant);
      experimentVariant.set(visit.userId, event.variant);
    }
  }
  assert.deepEqual(new Set(experimentVariant.values()), new Set(["baseline", "challenger"]));
});
