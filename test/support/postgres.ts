/**
 * A real PostgreSQL server for a test file (src/deployment/postgres-server.ts), stopped after the file's tests.
 */
import { test } from "node:test";
import { type LocalPostgres, startLocalPostgres } from "../../src/deployment/postgres-server";

export type RunningPostgres = LocalPostgres;

/**
 * Starts a local cluster; `test.after` stops it (call it at the top level of a test file: the hook is registered
 * before the first await, on the file's root).
 *
 * @example
 * const postgres = startPostgres(); // at the top level
 * const store = await connectEventStore((await postgres).url); // ... stopped after the test file
 */
export async function startPostgres(): Promise<RunningPostgres> {
  let stop = () => {};
  test.after(() => stop());
  const server = await startLocalPostgres();
  stop = server.stop;
  return server;
}
