import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { openEventStore } from "../../src/serving/event-store";
import { feedbackRequest, predictionRequest } from "../../src/serving/seldon";
import { type Json, postJson } from "../support/http";
import { killServingProcess, startServingProcess } from "../support/serving-process";

test("SIGKILL in the middle of traffic loses no acknowledged event and doubles none", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-crash-"));
  const eventsPath = path.join(dir, "events.sqlite");
  const first = await startServingProcess(eventsPath);
  const acknowledgedImpressions = new Map<string, Json>();
  const acknowledgedClicks = new Set<string>();
  let stop = false;
  let failures = 0;
  // Eight concurrent visitors: predict, then click the first card; each acknowledged answer is remembered.
  const visitor = async (id: number) => {
    for (let i = 0; !stop; i++) {
      try {
        const prediction = await postJson(
          `${first.url}/api/v1.0/predictions`,
          predictionRequest(1 + ((id * 97 + i) % 600), 10),
        );
        if (prediction.status !== 200) throw new Error(`status ${prediction.status}`);
        acknowledgedImpressions.set(prediction.json.meta.puid, prediction.json);
        if (i % 2 === 0) {
          const movieId = prediction.json.data.ndarray[0][0];
          const feedback = await postJson(
            `${first.url}/api/v1.0/feedback`,
            feedbackRequest(prediction.json, 1, movieId),
          );
          if (feedback.status === 200) acknowledgedClicks.add(prediction.json.meta.puid);
        }
      } catch {
        failures++;
        return; // the server is gone
      }
    }
  };
  const visitors = Array.from({ length: 8 }, (_, id) => visitor(id));
  while (acknowledgedImpressions.size < 400) await new Promise((resolve) => setTimeout(resolve, 20));
  await killServingProcess(first.child); // SIGKILL while the visitors are still sending
  stop = true;
  await Promise.all(visitors);
  assert.ok(failures > 0, "the kill happened in the middle of traffic");

  const second = await startServingProcess(eventsPath);
  try {
    // Retrying every acknowledged click after the restart is ignored (already stored), never double counted.
    for (const puid of acknowledgedClicks) {
      const response = acknowledgedImpressions.get(puid)!;
      const retry = await postJson(
        `${second.url}/api/v1.0/feedback`,
        feedbackRequest(response, 1, response.data.ndarray[0][0]),
      );
      assert.equal(retry.status, 200);
      assert.equal(retry.json.meta.tags.duplicate, true, puid);
    }
  } finally {
    await killServingProcess(second.child);
  }

  const db = new Database(eventsPath, { readonly: true });
  assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  db.close();
  const store = openEventStore(eventsPath, { readonly: true });
  const stored = new Map(store.requestIds().map((row) => [row.requestId, row]));
  for (const puid of acknowledgedImpressions.keys())
    assert.ok(stored.has(puid), `acknowledged impression ${puid} lost`);
  for (const puid of acknowledgedClicks)
    assert.equal(stored.get(puid)?.reward, 1, `acknowledged click ${puid} lost`);
  const sizes = store.tableSizes();
  // Only requests that were in flight at the kill may be stored without an acknowledgement (at most 8).
  assert.ok(sizes.impressions - acknowledgedImpressions.size <= 8, `${sizes.impressions} stored`);
  assert.equal(sizes.impression_items, 10 * sizes.impressions);
  assert.ok(sizes.feedback - acknowledgedClicks.size <= 8 && sizes.feedback >= acknowledgedClicks.size);
  const counts = store.counts();
  assert.equal(
    counts.variants.reduce((sum, row) => sum + row.impressions, 0),
    sizes.impressions,
  );
  assert.equal(
    counts.variants.reduce((sum, row) => sum + row.clicks, 0),
    sizes.feedback,
  );
  store.close();
});
