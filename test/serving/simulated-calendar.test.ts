import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InputError } from "../../src/core/errors";
import { stickyUnit } from "../../src/serving/assignment";
import { SIMULATED_DAY_PATH, setSimulatedDay } from "../../src/serving/router";
import { ROUTER_NAME, predictionRequest } from "../../src/serving/seldon";
import { SimulatedCalendar } from "../../src/serving/simulated-calendar";
import { postJson } from "../support/http";
import { startTestServing } from "../support/serving";

const SEED = 1;
const PRE_DAYS = 3;

/** The sticky child of `userId` under ratio 0.5 and `SEED`, as assignment.ts computes it. */
const stickyChild = (userId: number) => (stickyUnit(userId, SEED) < 0.5 ? 0 : 1);

/** Known users (1..610 in the test models) whose sticky hash sends them to the challenger, and to the baseline. */
const HASHED_TO_CHALLENGER = Array.from({ length: 60 }, (_, i) => i + 1)
  .filter((u) => stickyChild(u) === 1)
  .slice(0, 5);
const HASHED_TO_BASELINE = Array.from({ length: 60 }, (_, i) => i + 1)
  .filter((u) => stickyChild(u) === 0)
  .slice(0, 5);

async function withCalendarServing<T>(
  calendar: SimulatedCalendar | undefined,
  body: (url: string, server: Awaited<ReturnType<typeof startTestServing>>["server"]) => Promise<T>,
): Promise<T> {
  const { server } = await startTestServing({
    routing: { mode: "sticky", ratioA: 0.5, seed: SEED },
    calendar,
  });
  try {
    return await body(server.url, server);
  } finally {
    await server.close();
  }
}

/** Value of `name{labels}` in a Prometheus exposition (0 when absent). */
function sample(exposition: string, name: string, labels: string): number {
  const line = exposition.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

test("SimulatedCalendar: starts on day 0, phase pre before preDays, experiment from it; the day never goes back", () => {
  const calendar = new SimulatedCalendar(2);
  assert.deepEqual([calendar.day, calendar.phase()], [0, "pre"]);
  calendar.setDay(1);
  calendar.setDay(1);
  assert.deepEqual([calendar.day, calendar.phase()], [1, "pre"]);
  calendar.setDay(2);
  assert.deepEqual([calendar.day, calendar.phase()], [2, "experiment"]);
  calendar.setDay(9);
  assert.equal(calendar.phase(), "experiment");
  for (const [day, message] of [
    [8, /field "day": expected a day >= 9 \(the current day\), got 8/],
    [-1, /field "day": expected an integer day >= 0, got -1/],
    [9.5, /expected an integer day >= 0, got 9.5/],
    ["10" as unknown as number, /got "10"/],
  ] as const)
    assert.throws(
      () => calendar.setDay(day),
      (error: unknown) => error instanceof InputError && message.test(error.message),
    );
  assert.equal(calendar.day, 9, "a refused day leaves the calendar where it was");
  assert.equal(new SimulatedCalendar(0).phase(), "experiment");
  for (const preDays of [-1, 1.5, Number.NaN])
    assert.throws(() => new SimulatedCalendar(preDays), /field "preDays": expected an integer >= 0/);
});

test("pre-period days route everyone to child 0 whatever the hash says; from day preDays on, sticky routing", async () => {
  assert.equal(HASHED_TO_CHALLENGER.length, 5);
  assert.equal(HASHED_TO_BASELINE.length, 5);
  await withCalendarServing(new SimulatedCalendar(PRE_DAYS), async (url, server) => {
    const users = [...HASHED_TO_CHALLENGER, ...HASHED_TO_BASELINE];
    for (let day = 0; day < PRE_DAYS; day++) {
      assert.deepEqual(await setSimulatedDay(url, day), { day, phase: "pre" });
      for (const userId of users) {
        const { json } = await postJson(`${url}/api/v1.0/predictions`, predictionRequest(userId, 10));
        assert.equal(json.meta.routing[ROUTER_NAME], 0, `user ${userId} on pre day ${day}`);
        assert.equal(json.meta.tags.model_name, "baseline");
      }
    }
    assert.deepEqual(await setSimulatedDay(url, PRE_DAYS), { day: PRE_DAYS, phase: "experiment" });
    for (const day of [PRE_DAYS, PRE_DAYS + 1]) {
      await setSimulatedDay(url, day);
      for (const userId of users) {
        const { json } = await postJson(`${url}/api/v1.0/predictions`, predictionRequest(userId, 10));
        assert.equal(json.meta.routing[ROUTER_NAME], stickyChild(userId), `user ${userId} on day ${day}`);
      }
    }

    const store = server.store!;
    const visits = store.visits();
    assert.equal(visits.length, users.length * (PRE_DAYS + 2));
    const pre = visits.slice(0, users.length * PRE_DAYS);
    assert.ok(pre.every((v) => v.phase === "pre" && v.variant === "baseline"));
    assert.deepEqual(
      pre.map((v) => v.day),
      [0, 1, 2].flatMap((day) => users.map(() => day)),
    );
    const experiment = visits.slice(users.length * PRE_DAYS);
    assert.ok(experiment.every((v) => v.phase === "experiment"));
    assert.deepEqual(
      experiment.map((v) => v.day),
      [3, 4].flatMap((day) => users.map(() => day)),
    );
    // Latency: from the parsed request to the model's answer, measured on every impression.
    for (const visit of visits)
      assert.ok(
        visit.latencyMs !== null && visit.latencyMs > 0 && visit.latencyMs < 1000,
        `${visit.latencyMs}`,
      );

    const counts = store.counts();
    assert.equal(counts.preDays, PRE_DAYS);
    assert.equal(counts.settings.pre_days, String(PRE_DAYS));
    assert.deepEqual(counts.prePeriod, { users: 10, impressions: 30, clicks: 0 });
    assert.deepEqual(counts.variants, [
      { variant: "baseline", users: 5, impressions: 10, clicks: 0, clickedUsers: 0 },
      { variant: "challenger", users: 5, impressions: 10, clicks: 0, clickedUsers: 0 },
    ]);
    assert.equal(counts.usersInSeveralVariants, 0);
    assert.deepEqual(
      counts.users.map((row) => [row.userId, row.variant, row.impressions, row.preImpressions, row.firstDay]),
      [...users]
        .sort((a, b) => a - b)
        .map((userId) => [userId, stickyChild(userId) === 0 ? "baseline" : "challenger", 2, 3, PRE_DAYS]),
    );
    // The sample-ratio alert's counter counts users randomised in the experiment: 5 per variant, once each, the
    // baseline's 5 included although the pre-period had already shown them the baseline.
    const exposition = (await server.metrics.exposition()).body;
    assert.equal(sample(exposition, "abrec_assignments_total", 'model_name="baseline"'), 5);
    assert.equal(sample(exposition, "abrec_assignments_total", 'model_name="challenger"'), 5);
    assert.equal(sample(exposition, "abrec_impressions_total", 'model_name="baseline"'), 40);
  });
});

test(`POST ${SIMULATED_DAY_PATH}: 200 with the day and phase, 400 for a bad or earlier day, nothing moved`, async () => {
  await withCalendarServing(new SimulatedCalendar(PRE_DAYS), async (url) => {
    const endpoint = `${url}${SIMULATED_DAY_PATH}`;
    assert.deepEqual(await postJson(endpoint, { day: 2 }), { status: 200, json: { day: 2, phase: "pre" } });
    assert.deepEqual(await postJson(endpoint, { day: 2 }), { status: 200, json: { day: 2, phase: "pre" } });
    const cases: [unknown, RegExp, boolean?][] = [
      [{ day: 1 }, /field "day": expected a day >= 2 \(the current day\), got 1/],
      [{ day: -1 }, /field "day": expected an integer day >= 0, got -1/],
      [{ day: 2.5 }, /field "day": expected an integer day >= 0, got 2.5/],
      [{ day: "3" }, /field "day".*got "3"/],
      [{}, /field "body": expected a JSON object \{"day": n\}/],
      [[3], /field "body"/],
      ["{day: 3", /body: not valid JSON/, true],
    ];
    for (const [body, message, raw] of cases) {
      const { status, json } = await postJson(endpoint, body, raw);
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(json.status.status, "FAILURE");
      assert.equal(json.status.reason, "BAD_REQUEST");
      assert.match(json.status.info, message);
    }
    await assert.rejects(
      setSimulatedDay(url, 0),
      (error: unknown) =>
        error instanceof Error &&
        error.message.includes(endpoint) &&
        /answered 400 to simulated day 0: field "day": expected a day >= 2/.test(error.message),
    );
    assert.deepEqual(await setSimulatedDay(url, 3), { day: 3, phase: "experiment" });
  });
});

test(`POST ${SIMULATED_DAY_PATH} on a router without a calendar: 404, and impressions carry no day`, async () => {
  await withCalendarServing(undefined, async (url, server) => {
    const { status, json } = await postJson(`${url}${SIMULATED_DAY_PATH}`, { day: 1 });
    assert.equal(status, 404);
    assert.equal(json.status.status, "FAILURE");
    assert.match(json.status.info, /no simulated calendar/);
    await assert.rejects(
      setSimulatedDay(url, 1),
      new RegExp(
        `router at ${url}${SIMULATED_DAY_PATH} answered 404 to simulated day 1: .*no simulated calendar`,
      ),
    );
    for (const userId of [...HASHED_TO_CHALLENGER, ...HASHED_TO_BASELINE]) {
      const { json: answer } = await postJson(`${url}/api/v1.0/predictions`, predictionRequest(userId, 5));
      assert.equal(answer.meta.routing[ROUTER_NAME], stickyChild(userId));
    }
    const visits = server.store!.visits();
    assert.ok(visits.every((v) => v.day === null && v.phase === "experiment" && v.latencyMs! > 0));
    const counts = server.store!.counts();
    assert.equal(counts.preDays, null);
    assert.equal(counts.settings.pre_days, undefined);
  });
});

test("setSimulatedDay names the URL when the router cannot be reached", async () => {
  await assert.rejects(
    setSimulatedDay("http://127.0.0.1:1", 4, 2000),
    /cannot set the simulated day to 4 at http:\/\/127\.0\.0\.1:1\/abrec\/v1\/simulated-day/,
  );
});
