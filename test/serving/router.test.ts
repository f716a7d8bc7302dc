import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import express from "express";
import { type EventStore, openEventStore } from "../../src/serving/event-store";
import { ServingMetrics } from "../../src/serving/metrics";
import { ModelService, RemoteModel, createModelServerApp } from "../../src/serving/model-server";
import { RouterService, createRouterApp } from "../../src/serving/router";
import type { RoutingSettings } from "../../src/serving/assignment";
import { DEFAULT_K, ROUTER_NAME, feedbackRequest, predictionRequest } from "../../src/serving/seldon";
import { testModels } from "../support/recommenders";
import { type Json, listen, postJson } from "../support/http";
import { startTestServing } from "../support/serving";

function tempDb(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-router-")), "events.sqlite");
}

function inProcessRouter(routing: Partial<RoutingSettings> = {}) {
  const metrics = new ServingMetrics({ processMetrics: false });
  const [a, b] = testModels();
  const store = openEventStore(tempDb());
  const service = new RouterService({
    models: [new ModelService(a, metrics), new ModelService(b, metrics)],
    store,
    routing: { mode: "sticky", ratioA: 0.5, seed: 1, ...routing },
    metrics,
  });
  return { service, store, metrics };
}

async function withRouter<T>(
  routing: Partial<RoutingSettings>,
  body: (url: string, parts: ReturnType<typeof inProcessRouter>) => Promise<T>,
) {
  const parts = inProcessRouter(routing);
  const server = await listen(createRouterApp(parts.service, parts.metrics));
  try {
    return await body(server.url, parts);
  } finally {
    await server.close();
    parts.store.close();
  }
}

/**
 * The same, served by `startServing` (role all): the prediction and feedback requests take the fast path of
 * http.ts in front of Express, so the tests below run against both.
 */
async function withServing<T>(
  routing: Partial<RoutingSettings>,
  body: (url: string, parts: { store: EventStore; metrics: ServingMetrics }) => Promise<T>,
) {
  const { server } = await startTestServing({
    routing: { mode: "sticky", ratioA: 0.5, seed: 1, ...routing },
  });
  try {
    return await body(server.url, { store: server.store!, metrics: server.metrics });
  } finally {
    await server.close();
  }
}

const SERVERS = [
  ["Express router app", withRouter],
  ["startServing (fast path)", withServing],
] as const;

/** Value of a sample line `name{labels} value` in a Prometheus exposition (0 when absent). */
function sample(exposition: string, name: string, labels: string): number {
  const line = exposition.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

test("a prediction returns k movies with Seldon meta (puid, routing, requestPath, tags) and is stored", async () => {
  await withRouter({}, async (url, { store }) => {
    const { status, json } = await postJson(`${url}/api/v1.0/predictions`, predictionRequest(42, 10));
    assert.equal(status, 200);
    const movieIds = json.data.ndarray[0] as number[];
    assert.equal(movieIds.length, 10);
    assert.equal(new Set(movieIds).size, 10);
    const child = json.meta.routing[ROUTER_NAME] as number;
    const model = ["baseline", "challenger"][child];
    assert.equal(json.meta.tags.model_name, model);
    assert.equal(json.meta.tags.fallback, false);
    assert.match(json.meta.requestPath[model], new RegExp(`^abrec/${model}:test-`));
    assert.deepEqual(store.requestIds(), [{ requestId: json.meta.puid, variant: model, reward: null }]);
    assert.deepEqual(store.counts().variants, [
      { variant: model, users: 1, impressions: 1, clicks: 0, clickedUsers: 0 },
    ]);
  });
});

test("sticky routing: a user always gets the same model, and users split by ratioA (0.3, 2000 users, 4 SE)", async () => {
  const { service, store } = inProcessRouter({ mode: "sticky", ratioA: 0.3, seed: 99 });
  let toA = 0;
  const n = 2000;
  for (let userId = 1; userId <= n; userId++) {
    const first = (await service.recommend(userId, 5)).meta!.routing![ROUTER_NAME];
    const second = (await service.recommend(userId, 5)).meta!.routing![ROUTER_NAME];
    assert.equal(first, second, `user ${userId}`);
    if (first === 0) toA++;
  }
  // Binomial(2000, 0.3): SE of the share sqrt(0.3 * 0.7 / 2000) = 0.0102.
  assert.ok(Math.abs(toA / n - 0.3) < 4 * Math.sqrt((0.3 * 0.7) / n), `share to A ${toA / n}`);
  assert.equal(store.counts().usersInSeveralVariants, 0);
  store.close();
});

test("random routing (RANDOM_ABTEST): per-request draws, reproducible from the seed, split by ratioA", async () => {
  const draws = async (seed: number) => {
    const { service, store } = inProcessRouter({ mode: "random", ratioA: 0.5, seed });
    const children: number[] = [];
    for (let i = 0; i < 4000; i++) children.push((await service.recommend(7, 3)).meta!.routing![ROUTER_NAME]);
    const several = store.counts().usersInSeveralVariants;
    store.close();
    return { children, several };
  };
  const first = await draws(5);
  assert.deepEqual((await draws(5)).children, first.children);
  assert.notDeepEqual((await draws(6)).children, first.children);
  const share = first.children.filter((c) => c === 0).length / first.children.length;
  // Binomial(4000, 0.5): SE sqrt(0.25 / 4000) = 0.0079.
  assert.ok(Math.abs(share - 0.5) < 4 * Math.sqrt(0.25 / 4000), `share ${share}`);
  // The unit is the request: the same user saw both models.
  assert.equal(first.several, 1);
});

test("an unknown user gets the fallback, flagged in meta.tags and counted", async () => {
  await withRouter({}, async (url, { metrics }) => {
    const { json } = await postJson(`${url}/api/v1.0/predictions`, predictionRequest(999_999, 5));
    assert.equal(json.meta.tags.fallback, true);
    assert.equal(json.data.ndarray[0].length, 5);
    const exposition = (await metrics.exposition()).body;
    assert.equal(
      sample(exposition, "abrec_fallback_predictions_total", `model_name="${json.meta.tags.model_name}"`),
      1,
    );
  });
});

for (const [server, withServer] of SERVERS)
  test(`a request with only the user id, as a Seldon client sends it, gets the default 10 movies (${server})`, async () => {
    await withServer({}, async (url, { store }) => {
      const { status, json } = await postJson(`${url}/api/v1.0/predictions`, { data: { ndarray: [[1]] } });
      assert.equal(status, 200, JSON.stringify(json));
      assert.equal(json.data.ndarray[0].length, DEFAULT_K);
      assert.equal(DEFAULT_K, 10);
      assert.equal(
        store.counts().variants.reduce((n, v) => n + v.impressions, 0),
        1,
      );
    });
  });

for (const [server, withServer] of SERVERS)
  test(`malformed requests get 400 with a message naming the field, and store nothing (${server})`, async () => {
    await withServer({}, async (url, { store }) => {
      const cases: [unknown, RegExp, boolean?][] = [
        ["{not json", /body: not valid JSON/, true],
        [[1, 2], /field "body"/],
        [{}, /field "data"/],
        [{ data: { ndarray: [] } }, /field "data.ndarray"/],
        [{ data: { ndarray: [[1, 2, 3]] } }, /field "data.ndarray\[0\]"/],
        [{ data: { ndarray: [["42", 10]] } }, /field "data.ndarray\[0\]\[0\]".*positive integer/],
        [{ data: { ndarray: [[-3, 10]] } }, /field "data.ndarray\[0\]\[0\]"/],
        [{ data: { ndarray: [[42, 0]] } }, /field "data.ndarray\[0\]\[1\]".*1\.\.100/],
        [{ data: { ndarray: [[42, 101]] } }, /field "data.ndarray\[0\]\[1\]"/],
        [{ data: { ndarray: [[42, 2.5]] } }, /field "data.ndarray\[0\]\[1\]"/],
        [
          { data: { ndarray: [[42, 10]] }, pad: "x".repeat(20_000) },
          /body: larger than the limit of 16384 bytes/,
        ],
      ];
      for (const [body, message, raw] of cases) {
        const { status, json } = await postJson(`${url}/api/v1.0/predictions`, body, raw);
        assert.equal(status, 400, JSON.stringify(body).slice(0, 80));
        assert.equal(json.status.status, "FAILURE");
        assert.match(json.status.info, message);
      }
      const plain = await fetch(`${url}/api/v1.0/predictions`, { method: "POST", body: "user=1" });
      assert.equal(plain.status, 400);
      assert.equal(store.tableSizes().impressions, 0);
    });
  });

for (const [server, withServer] of SERVERS)
  test(`feedback is routed back by meta.routing, stored once, and duplicates are ignored not double counted (${server})`, async () => {
    await withServer({}, async (url, { store, metrics }) => {
      const { json: response } = await postJson(`${url}/api/v1.0/predictions`, predictionRequest(3, 10));
      const model = response.meta.tags.model_name as string;
      const clicked = response.data.ndarray[0][4] as number;
      const first = await postJson(`${url}/api/v1.0/feedback`, feedbackRequest(response, 1, clicked));
      assert.equal(first.status, 200);
      assert.deepEqual(first.json.meta.tags, {
        model_name: model,
        duplicate: false,
        position: 4,
        team: null,
      });
      const again = await postJson(`${url}/api/v1.0/feedback`, feedbackRequest(response, 1, clicked));
      assert.equal(again.status, 200);
      assert.equal(again.json.meta.tags.duplicate, true);
      assert.deepEqual(store.counts().variants, [
        { variant: model, users: 1, impressions: 1, clicks: 1, clickedUsers: 1 },
      ]);
      const exposition = (await metrics.exposition()).body;
      const label = `model_name="${model}"`;
      assert.equal(sample(exposition, "seldon_api_model_feedback_total", label), 1);
      assert.equal(sample(exposition, "seldon_api_model_feedback_reward_total", label), 1);
      assert.equal(sample(exposition, "abrec_clicks_total", label), 1);
      assert.equal(sample(exposition, "abrec_impressions_total", label), 1);
      assert.equal(sample(exposition, "abrec_feedback_duplicates_total", label), 1);
    });
  });

for (const [server, withServer] of SERVERS)
  test(`feedback for an unknown request, the wrong child, or a movie not shown is rejected with 400 (${server})`, async () => {
    await withServer({}, async (url, { store }) => {
      const { json: response } = await postJson(`${url}/api/v1.0/predictions`, predictionRequest(3, 10));
      const child = response.meta.routing[ROUTER_NAME] as number;
      const cases: [Json, RegExp][] = [
        [
          { response: { meta: { puid: "nope" } }, reward: 1, truth: { data: { ndarray: [[1]] } } },
          /response.meta.puid/,
        ],
        [{ ...feedbackRequest(response, 1, response.data.ndarray[0][0]), reward: 2 }, /field "reward"/],
        [{ response: response, reward: 1 }, /field "truth.data.ndarray"/],
        [{ response: {}, reward: 0 }, /field "response.meta"/],
        [
          feedbackRequest({ meta: { ...response.meta, routing: { [ROUTER_NAME]: 1 - child } } }, 0),
          /response.meta.routing.ab-router/,
        ],
        [feedbackRequest(response, 1, 987654), /field "truth".*movie 987654 was not shown/],
        [
          feedbackRequest(response, 1, response.data.ndarray[0][0], 3),
          /field "position".*shown at position 0/,
        ],
        [
          feedbackRequest(response, 1, response.data.ndarray[0][0], -1),
          /field "truth.data.ndarray\[0\]\[1\]"/,
        ],
      ];
      for (const [body, message] of cases) {
        const { status, json } = await postJson(`${url}/api/v1.0/feedback`, body);
        assert.equal(status, 400, JSON.stringify(body).slice(0, 100));
        assert.match(json.status.info, message);
      }
      assert.equal(store.tableSizes().feedback, 0);
    });
  });

test("health and metrics endpoints: ping, ready, and Seldon's metric names per model", async () => {
  await withRouter({}, async (url) => {
    assert.equal(await (await fetch(`${url}/health/ping`)).text(), "pong");
    assert.deepEqual(await (await fetch(`${url}/health/ready`)).json(), { ready: true });
    await postJson(`${url}/api/v1.0/predictions`, predictionRequest(1, 10));
    const response = await fetch(`${url}/metrics`);
    assert.match(response.headers.get("content-type") ?? "", /text\/plain/);
    const text = await response.text();
    for (const name of [
      "seldon_api_model_feedback_reward_total",
      "seldon_api_model_feedback_total",
      "seldon_api_executor_server_requests_seconds_bucket",
      "abrec_impressions_total",
      "abrec_router_ratio_a 0.5",
    ])
      assert.ok(text.includes(name), name);
    assert.match(
      text,
      /seldon_api_executor_server_requests_seconds_count\{service="predictions",code="200",model_name="(baseline|challenger)"\} 1/,
    );
  });
});

test("roles apart: a router over HTTP model servers gives the same answers, and model servers count feedback once", async () => {
  const [a, b] = testModels();
  const modelMetrics = [
    new ServingMetrics({ processMetrics: false }),
    new ServingMetrics({ processMetrics: false }),
  ];
  const servers = await Promise.all(
    [a, b].map((model, i) =>
      listen(createModelServerApp(new ModelService(model, modelMetrics[i]), modelMetrics[i])),
    ),
  );
  const metrics = new ServingMetrics({ processMetrics: false });
  const store = openEventStore(tempDb());
  const service = new RouterService({
    models: [new RemoteModel("baseline", servers[0].url), new RemoteModel("challenger", servers[1].url)],
    store,
    routing: { mode: "sticky", ratioA: 0.5, seed: 1 },
    metrics,
  });
  const router = await listen(createRouterApp(service, metrics));
  try {
    for (let userId = 1; userId <= 20; userId++) {
      const { json } = await postJson(`${router.url}/api/v1.0/predictions`, predictionRequest(userId, 10));
      const child = json.meta.routing[ROUTER_NAME] as number;
      assert.deepEqual(json.data.ndarray[0], [a, b][child].recommend(userId, 10).movieIds);
      await postJson(`${router.url}/api/v1.0/feedback`, feedbackRequest(json, 1, json.data.ndarray[0][0]));
      await postJson(`${router.url}/api/v1.0/feedback`, feedbackRequest(json, 1, json.data.ndarray[0][0]));
    }
    const counts = store.counts().variants;
    for (const [i, name] of ["baseline", "challenger"].entries()) {
      const clicks = counts.find((row) => row.variant === name)?.clicks ?? 0;
      const exposition = (await modelMetrics[i].exposition()).body;
      assert.equal(sample(exposition, "seldon_api_model_feedback_total", `model_name="${name}"`), clicks);
    }
    assert.equal(
      counts.reduce((sum, row) => sum + row.clicks, 0),
      20,
    );
    // A model server hit directly with a repeated feedback also counts it once.
    const direct = await postJson(`${servers[0].url}/api/v1.0/predictions`, predictionRequest(5, 3));
    await postJson(`${servers[0].url}/api/v1.0/feedback`, feedbackRequest(direct.json, 0));
    const repeat = await postJson(`${servers[0].url}/api/v1.0/feedback`, feedbackRequest(direct.json, 0));
    assert.equal(repeat.json.meta.tags.duplicate, true);
    assert.equal((await fetch(`${servers[0].url}/health/ready`)).status, 200);
  } finally {
    await router.close();
    await Promise.all(servers.map((s) => s.close()));
    store.close();
  }
});

test("the router app can be mounted beside other routes (the all-in-one server does this)", async () => {
  const parts = inProcessRouter();
  const app = express();
  app.get("/other", (_req, res) => {
    res.send("ok");
  });
  app.use(createRouterApp(parts.service, parts.metrics));
  const server = await listen(app);
  try {
    assert.equal(await (await fetch(`${server.url}/other`)).text(), "ok");
    assert.equal((await postJson(`${server.url}/api/v1.0/predictions`, predictionRequest(1, 1))).status, 200);
  } finally {
    await server.close();
    parts.store.close();
  }
});

test("a valid request the routed model fails to answer counts as that model's prediction error; a bad request does not", async () => {
  const metrics = new ServingMetrics({ processMetrics: false });
  const [a, b] = testModels();
  const store = openEventStore(tempDb());
  // Child 1 is a model server that is not running (nothing listens on port 1): a real connection failure.
  const service = new RouterService({
    models: [new ModelService(a, metrics), new RemoteModel(b.name, "http://127.0.0.1:1", 2000)],
    store,
    routing: { mode: "sticky", ratioA: 0, seed: 1 },
    metrics,
  });
  try {
    for (const userId of [1, 2, 3]) await assert.rejects(service.predict(predictionRequest(userId, 5)));
    await assert.rejects(service.predict({ data: { ndarray: [["not a user"]] } }), /ndarray|user/);
    assert.deepEqual(await metrics.experimentPredictionErrors(), { [b.name]: 3 });
    assert.equal(store.counts().variants.length, 0, "nothing stored for the failed requests");
  } finally {
    store.close();
  }
});
