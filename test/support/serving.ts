/**
 * The whole serving tier (`startServing`, role all: router, site and /metrics on one port) over the test models
 * and catalogue, on a free port, with its event store in a new temporary folder: what the site, browser,
 * Prometheus and router tests start.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type RunningServer, type ServeOptions, startServing } from "../../src/deployment/serve";
import { testCatalog } from "./catalog";
import { testModels } from "./recommenders";

export interface TestServing {
  server: RunningServer;
  /** The temporary folder holding `events.sqlite` (tests may write more there, e.g. screenshots). */
  dir: string;
}

export async function startTestServing(overrides: Partial<ServeOptions> = {}): Promise<TestServing> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-serving-"));
  const server = await startServing({
    role: "all",
    port: 0,
    eventsPath: path.join(dir, "events.sqlite"),
    recommenders: testModels(),
    movies: testCatalog(),
    ...overrides,
  });
  return { server, dir };
}
