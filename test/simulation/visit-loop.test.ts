import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../../src/core/errors";
import { clickModelParameters, expectedPopulationCtr } from "../../src/simulation/click-model";
import { inProcessTransport } from "../../src/simulation/in-process";
import { readJournal } from "../../src/simulation/journal";
import { modelRelevancePatterns } from "../../src/simulation/population";
import { slateRecommender, syntheticPopulation } from "../support/simulation";
import { runSimulation } from "../../src/simulation/visit-loop";
import { visitRates, visitSchedule } from "../../src/simulation/calendar";
import { Random } from "../../src/core/random";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-"));
const parameters = clickModelParameters(0.3, { slateLength: 10, patience: 0.85, noiseRatio: 0.1 });

test("in-process: measured CTR per variant matches the analytic population CTR (n = 20,000; 4 SE)", async () => {
  const population = syntheticPopulation();
  const a = slateRecommender("baseline", population, 1);
  const b = slateRecommender("challenger", population, 3);
  const summary = await runSimulation({
    population,
    parameters,
    visits: 20_000,
    seed: 5,
    transport: inProcessTransport({
      variants: [
        { name: "baseline", recommender: a },
        { name: "challenger", recommender: b },
      ],
      slateLength: 10,
      seed: 5,
    }),
    journalFile: path.join(tmp(), "journal.jsonl"),
    quiet: true,
  });
  assert.equal(summary.complete, true);
  assert.equal(summary.sampling, "with-replacement");
  assert.deepEqual(
    summary.variants.map((v) => v.variant),
    ["baseline", "challenger"],
  );
  // Random routing and visitors drawn uniformly with replacement: each arm's visits are i.i.d. Bernoulli with the
  // population mean of its slates' CTRs; |CTR_hat - CTR| < 4 sqrt(CTR (1 - CTR) / n_arm) fails w.p. ~6e-5 each.
  const truth = {
    baseline: expectedPopulationCtr(modelRelevancePatterns(population, a, 10), parameters),
    challenger: expectedPopulationCtr(modelRelevancePatterns(population, b, 10), parameters),
  };
  assert.ok(truth.challenger > truth.baseline + 0.05);
  for (const v of summary.variants) {
    const p = truth[v.variant as keyof typeof truth];
    const se = Math.sqrt((p * (1 - p)) / v.visits);
    assert.ok(Math.abs(v.ctr - p) < 4 * se, `${v.variant}: ${v.ctr} vs ${p} (SE ${se})`);
    assert.ok(Math.abs(v.visits - 10_000) < 4 * Math.sqrt(20_000 * 0.25), `${v.variant}: ${v.visits} visits`);
  }
});

test("an interrupted run resumes where it stopped: the same visits as an uninterrupted run, none twice", async () => {
  const population = syntheticPopulation();
  const transport = () =>
    inProcessTransport({
      variants: [
        { name: "baseline", recommender: slateRecommender("baseline", population, 1) },
        { name: "challenger", recommender: slateRecommender("challenger", population, 2) },
      ],
      slateLength: 10,
      seed: 8,
    });
  const dir = tmp();
  const options = { population, parameters, visits: 400, seed: 8, quiet: true };
  const whole = await runSimulation({
    ...options,
    transport: transport(),
    journalFile: path.join(dir, "whole.jsonl"),
  });
  const resumedFile = path.join(dir, "resumed.jsonl");
  const first = await runSimulation({
    ...options,
    transport: transport(),
    journalFile: resumedFile,
    maxNewVisits: 150,
  });
  assert.equal(first.completedVisits, 150);
  assert.equal(first.complete, false);
  // A crash in the middle of writing a line leaves a partial line: it is dropped on resume.
  fs.appendFileSync(resumedFile, '{"kind":"visit","visit":150,"vis');
  const second = await runSimulation({
    ...options,
    transport: transport(),
    journalFile: resumedFile,
    concurrency: 3,
  });
  assert.equal(second.newVisits, 250);
  assert.equal(second.complete, true);
  const strip = (file: string) =>
    readJournal(file).visits.map(({ finishedAtMs: _finishedAtMs, ...rest }) => rest);
  assert.deepEqual(strip(resumedFile), strip(path.join(dir, "whole.jsonl")));
  assert.deepEqual(second.variants, whole.variants);
  // Running a complete run again makes no visit.
  const third = await runSimulation({ ...options, transport: transport(), journalFile: resumedFile });
  assert.equal(third.newVisits, 0);
  assert.equal(readJournal(resumedFile).visits.length, 400);
});

test("a journal is only resumed by the same run", async () => {
  const population = syntheticPopulation();
  const transport = inProcessTransport({
    variants: [{ name: "baseline", recommender: slateRecommender("baseline", population, 1) }],
    slateLength: 10,
    seed: 1,
  });
  const file = path.join(tmp(), "journal.jsonl");
  await runSimulation({
    population,
    parameters,
    visits: 20,
    seed: 1,
    transport,
    journalFile: file,
    quiet: true,
  });
  await assert.rejects(
    runSimulation({ population, parameters, visits: 20, seed: 2, transport, journalFile: file, quiet: true }),
    (error: unknown) => error instanceof InputError && /journal.jsonl:1, field "seed"/.test(error.message),
  );
  fs.writeFileSync(
    file,
    fs.readFileSync(file, "utf8").replace(/\n\{"kind":"visit"/, '\nnot json\n{"kind":"visit"'),
  );
  await assert.rejects(
    runSimulation({ population, parameters, visits: 20, seed: 1, transport, journalFile: file, quiet: true }),
    /journal.jsonl:3: expected one JSON object per line/,
  );
});

test("a failing transport stops the run with its error and keeps the visits made", async () => {
  const population = syntheticPopulation();
  const inner = inProcessTransport({
    variants: [{ name: "baseline", recommender: slateRecommender("baseline", population, 1) }],
    slateLength: 10,
    seed: 3,
  });
  const failing = {
    ...inner,
    show: async (visit: { visit: number; visitId: string; userId: number; day: number | null }) => {
      if (visit.visit === 30) throw new Error("router down");
      return inner.show(visit);
    },
  };
  const file = path.join(tmp(), "journal.jsonl");
  await assert.rejects(
    runSimulation({
      population,
      parameters,
      visits: 60,
      seed: 3,
      transport: failing,
      journalFile: file,
      quiet: true,
    }),
    /router down/,
  );
  assert.equal(readJournal(file).visits.length, 30);
});

test("a visit shown but not finished before a crash is finished on resume with the same impression", async () => {
  const population = syntheticPopulation();
  const inner = inProcessTransport({
    variants: [{ name: "baseline", recommender: slateRecommender("baseline", population, 3) }],
    slateLength: 10,
    seed: 4,
  });
  const shows: number[] = [];
  const finishes: { visit: number; requestId: string }[] = [];
  let crashAt = 7;
  const transport = {
    ...inner,
    show: async (visit: { visit: number; visitId: string; userId: number; day: number | null }) => {
      shows.push(visit.visit);
      return inner.show(visit);
    },
    finish: async (visit: { visit: number }, shown: { requestId: string }, _position: number) => {
      if (visit.visit === crashAt) throw new Error("killed between the impression and the click");
      finishes.push({ visit: visit.visit, requestId: shown.requestId });
    },
  };
  const file = path.join(tmp(), "journal.jsonl");
  const options = { population, parameters, visits: 12, seed: 4, transport, journalFile: file, quiet: true };
  await assert.rejects(runSimulation(options), /killed/);
  assert.deepEqual(shows, [0, 1, 2, 3, 4, 5, 6, 7]);
  crashAt = -1;
  const summary = await runSimulation(options);
  assert.equal(summary.complete, true);
  // Visit 7 is not shown again: it is finished with the impression of the first run.
  assert.deepEqual(shows, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(finishes[7], { visit: 7, requestId: "s4-v7" });
  assert.equal(summary.abandonedImpressions, 0);
  assert.deepEqual(
    readJournal(file).visits.map((v) => v.visit),
    Array.from({ length: 12 }, (_, i) => i),
  );
});

test("a transport that cannot reuse a shown slate shows the visit again and counts the abandoned impression", async () => {
  const population = syntheticPopulation();
  const inner = inProcessTransport({
    variants: [{ name: "baseline", recommender: slateRecommender("baseline", population, 3) }],
    slateLength: 10,
    seed: 6,
  });
  const shows: number[] = [];
  let crashAt = 4;
  const transport = {
    ...inner,
    reusesShownSlates: false,
    show: async (visit: { visit: number; visitId: string; userId: number; day: number | null }) => {
      shows.push(visit.visit);
      return inner.show(visit);
    },
    finish: async (visit: { visit: number }) => {
      if (visit.visit === crashAt) throw new Error("browser crashed on the page of visit 4");
    },
  };
  const file = path.join(tmp(), "journal.jsonl");
  const options = { population, parameters, visits: 8, seed: 6, transport, journalFile: file, quiet: true };
  await assert.rejects(runSimulation(options), /browser crashed/);
  crashAt = -1;
  const summary = await runSimulation(options);
  assert.deepEqual(shows, [0, 1, 2, 3, 4, 4, 5, 6, 7]);
  assert.equal(summary.complete, true);
  assert.equal(summary.abandonedImpressions, 1);
  assert.equal(readJournal(file).visits.length, 8);
});

test("a calendar run starts each day after the previous day's visits finished, and extends day by day", async () => {
  const population = syntheticPopulation();
  const rates = visitRates(population.userIds, { meanVisitsPerDay: 0.4 }, new Random(3));
  const schedule = visitSchedule({ ...rates, preDays: 2, experimentDays: 3, seed: 4 });
  const recommender = slateRecommender("baseline", population, 1);
  // Records the order of events; each visit takes a random few milliseconds so that concurrent visits overlap.
  const transport = (events: string[]) => {
    const inner = inProcessTransport({
      variants: [{ name: "baseline", recommender }],
      slateLength: 10,
      seed: 1,
    });
    return {
      ...inner,
      async startDay(day: number) {
        events.push(`day ${day}`);
      },
      async show(visit: Parameters<typeof inner.show>[0]) {
        await new Promise((resolve) => setTimeout(resolve, (visit.visit * 7) % 5));
        return inner.show(visit);
      },
      async finish(visit: Parameters<typeof inner.finish>[0]) {
        events.push(`visit ${visit.visit} day ${visit.day}`);
      },
    };
  };
  const run = (events: string[], journalFile: string, throughDay: number) =>
    runSimulation({
      population,
      parameters,
      calendar: { rates, schedule, throughDay },
      seed: 9,
      transport: transport(events),
      journalFile,
      concurrency: 3,
      quiet: true,
    });
  const dir = tmp();
  const events: string[] = [];
  const whole = await run(events, path.join(dir, "whole.jsonl"), 4);
  const perDay = schedule.visitorsByDay.map((visitors) => visitors.length);
  assert.equal(
    whole.plannedVisits,
    perDay.reduce((a, b) => a + b, 0),
  );
  assert.equal(whole.sampling, "calendar");
  // Every visit of day d finishes before "day d+1"; the days come in order, each once.
  let currentDay = -1;
  for (const event of events) {
    const [kind, first, , day] = event.split(" ");
    if (kind === "day") {
      assert.equal(Number(first), currentDay + 1);
      currentDay = Number(first);
    } else assert.equal(Number(day), currentDay, event);
  }
  assert.equal(currentDay, 4);
  const visits = readJournal(path.join(dir, "whole.jsonl")).visits;
  assert.deepEqual(
    visits.map((v) => v.userId),
    schedule.visitorsByDay.flatMap((visitors) => [...visitors]),
  );
  // The pre-period first, then the experiment days on the same journal: the same visits and clicks.
  const extended = path.join(dir, "extended.jsonl");
  const pre = await run([], extended, 1);
  assert.equal(pre.plannedVisits, perDay[0] + perDay[1]);
  const all = await run([], extended, 4);
  assert.equal(all.newVisits, whole.plannedVisits - pre.plannedVisits);
  const strip = (records: ReturnType<typeof readJournal>["visits"]) =>
    records.map(({ finishedAtMs: _, ...rest }) => rest);
  assert.deepEqual(strip(readJournal(extended).visits), strip(visits));
  // Asked for the pre-period again, the extended journal reports it complete (its later visits are not counted).
  const again = await run([], extended, 1);
  assert.equal(again.complete, true);
  assert.equal(again.completedVisits, pre.plannedVisits);
  await assert.rejects(
    runSimulation({
      population,
      parameters,
      calendar: { rates, schedule, throughDay: 4 },
      seed: 9,
      transport: inProcessTransport({
        variants: [{ name: "baseline", recommender }],
        slateLength: 10,
        seed: 1,
      }),
      journalFile: path.join(dir, "no-days.jsonl"),
      quiet: true,
    }),
    /cannot follow a simulated calendar/,
  );
});
