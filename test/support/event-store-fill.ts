/**
 * Fills a real event store (SQLite file) the way the router does under random routing: visits alternate between
 * the two variants, the first `clicks` visits of each variant click the movie at position 1, the others send
 * "no click" feedback or none (the browser sends none), users repeat.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EventStore } from "../../src/serving/event-store";

export const FILLED_SLATE = [101, 202, 303, 404];

/** `arms`: [variant, visits, clicks], control first. Returns the file. */
export function fillEventStore(arms: [string, number, number][], dir?: string): string {
  const folder = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "abrec-events-"));
  const file = path.join(folder, "events.sqlite");
  const store = EventStore.open(file);
  store.recordSetting("routing_mode", "random");
  arms.forEach(([variant], child) => store.recordSetting(`child_${child}`, variant));
  const done = arms.map(() => 0);
  let request = 0;
  const t0 = Date.UTC(2026, 10, 28, 12);
  while (done.some((n, i) => n < arms[i][1]))
    arms.forEach(([variant, visits, clicks], i) => {
      if (done[i] >= visits) return;
      const requestId = `req-${request}`;
      store.recordImpression({
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
        store.recordFeedback({
          requestId,
          reward: 1,
          movieId: FILLED_SLATE[1],
          receivedAtMs: t0 + 1000 * request + 500,
        });
      else if (request % 3 === 0) store.recordFeedback({ requestId, reward: 0 });
      done[i]++;
      request++;
    });
  store.close();
  return file;
}
