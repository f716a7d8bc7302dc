import { type TestContext, test } from "node:test";
import * as assert from "node:assert/strict";
import pg from "pg";
import { startServing } from "../../src/deployment/serve";
import { openEventStoreReader } from "../../src/serving/event-store";
import { feedbackRequest, predictionRequest } from "../../src/serving/seldon";
import type { Json } from "../support/http";
import { testModels } from "../support/recommenders";
import { testCatalog } from "../support/catalog";
import { startPostgres } from "../support/postgres";

/** One server for the file, stopped after it. */
const postgres = startPostgres();
postgres.catch(() => {});

/**
 * Longest wait for one answer: far above the pool's connection timeout, so a request that hangs on the dead
 * server fails the test instead of waiting forever (not a speed check).
 */
const ANSWER_DEADLINE_MS = 20_000;

interface Answer {
  status: number;
  json: Json;
  retryAfter: string | null;
}

async function post(url: string, body: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(ANSWER_DEADLINE_MS),
  });
  return {
    status: response.status,
    json: (await response.json()) as Json,
    retryAfter: response.headers.get("retry-after"),
  };
}

/** A prediction with a chunked body (no Content-Length): served by the Express app, not the fast path. */
async function chunkedPrediction(url: string): Promise<Answer> {
  const body = new Blob([JSON.stringify(predictionRequest(1, 5))]).stream();
  const response = await fetch(`${url}/api/v1.0/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    duplex: "half",
    signal: AbortSignal.timeout(ANSWER_DEADLINE_MS),
  } as RequestInit);
  return {
    status: response.status,
    json: (await response.json()) as Json,
    retryAfter: response.headers.get("retry-after"),
  };
}

async function readiness(url: string): Promise<number> {
  return (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(ANSWER_DEADLINE_MS) })).status;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * How the database goes away mid-traffic: `begin` once 200 predictions are acknowledged, `end` once 40 requests
 * got 503. `checksReadiness`: whether /health/ready must say 503 in between (a stopped server cannot answer it).
 */
interface Outage {
  begin(url: string): void;
  end(): Promise<void> | void;
  checksReadiness: boolean;
}

async function trafficThroughOutage(t: TestContext, url: string, outage: Outage): Promise<void> {
  const serving = await startServing({
    role: "all",
    port: 0,
    eventsPath: url,
    recommenders: testModels(),
    movies: testCatalog(),
  });
  /** Acknowledged predictions (puid) and feedback (puid -> reward). */
  const predicted = new Set<string>();
  const rewarded = new Map<string, 0 | 1>();
  /** Feedback answered 503: not acknowledged, possibly stored (an ambiguous commit). */
  const unacknowledgedFeedback = new Set<string>();
  const unavailable = { predictions: 0, feedback: 0 };
  const otherAnswers: string[] = [];
  const check503 = (answer: Answer, what: string) => {
    const { status } = answer.json;
    if (
      status?.code !== 503 ||
      status.reason !== "SERVICE_UNAVAILABLE" ||
      status.status !== "FAILURE" ||
      !/event store is unavailable.*retry/.test(status.info) ||
      answer.retryAfter === null
    )
      otherAnswers.push(`${what} 503 ${JSON.stringify(answer.json)} retry-after ${answer.retryAfter}`);
  };
  let stop = false;
  // Eight concurrent visitors: predict, then click the first movie or not; a 503 is retried after a pause.
  const visitor = async (id: number) => {
    for (let i = 0; !stop; i++) {
      const prediction = await post(
        `${serving.url}/api/v1.0/predictions`,
        predictionRequest(1 + ((id * 97 + i) % 300), 5),
      );
      if (prediction.status === 503) {
        unavailable.predictions++;
        check503(prediction, "prediction");
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (prediction.status !== 200) {
        otherAnswers.push(`prediction ${prediction.status} ${JSON.stringify(prediction.json)}`);
        continue;
      }
      const puid = prediction.json.meta.puid as string;
      predicted.add(puid);
      const reward = i % 2 === 0 ? 1 : 0;
      const movieId = prediction.json.data.ndarray[0][0] as number;
      const feedback = await post(
        `${serving.url}/api/v1.0/feedback`,
        reward === 1 ? feedbackRequest(prediction.json, 1, movieId) : feedbackRequest(prediction.json, 0),
      );
      if (feedback.status === 200) rewarded.set(puid, reward);
      else if (feedback.status === 503) {
        unavailable.feedback++;
        unacknowledgedFeedback.add(puid);
        check503(feedback, "feedback");
        await new Promise((resolve) => setTimeout(resolve, 50));
      } else otherAnswers.push(`feedback ${feedback.status} ${JSON.stringify(feedback.json)}`);
    }
  };
  let readyWhileDown: number;
  let readyAfter: number;
  let predictionErrors: number;
  const visitors = Array.from({ length: 8 }, (_, id) => visitor(id));
  try {
    assert.equal(await readiness(serving.url), 200);
    await until(() => predicted.size >= 200);
    const beforeOutage = predicted.size;
    outage.begin(url);
    await until(() => unavailable.predictions + unavailable.feedback >= 40);
    readyWhileDown = outage.checksReadiness ? await readiness(serving.url) : 503;
    if (outage.checksReadiness) {
      const throughExpress = await chunkedPrediction(serving.url);
      assert.equal(throughExpress.status, 503);
      unavailable.predictions++;
      check503(throughExpress, "prediction through Express");
    }
    await outage.end();
    const afterRestart = predicted.size;
    await until(() => predicted.size >= afterRestart + 200);
    readyAfter = await readiness(serving.url);
    stop = true;
    await Promise.all(visitors);
    t.diagnostic(
      `acknowledged ${beforeOutage} predictions before the outage, ${predicted.size} in all, ` +
        `${rewarded.size} feedback; 503: ${unavailable.predictions} predictions, ${unavailable.feedback} feedback`,
    );
    predictionErrors = (await serving.metrics.predictionErrors.get()).values.reduce(
      (sum, { value }) => sum + value,
      0,
    );
  } finally {
    stop = true;
    await Promise.allSettled(visitors);
    await serving.close();
  }
  assert.deepEqual(
    otherAnswers,
    [],
    "every request is answered 200 or a 503 with the Seldon failure message",
  );
  assert.ok(unavailable.predictions > 0, "predictions were refused while PostgreSQL was down");
  assert.equal(readyWhileDown, 503, "not ready while the database is unreachable");
  assert.equal(readyAfter, 200, "ready again once it is back");
  assert.equal(
    predictionErrors,
    unavailable.predictions,
    "every 503'd prediction counts as a prediction error",
  );

  const reader = await openEventStoreReader(url);
  let stored;
  try {
    stored = await reader.requestIds();
  } finally {
    await reader.close();
  }
  const storedById = new Map(stored.map((row) => [row.requestId, row]));
  assert.equal(storedById.size, stored.length, "one impression per request id");
  for (const puid of predicted) assert.ok(storedById.has(puid), `acknowledged prediction ${puid} is stored`);
  for (const [puid, reward] of rewarded)
    assert.equal(storedById.get(puid)?.reward, reward, `acknowledged feedback of ${puid} is stored`);
  // What was stored without being acknowledged: COMMITs whose connection broke before their answer.
  const unacknowledgedStoredPredictions = stored.filter((row) => !predicted.has(row.requestId)).length;
  const unacknowledgedStoredFeedback = [...unacknowledgedFeedback].filter(
    (puid) => storedById.get(puid)?.reward != null,
  ).length;
  t.diagnostic(
    `503'd writes stored anyway (ambiguous commits): ${unacknowledgedStoredPredictions} of ` +
      `${unavailable.predictions} predictions, ${unacknowledgedStoredFeedback} of ${unavailable.feedback} feedback`,
  );
  // A stored feedback belongs to a stored impression, so the feedback rows are those acknowledged plus those
  // of the ambiguous commits.
  assert.equal(
    stored.filter((row) => row.reward !== null).length,
    rewarded.size + unacknowledgedStoredFeedback,
  );
}

test("PostgreSQL stopped mid-traffic: requests meanwhile get 503, none is acknowledged unstored, and traffic resumes once it is back", async (t) => {
  const server = await postgres;
  await trafficThroughOutage(t, server.url, {
    // Fast shutdown: the open connections are terminated between the statements of their groups.
    begin: () => server.stopServer(),
    end: () => server.startServer(),
    checksReadiness: true,
  });
});

test("the router's connections terminated again and again mid-traffic, wherever they are in a group: none is acknowledged unstored", async (t) => {
  const server = await postgres;
  const database = `abrec_terminated`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  let terminating: Promise<void> | undefined;
  let terminated = 0;
  let running = true;
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    const url = server.url.replace(/\/abrec$/, `/${database}`);
    await trafficThroughOutage(t, url, {
      // Every few milliseconds the server ends the router's backends, wherever they are in a group.
      begin: () => {
        terminating = (async () => {
          while (running) {
            const result = await admin.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
              [database],
            );
            terminated += result.rowCount ?? 0;
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
        })();
      },
      end: async () => {
        running = false;
        await terminating;
      },
      checksReadiness: false,
    });
    t.diagnostic(`${terminated} backends terminated`);
    assert.ok(terminated > 0);
  } finally {
    running = false;
    await terminating;
    await admin.end();
  }
});
