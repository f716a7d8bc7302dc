/**
 * A serving process for crash tests: `node --import tsx test/support/serving-child.ts EVENTS_LOCATION [PORT]`
 * starts the all-in-one server with the test models on the event store EVENTS_LOCATION (an SQLite file or a
 * `postgresql://` URL), on PORT (default 0: a free port), and prints `listening <url>` on stdout. Tests start
 * it with ./serving-process.ts.
 */
import { startServing } from "../../src/deployment/serve";
import { testModels } from "./recommenders";
import { testCatalog } from "./catalog";

startServing({
  role: "all",
  port: Number(process.argv[3] ?? 0),
  eventsPath: process.argv[2],
  recommenders: testModels(),
  movies: testCatalog(),
}).then(
  (server) => process.stdout.write(`listening ${server.url}\n`),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
