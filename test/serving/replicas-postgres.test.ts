/**
 * Three router replicas (separate processes, ../support/serving-child.ts) on one PostgreSQL event store under
 * concurrent traffic, one of them SIGKILLed mid-traffic and started again: what the deployment's StatefulSet of 3
 * relies on. Seeded visitors send each request to a replica drawn at random, so one user's predictions and
 * feedback reach several replicas; the audit reads the store back.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { freePort } from "../../src/core/ports";
import { DEFAULT_SEED, Random } from "../../src/core/random";
import { DEFAULT_RATIO_A, stickyUnit } from "../../src/serving/assignment";
import { openEventStoreReader } from "../../src/serving/event-store";
import { ROUTER_NAME, feedbackRequest, predictionRequest } from "../../src/serving/seldon";
import type { Json } from "../support/http";
import { startPostgres } from "../support/postgres";
import { testModels } from "../support/recommenders";
import { type ServingProcess, killServingProcess, startServingProcess } from "../support/serving-process";

const postgres = startPostgres();
postgres.catch(() => {}); // the test awaits it and fails with its message

const REPLICAS = 3;
const CLIENTS = 16;
const USERS = 200;
const K = 10;
/** Acknowledged predictions before the kill, while the victim is down, and from the restarted victim. */
const BEFORE_KILL = 700;
const WHILE_DOWN = 700;
const AFTER_RESTART = 300;
/** The replica that is killed and restarted. */
const VICTIM = 1;

/** The child (0 = baseline, 1 = challenger) the sticky hash gives `userId` under startServing's default routing. */
function stickyChild(userId: number): 0 | 1 {
  return stickyUnit(userId, DEFAULT_SEED) < DEFAULT_RATIO_A ? 0 : 1;
}

interface Replica {
  port: number;
  url: string;
  process: ServingProcess;
  /** Requests sent to this replica and not yet answered or failed. */
  inFlight: number;
  /** Requests to it that failed at the connection (refused, reset): never acknowledged. */
  connectionFailures: number;
  /** Predictions it answered 200 since its last start. */
  acknowledgedPredictions: number;
}

interface Answer {
  replica: number;
  status: number;
  json: Json;
  /** Replicas tried before this one that failed at the connection. */
  failedAttempts: number;
}

test(
  "three replicas on PostgreSQL, one SIGKILLed and restarted mid-traffic: nothing acknowledged lost or doubled, sticky across replicas",
  {
    timeout: 300_000,
  },
  async (t) => {
    const { url } = await postgres;
    const started: ServingProcess[] = [];
    const startReplica = async (port: number) => {
      const serving = await startServingProcess(url, port);
      started.push(serving);
      return serving;
    };
    t.after(() => Promise.all(started.map((serving) => killServingProcess(serving.child))));

    const ports = await Promise.all(Array.from({ length: REPLICAS }, () => freePort()));
    // Started together on the empty database: they race to create the tables (an advisory lock orders them).
    const replicas: Replica[] = await Promise.all(
      ports.map(async (port) => {
        const serving = await startReplica(port);
        return {
          port,
          url: serving.url,
          process: serving,
          inFlight: 0,
          connectionFailures: 0,
          acknowledgedPredictions: 0,
        };
      }),
    );

    /** Answers other than 200 (a failure of the test, with what the replica said). */
    const unexpected: string[] = [];
    /** Acknowledged predictions by puid: the user and the child that served. */
    const predictions = new Map<string, { userId: number; child: number }>();
    /** The replicas that answered each user's predictions. */
    const replicasOfUser = new Map<number, Set<number>>();
    /** Acknowledged feedback by puid: its reward. */
    const feedback = new Map<string, 0 | 1>();
    let repeatedFeedback = 0;
    let feedbackToAnotherReplica = 0;
    /** Feedback whose first answer was lost with the connection and whose retry found it stored ("duplicate"). */
    let feedbackStoredUnanswered = 0;

    /**
     * POSTs `body` to replica `first`, and on a connection failure (the replica is down) to the next ones in turn:
     * what a client behind a load balancer sees. Throws if every replica failed at the connection.
     */
    const post = async (first: number, route: string, body: unknown): Promise<Answer> => {
      for (let attempt = 0; attempt < REPLICAS; attempt++) {
        const index = (first + attempt) % REPLICAS;
        const replica = replicas[index];
        replica.inFlight++;
        let answer: { status: number; text: string };
        try {
          const response = await fetch(`${replica.url}${route}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          answer = { status: response.status, text: await response.text() };
        } catch {
          replica.connectionFailures++;
          continue;
        } finally {
          replica.inFlight--;
        }
        if (answer.status !== 200) unexpected.push(`${replica.url}${route}: ${answer.status} ${answer.text}`);
        return {
          replica: index,
          status: answer.status,
          json: JSON.parse(answer.text) as Json,
          failedAttempts: attempt,
        };
      }
      throw new Error(`no replica answered ${route}: ${replicas.map((replica) => replica.url).join(", ")}`);
    };

    let stop = false;
    // One visitor: a seeded user and replica per request, then no feedback, a click or a non-click, sometimes to
    // another replica, sometimes sent twice. Every draw is made whatever the answers, so the sequence is the seed's.
    const visitor = async (index: number) => {
      const random = new Random(DEFAULT_SEED + index);
      while (!stop) {
        const userId = 1 + random.int(USERS);
        const predictionReplica = random.int(REPLICAS);
        const kind = random.int(3); // 0: no feedback, 1: a click, 2: no click
        const clickedPosition = random.int(K);
        const feedbackReplica = random.int(REPLICAS);
        const repeatReplica = random.bernoulli(0.25) ? random.int(REPLICAS) : undefined;

        const prediction = await post(
          predictionReplica,
          "/api/v1.0/predictions",
          predictionRequest(userId, K),
        );
        if (prediction.status !== 200) continue;
        const puid = String(prediction.json.meta.puid);
        predictions.set(puid, { userId, child: prediction.json.meta.routing[ROUTER_NAME] as number });
        replicas[prediction.replica].acknowledgedPredictions++;
        if (!replicasOfUser.has(userId)) replicasOfUser.set(userId, new Set());
        replicasOfUser.get(userId)!.add(prediction.replica);
        if (kind === 0) continue;

        const reward = kind === 1 ? 1 : 0;
        const message = feedbackRequest(
          prediction.json,
          reward,
          prediction.json.data.ndarray[0][clickedPosition],
        );
        const answer = await post(feedbackReplica, "/api/v1.0/feedback", message);
        if (answer.status !== 200) continue;
        feedback.set(puid, reward);
        if (answer.replica !== prediction.replica) feedbackToAnotherReplica++;
        if (answer.json.meta.tags.duplicate === true) {
          // Only a retry after a lost answer may find its feedback already stored.
          if (answer.failedAttempts === 0) unexpected.push(`first feedback for ${puid} answered duplicate`);
          else feedbackStoredUnanswered++;
        }
        if (repeatReplica === undefined) continue;
        const repeat = await post(repeatReplica, "/api/v1.0/feedback", message);
        if (repeat.status !== 200) continue;
        repeatedFeedback++;
        if (repeat.json.meta.tags.duplicate !== true)
          unexpected.push(`repeated feedback for ${puid} at ${replicas[repeat.replica].url} not a duplicate`);
      }
    };
    const visitors = Array.from({ length: CLIENTS }, (_, index) => visitor(index));
    let visitorFailure: unknown;
    const visitorsDone = Promise.all(visitors);
    visitorsDone.catch((error: unknown) => (visitorFailure = error));
    /** Waits (polling the counters) until `condition` holds; fails at once if a visitor threw. */
    const until = async (condition: () => boolean) => {
      while (!condition()) {
        if (visitorFailure !== undefined) throw visitorFailure;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };

    const victim = replicas[VICTIM];
    let inFlightAtKill: number;
    let failuresWhileDown: number;
    try {
      await until(() => predictions.size >= BEFORE_KILL && victim.inFlight > 0);
      inFlightAtKill = victim.inFlight;
      await killServingProcess(victim.process.child);
      const acknowledgedAtKill = predictions.size;
      await until(() => predictions.size >= acknowledgedAtKill + WHILE_DOWN);
      failuresWhileDown = victim.connectionFailures;
      victim.process = await startReplica(victim.port);
      victim.acknowledgedPredictions = 0;
      await until(() => victim.acknowledgedPredictions >= AFTER_RESTART);
    } finally {
      stop = true; // also when a wait failed: the visitors end with their current request
      await visitorsDone.catch(() => {});
    }
    if (visitorFailure !== undefined) throw visitorFailure;

    assert.deepEqual(unexpected, [], "every answer is 200, and a duplicate only where one is expected");
    assert.ok(failuresWhileDown > 0, "the kill broke requests to the victim (it happened mid-traffic)");
    for (const [index, replica] of replicas.entries())
      if (index !== VICTIM) assert.equal(replica.connectionFailures, 0, `${replica.url} never failed`);
    assert.ok(repeatedFeedback > 0 && feedbackToAnotherReplica > 0, "the traffic had both kinds of feedback");

    const usersOnAllReplicas = [...replicasOfUser.values()].filter((set) => set.size === REPLICAS).length;
    assert.ok(usersOnAllReplicas > 0, "users' predictions were spread over the replicas");
    // Sticky routing is one hash of (salt, user): every replica, the restarted one too, answers the same child.
    for (const [puid, { userId, child }] of predictions)
      assert.equal(child, stickyChild(userId), `prediction ${puid} for user ${userId}`);

    const reader = await openEventStoreReader(url);
    try {
      const stored = await reader.requestIds();
      const byId = new Map(stored.map((row) => [row.requestId, row]));
      assert.equal(byId.size, stored.length, "no request id stored twice");
      for (const puid of predictions.keys())
        assert.ok(byId.has(puid), `acknowledged prediction ${puid} lost`);
      for (const [puid, reward] of feedback)
        assert.equal(byId.get(puid)?.reward, reward, `acknowledged feedback for ${puid}`);
      // A feedback is retried until a replica answers it, so every stored one was acknowledged, once.
      const storedFeedback = stored.filter((row) => row.reward !== null).length;
      assert.equal(storedFeedback, feedback.size, "stored feedback rows = acknowledged feedbacks");

      const sizes = await reader.tableSizes();
      const unacknowledged = sizes.impressions - predictions.size;
      // Stored but never answered: the victim committed them and died before replying (at most one per visitor).
      assert.ok(unacknowledged >= 0 && unacknowledged <= CLIENTS, `${sizes.impressions} impressions stored`);
      assert.equal(sizes.impression_items, K * sizes.impressions);
      assert.equal(sizes.feedback, feedback.size);

      const counts = await reader.counts();
      assert.equal(counts.usersInSeveralVariants, 0);
      const names = testModels().map((model) => model.name);
      for (const row of counts.users)
        assert.equal(row.variant, names[stickyChild(row.userId)], `user ${row.userId}'s stored variant`);
      assert.equal(sizes.assignments, counts.users.length, "one assignment per user");
      assert.equal(counts.settings.routing_seed, String(DEFAULT_SEED));

      t.diagnostic(
        `${predictions.size} predictions and ${feedback.size} feedbacks acknowledged (${repeatedFeedback} repeats ` +
          `answered duplicate, ${feedbackToAnotherReplica} to another replica than the prediction), ` +
          `${counts.users.length} users (${usersOnAllReplicas} served by all ${REPLICAS} replicas); victim: ${inFlightAtKill} requests in flight at the kill, ` +
          `${failuresWhileDown} connection failures, ${victim.acknowledgedPredictions} predictions after restart; ` +
          `${unacknowledged} impressions stored but unanswered, ${feedbackStoredUnanswered} feedbacks stored ` +
          `before their answer was lost`,
      );
    } finally {
      await reader.close();
    }
  },
);
