/**
 * The router's interleave, thompson and epsilon-greedy modes, served by `startServing` (role all) on 127.0.0.1
 * over a real SQLite store in a temporary folder: the Seldon messages, what the store records, the credit and
 * bandit metrics, the bandit state across a restart, and the pre-period.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { Random } from "../../src/core/random";
import type { RunningServer } from "../../src/deployment/serve";
import type { RoutingSettings } from "../../src/serving/assignment";
import { INTERLEAVED_VARIANT, openEventStore } from "../../src/serving/event-store";
import { setSimulatedDay } from "../../src/serving/router";
import {
  ALL_CHILDREN_ROUTE,
  ROUTER_NAME,
  feedbackRequest,
  predictionRequest,
} from "../../src/serving/seldon";
import { SimulatedCalendar } from "../../src/serving/simulated-calendar";
import {
  type BanditArm,
  epsilonGreedySelectionProbability,
  thompsonSelectionProbability,
} from "../../src/stats/bandits";
import { teamDraftInterleave } from "../../src/stats/interleaving";
import { type Json, postJson } from "../support/http";
import { testModels } from "../support/recommenders";
import { startTestServing } from "../support/serving";

const SEED = 5;
const [BASELINE, CHALLENGER] = testModels();
const NAMES = [BASELINE.name, CHALLENGER.name];

async function withServing<T>(
  routing: Partial<RoutingSettings>,
  body: (server: RunningServer, dir: string) => Promise<T>,
  calendar?: SimulatedCalendar,
): Promise<T> {
  const { server, dir } = await startTestServing({
    routing: { mode: "sticky", ratioA: 0.5, seed: SEED, ...routing },
    calendar,
  });
  try {
    return await body(server, dir);
  } finally {
    await server.close();
  }
}

/** Value of `name{labels}` in a Prometheus exposition (undefined when absent). */
async function sample(server: RunningServer, name: string, labels: string): Promise<number | undefined> {
  const exposition = (await server.metrics.exposition()).body;
  const line = exposition.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(" ").pop());
}

const predict = async (server: RunningServer, userId: number, k = 10): Promise<Json> => {
  const { status, json } = await postJson(`${server.url}/api/v1.0/predictions`, predictionRequest(userId, k));
  assert.equal(status, 200, JSON.stringify(json));
  return json;
};

const feedback = async (server: RunningServer, body: unknown): Promise<Json> => {
  const { status, json } = await postJson(`${server.url}/api/v1.0/feedback`, body);
  assert.equal(status, 200, JSON.stringify(json));
  return json;
};

test("interleave: a valid Seldon message, the slate team draft gives with the router's seeded coins", async () => {
  await withServing({ mode: "interleave" }, async (server) => {
    const random = new Random(SEED);
    for (const userId of [5, 17, 240]) {
      const json = await predict(server, userId);
      const a = BASELINE.recommend(userId, 10).movieIds;
      const b = CHALLENGER.recommend(userId, 10).movieIds;
      // The router's stream is one seeded Random: request i sees the coins of call i.
      const expected = teamDraftInterleave(a, b, 10, random);
      const movieIds = json.data.ndarray[0] as number[];
      const teams = json.meta.tags.teams as string[];
      assert.deepEqual(movieIds, expected.movieIds);
      assert.deepEqual(
        teams,
        expected.teams.map((team) => NAMES[team]),
      );
      assert.equal(json.meta.tags.model_name, INTERLEAVED_VARIANT);
      assert.equal(INTERLEAVED_VARIANT, "interleaved");
      assert.equal(json.meta.tags.model_version, "baseline:test-b1+challenger:test-c1");
      assert.equal(json.meta.tags.fallback, false);
      assert.deepEqual(json.meta.routing, { [ROUTER_NAME]: ALL_CHILDREN_ROUTE });
      assert.deepEqual(json.meta.requestPath, {
        baseline: "abrec/baseline:test-b1",
        challenger: "abrec/challenger:test-c1",
      });
      assert.equal(typeof json.meta.puid, "string");
      assert.deepEqual(json.data.names, ["movieIds"]);
      // Team draft: each round of two slots has one pick of each team (both lists are longer than the slate) ...
      for (let r = 0; r < 10; r += 2)
        assert.notEqual(teams[r], teams[r + 1], `user ${userId} round ${r / 2}`);
      // ... and each team's movies are its own list's prefix without the movies the other team already took.
      const taken = new Set<number>();
      const prefixLength = [0, 0];
      movieIds.forEach((movieId, slot) => {
        const team = NAMES.indexOf(teams[slot]);
        const ranking = [a, b][team];
        while (taken.has(ranking[prefixLength[team]])) prefixLength[team]++;
        assert.equal(movieId, ranking[prefixLength[team]], `user ${userId} slot ${slot}`);
        taken.add(movieId);
      });
      assert.equal(new Set(movieIds).size, 10);
      // So the slate is the union of the two top-k prefixes down to each team's last pick.
      const prefix = (ranking: number[], team: string) =>
        ranking.slice(
          0,
          1 + Math.max(...movieIds.filter((_, s) => teams[s] === team).map((m) => ranking.indexOf(m))),
        );
      assert.deepEqual(
        [...movieIds].sort((x, y) => x - y),
        [...new Set([...prefix(a, "baseline"), ...prefix(b, "challenger")])].sort((x, y) => x - y),
      );
    }
  });
});

test("interleave: the store records each slot's team; a click credits the clicked movie's team, a reward 0 no one", async () => {
  await withServing({ mode: "interleave" }, async (server, dir) => {
    const clickedSlate = await predict(server, 5);
    const quietSlate = await predict(server, 5);
    const otherUser = await predict(server, 9);
    const teams = clickedSlate.meta.tags.teams as string[];
    const slot = teams.indexOf("challenger");
    const movieId = clickedSlate.data.ndarray[0][slot] as number;
    const credited = await feedback(server, feedbackRequest(clickedSlate, 1, movieId, slot));
    assert.deepEqual(credited.meta.tags, {
      model_name: INTERLEAVED_VARIANT,
      duplicate: false,
      position: slot,
      team: "challenger",
    });
    const none = await feedback(server, feedbackRequest(quietSlate, 0));
    assert.equal(none.meta.tags.team, null);
    const baselineSlot = (otherUser.meta.tags.teams as string[]).indexOf("baseline");
    await feedback(server, feedbackRequest(otherUser, 1, otherUser.data.ndarray[0][baselineSlot]));
    // A repeated click is a duplicate: no second credit.
    const again = await feedback(server, feedbackRequest(clickedSlate, 1, movieId));
    assert.equal(again.meta.tags.duplicate, true);

    const db = new Database(path.join(dir, "events.sqlite"), { readonly: true });
    const stored = db
      .prepare("SELECT team FROM impression_items WHERE request_id = ? ORDER BY position")
      .all(clickedSlate.meta.puid) as { team: string }[];
    db.close();
    assert.deepEqual(
      stored.map((row) => row.team),
      teams,
    );
    const store = server.store!;
    const counts = store.counts();
    assert.deepEqual(counts.interleaving, [
      { userId: 5, wins: { baseline: 0, challenger: 1 }, ties: 1 },
      { userId: 9, wins: { baseline: 1, challenger: 0 }, ties: 0 },
    ]);
    assert.deepEqual(counts.variants, [
      { variant: INTERLEAVED_VARIANT, users: 2, impressions: 3, clicks: 2, clickedUsers: 2 },
    ]);
    assert.equal(counts.settings.routing_mode, "interleave");
    const visits = store.visits();
    assert.deepEqual(
      visits.map((visit) => [visit.variant, visit.clickedTeam, visit.propensity]),
      [
        [INTERLEAVED_VARIANT, "challenger", null],
        [INTERLEAVED_VARIANT, null, null],
        [INTERLEAVED_VARIANT, "baseline", null],
      ],
    );
    for (const [model, credit] of [
      ["baseline", 1],
      ["challenger", 1],
    ] as const) {
      const label = `model_name="${model}"`;
      assert.equal(await sample(server, "abrec_interleaving_credit_total", label), credit, model);
      // Only the credited model hears of a click; nobody hears of the reward 0.
      assert.equal(await sample(server, "seldon_api_model_feedback_total", label), credit, model);
      assert.equal(await sample(server, "seldon_api_model_feedback_reward_total", label), credit, model);
    }
    const interleaved = `model_name="${INTERLEAVED_VARIANT}"`;
    assert.equal(await sample(server, "abrec_impressions_total", interleaved), 3);
    assert.equal(await sample(server, "abrec_clicks_total", interleaved), 2);
    assert.equal(await sample(server, "abrec_feedback_duplicates_total", interleaved), 1);
    // No fixed split to watch: the sample-ratio-mismatch rule's ratio is NaN (prom-client writes "Nan").
    assert.match((await server.metrics.exposition()).body, /^abrec_router_ratio_a NaN$/im);
  });
});

test("interleave: feedback naming one child for an interleaved slate is rejected", async () => {
  await withServing({ mode: "interleave" }, async (server) => {
    const slate = await predict(server, 3);
    const body = feedbackRequest({ meta: { ...slate.meta, routing: { [ROUTER_NAME]: 0 } } }, 0);
    const { status, json } = await postJson(`${server.url}/api/v1.0/feedback`, body);
    assert.equal(status, 400);
    assert.match(json.status.info, /response.meta.routing.ab-router.*served by child -1 \(interleaved\)/);
  });
});

/**
 * Sends `requests` sequential requests (user ids cycling over 1..200), each followed by its feedback: a click on
 * the first movie with probability `ctr[child]`, else a reward 0.
 */
async function banditTraffic(server: RunningServer, requests: number, ctr: readonly [number, number]) {
  const random = new Random(77);
  const children: number[] = [];
  for (let i = 0; i < requests; i++) {
    const json = await predict(server, (i % 200) + 1);
    const child = json.meta.routing[ROUTER_NAME] as 0 | 1;
    children.push(child);
    const clicked = random.bernoulli(ctr[child]);
    await feedback(server, feedbackRequest(json, clicked ? 1 : 0, json.data.ndarray[0][0]));
  }
  return children;
}

for (const mode of ["thompson", "epsilon-greedy"] as const)
  test(`${mode}: the router prefers the better model after feedback; each propensity is the policy's probability`, async () => {
    await withServing({ mode, epsilon: 0.1 }, async (server) => {
      const children = await banditTraffic(server, 300, [0.05, 0.4]);
      const lastHundred = children.slice(-100).filter((child) => child === 1).length;
      // Thompson: P(challenger better) is ~1 after ~100 pulls at 5% vs 40%; epsilon-greedy: 0.9 once greedy.
      assert.ok(lastHundred >= 80, `challenger served ${lastHundred} of the last 100`);
      const store = server.store!;
      const visits = store.visits();
      assert.equal(visits.length, 300);
      // Replay the state each request saw (feedback always came before the next request).
      const arms: BanditArm[] = [
        { pulls: 0, rewards: 0 },
        { pulls: 0, rewards: 0 },
      ];
      for (const visit of visits) {
        const child = NAMES.indexOf(visit.variant);
        const probabilities =
          mode === "thompson"
            ? thompsonSelectionProbability(arms)
            : epsilonGreedySelectionProbability(arms, 0.1);
        assert.ok(visit.propensity !== null && Math.abs(visit.propensity - probabilities[child]) < 1e-12);
        arms[child] = { pulls: arms[child].pulls + 1, rewards: arms[child].rewards + visit.clicked };
      }
      assert.deepEqual(server.router!.banditArms(), arms);
      const counts = store.counts();
      assert.deepEqual(
        counts.variants.map((row) => [row.impressions, row.clicks]),
        arms.map((arm) => [arm.pulls, arm.rewards]),
      );
      assert.equal(counts.settings.routing_mode, mode);
      const final =
        mode === "thompson"
          ? thompsonSelectionProbability(arms)
          : epsilonGreedySelectionProbability(arms, 0.1);
      // The gauge holds the probabilities of the latest choice, made in the state before the last impression.
      const last = visits.at(-1)!;
      const before = arms.map((arm, child) =>
        child === NAMES.indexOf(last.variant)
          ? { pulls: arm.pulls - 1, rewards: arm.rewards - last.clicked }
          : arm,
      );
      const shown =
        mode === "thompson"
          ? thompsonSelectionProbability(before)
          : epsilonGreedySelectionProbability(before, 0.1);
      for (const [child, name] of NAMES.entries()) {
        const gauge = await sample(server, "abrec_bandit_selection_probability", `model_name="${name}"`);
        assert.ok(Math.abs(gauge! - shown[child]) < 1e-12, `${name} gauge ${gauge} vs ${shown[child]}`);
      }
      assert.ok(final[1] > 0.85, `P(challenger) ${final[1]}`);
    });
  });

test("thompson: the bandit state survives a restart (rebuilt from the event store)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-bandit-restart-"));
  const eventsPath = path.join(dir, "events.sqlite");
  const routing: RoutingSettings = { mode: "thompson", ratioA: 0.5, seed: SEED };
  const first = await startTestServing({ routing, eventsPath });
  let before: BanditArm[] | undefined;
  try {
    await banditTraffic(first.server, 60, [0.1, 0.3]);
    before = first.server.router!.banditArms();
  } finally {
    await first.server.close();
  }
  assert.ok(before && before[0].pulls + before[1].pulls === 60);
  assert.ok(before[0].rewards + before[1].rewards > 0);
  const second = await startTestServing({ routing, eventsPath });
  try {
    assert.deepEqual(second.server.router!.banditArms(), before);
    // At start-up the gauge shows the rebuilt state's probabilities.
    const expected = thompsonSelectionProbability(before);
    for (const [child, name] of NAMES.entries()) {
      const gauge = await sample(second.server, "abrec_bandit_selection_probability", `model_name="${name}"`);
      assert.ok(Math.abs(gauge! - expected[child]) < 1e-12, name);
    }
    // And it goes on learning from there.
    await banditTraffic(second.server, 1, [0, 0]);
    const after = second.server.router!.banditArms()!;
    assert.equal(after[0].pulls + after[1].pulls, 61);
  } finally {
    await second.server.close();
  }
});

test("sticky and random routing store propensity ratioA for child 0 and 1 - ratioA for child 1", async () => {
  for (const mode of ["sticky", "random"] as const)
    await withServing({ mode, ratioA: 0.3 }, async (server) => {
      for (let userId = 1; userId <= 40; userId++) await predict(server, userId);
      const visits = server.store!.visits();
      assert.ok(new Set(visits.map((visit) => visit.variant)).size === 2, mode);
      for (const visit of visits)
        assert.equal(visit.propensity, visit.variant === "baseline" ? 0.3 : 0.7, `${mode} ${visit.variant}`);
      assert.equal(server.router!.banditArms(), undefined);
    });
});

for (const mode of ["interleave", "thompson", "epsilon-greedy"] as const)
  test(`${mode}: the calendar's pre-period sends everyone to child 0, with no propensity and no bandit pull`, async () => {
    await withServing(
      { mode },
      async (server) => {
        for (let userId = 1; userId <= 12; userId++) {
          const json = await predict(server, userId);
          assert.equal(json.meta.routing[ROUTER_NAME], 0);
          assert.equal(json.meta.tags.model_name, "baseline");
          assert.equal(json.meta.tags.teams, undefined);
          await feedback(server, feedbackRequest(json, 1, json.data.ndarray[0][0]));
        }
        assert.deepEqual(
          server.router!.banditArms(),
          mode === "interleave"
            ? undefined
            : [
                { pulls: 0, rewards: 0 },
                { pulls: 0, rewards: 0 },
              ],
        );
        await setSimulatedDay(server.url, 2);
        const json = await predict(server, 1);
        if (mode === "interleave") assert.equal(json.meta.tags.model_name, INTERLEAVED_VARIANT);
        else {
          // The experiment's first feedback is the bandit's first try (Seldon counts tries on feedback).
          await feedback(server, feedbackRequest(json, 0));
          assert.deepEqual(
            server.router!.banditArms()!.map((arm) => arm.pulls),
            json.meta.routing[ROUTER_NAME] === 0 ? [1, 0] : [0, 1],
          );
        }
        const visits = server.store!.visits();
        assert.deepEqual(
          visits
            .slice(0, 12)
            .map((visit) => [visit.phase, visit.variant, visit.propensity, visit.clickedTeam]),
          Array(12).fill(["pre", "baseline", null, null]),
        );
        assert.equal(visits[12].phase, "experiment");
        assert.equal(server.store!.counts().prePeriod.clicks, 12);
      },
      new SimulatedCalendar(2),
    );
  });

test("epsilon outside [0, 1] is refused naming the field", async () => {
  await assert.rejects(
    startTestServing({ routing: { mode: "epsilon-greedy", ratioA: 0.5, seed: 1, epsilon: 1.5 } }),
    /field "epsilon".*\[0, 1\], got 1.5/,
  );
});

test("the store checks an impression's teams and propensity", async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-teams-")), "events.sqlite");
  const store = openEventStore(file);
  const event = {
    requestId: "r1",
    userId: 1,
    variant: INTERLEAVED_VARIANT,
    modelVersion: "v",
    fallback: false,
    movieIds: [4, 5, 6],
    routingMode: "interleave" as const,
  };
  try {
    await assert.rejects(
      store.enqueueImpression({ ...event, teams: ["baseline", "challenger"] }),
      /field "teams": expected one team per movie \(3\), got 2 in request "r1"/,
    );
    await assert.rejects(
      store.enqueueImpression({ ...event, variant: "baseline", routingMode: "thompson", propensity: 1.5 }),
      /field "propensity": expected a probability in \[0, 1\], got 1.5/,
    );
    await store.enqueueImpression({ ...event, teams: ["baseline", "challenger", "challenger"] });
    assert.deepEqual(await store.enqueueFeedback({ requestId: "r1", reward: 1, movieId: 6 }), {
      status: "recorded",
      variant: INTERLEAVED_VARIANT,
      position: 2,
      phase: "experiment",
      team: "challenger",
    });
  } finally {
    store.close();
  }
});
