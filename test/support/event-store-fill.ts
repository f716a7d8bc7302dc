/**
 * Fills a real event store (SQLite file) the way the router does under random routing: visits alternate between
 * the two variants, the first `clicks` visits of each variant click the movie at position 1, the others send
 * "no click" feedback or none (the browser sends none), users repeat. Written through the router's own API (group
 * commits): all impressions in serving order, then their feedback.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type FeedbackEvent, type ImpressionEvent, openEventStore } from "../../src/serving/event-store";

export const FILLED_SLATE = [101, 202, 303, 404];

/** `arms`: [variant, visits, clicks], control first. Resolves with the file. */
export async function fillEventStore(arms: [string, number, number][], dir?: string): Promise<string> {
  const folder = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "abrec-events-"));
  const file = path.join(folder, "events.sqlite");
  const impressions: ImpressionEvent[] = [];
  const feedback: FeedbackEvent[] = [];
  const done = arms.map(() => 0);
  let request = 0;
  const t0 = Date.UTC(2026, 10, 28, 12);
  while (done.some((n, i) => n < arms[i][1]))
    arms.forEach(([variant, visits, clicks], i) => {
      if (done[i] >= visits) return;
      const requestId = `req-${request}`;
      impressions.push({
        requestId,
        userId: 1 + (request % 97),
        variant,
        modelVersion: `${variant}-v1`,
        fallback: false,
        movieIds: FILLED_SLATE,
        routingMode: "random",
        shownAtMs: t0 + 1000 * request,
      });
      if (done[i] < clicks)
        feedback.push({
          requestId,
          reward: 1,
          movieId: FILLED_SLATE[1],
          receivedAtMs: t0 + 1000 * request + 500,
        });
      else if (request % 3 === 0) feedback.push({ requestId, reward: 0 });
      done[i]++;
      request++;
    });
  const store = openEventStore(file);
  try {
    store.recordSetting("routing_mode", "random");
    arms.forEach(([variant], child) => store.recordSetting(`child_${child}`, variant));
    await Promise.all(impressions.map((event) => store.enqueueImpression(event)));
    await Promise.all(feedback.map((event) => store.enqueueFeedback(event)));
  } finally {
    store.close();
  }
  return file;
}
