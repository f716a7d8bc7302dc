/**
 * A serving process for crash tests: `node --import tsx test/support/serving-child.ts EVENTS_PATH` starts the
 * all-in-one server with the test models on a free port and prints `listening <url>` on stdout.
 */
import { startServing } from "../../src/deployment/serve";
import { testModels } from "./recommenders";
import { testCatalog } from "./catalog";

startServing({
  role: "all",
  port: 0,
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
