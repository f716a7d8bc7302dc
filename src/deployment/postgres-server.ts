/**
 * Runs a local PostgreSQL server for the event store of several router replicas on one machine (the tests and
 * `npm run bench:serve`): Debian's PostgreSQL 15 binaries, a cluster initialised in a temporary folder, listening
 * on 127.0.0.1 on a free port, trust authentication for the user `abrec`, and a database `abrec`. As root,
 * PostgreSQL refuses to run: the folders are given to the `postgres` user and initdb/pg_ctl run as it
 * (`runuser -u postgres --`), as ../shared/ENVIRONMENT.md describes; as any other user they run directly.
 * A production deployment uses its own server (deploy/kubernetes: a StatefulSet, or an external DSN).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../core/ports";

/** Where Debian's postgresql package puts the server binaries (override with ABREC_PG_BIN). */
export const POSTGRES_BIN_DIR = process.env.ABREC_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface LocalPostgres {
  /** `postgresql://abrec@127.0.0.1:PORT/abrec`: no password (trust authentication on 127.0.0.1). */
  url: string;
  port: number;
  /** Stops the server (fast shutdown: open connections are closed) and deletes its folder. */
  stop(): void;
  /** Stops and starts the server again on the same port and data (the connections of the clients break). */
  restart(): void;
  /** Stops the server (fast shutdown) and keeps its data, for `start` to bring it back. */
  stopServer(): void;
  /** Starts a server stopped by `stopServer` on the same port and data. */
  startServer(): void;
}

function binary(name: string): string {
  const file = path.join(POSTGRES_BIN_DIR, name);
  if (!fs.existsSync(file))
    throw new Error(
      `PostgreSQL's ${name} not found at ${file}: install Debian's postgresql package ` +
        "(apt-get install -y --no-install-recommends postgresql) or set ABREC_PG_BIN to its bin folder",
    );
  return file;
}

/**
 * Initialises and starts a cluster; the caller stops it (`stop`). Throws an Error naming the binary or the
 * server log when PostgreSQL is missing or does not start.
 *
 * @example
 * const postgres = await startLocalPostgres();
 * const store = await connectEventStore(postgres.url);
 * // ...
 * await store.close();
 * postgres.stop();
 */
export async function startLocalPostgres(): Promise<LocalPostgres> {
  const [initdb, pgCtl, createdb] = [binary("initdb"), binary("pg_ctl"), binary("createdb")];
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-pg-"));
  const data = path.join(dir, "data");
  const run = path.join(dir, "run");
  fs.mkdirSync(data, { mode: 0o700 });
  fs.mkdirSync(run);
  if (asRoot) {
    // The temp folder is root's 0700: postgres must be able to enter it to reach its own folders.
    fs.chmodSync(dir, 0o755);
    execFileSync("chown", ["postgres:postgres", data, run]);
  }
  const runAsServer = (file: string, args: string[]) => {
    const [command, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", file, ...args]] : [file, args];
    try {
      execFileSync(command, argv, { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    } catch (error) {
      const log = fs.existsSync(path.join(run, "pg.log"))
        ? fs.readFileSync(path.join(run, "pg.log"), "utf8")
        : "";
      const stderr = String((error as { stderr?: Buffer }).stderr ?? "");
      throw new Error(
        `${path.basename(file)} ${args[0]} failed in ${dir}: ${stderr.trim()}\n${log.slice(-2000)}`,
        {
          cause: error,
        },
      );
    }
  };
  try {
    runAsServer(initdb, ["-D", data, "-A", "trust", "-U", "abrec", "--no-sync", "-E", "UTF8", "--locale=C"]);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const startServer = () =>
    runAsServer(pgCtl, [
      "start",
      "-D",
      data,
      "-w",
      "-l",
      path.join(run, "pg.log"),
      "-o",
      `-p ${port} -k ${run} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`,
    ]);
  const stopServer = () => runAsServer(pgCtl, ["stop", "-D", data, "-m", "fast", "-w"]);
  let running = false;
  const stop = () => {
    if (running) stopServer();
    running = false;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    startServer();
    running = true;
    // The database of the same name as the user: psql's and the URL's default.
    runAsServer(createdb, ["-h", "127.0.0.1", "-p", String(port), "-U", "abrec", "abrec"]);
  } catch (error) {
    stop();
    throw error;
  }
  return {
    url: `postgresql://abrec@127.0.0.1:${port}/abrec`,
    port,
    stop,
    restart: () => {
      stopServer();
      startServer();
    },
    stopServer: () => {
      stopServer();
      running = false;
    },
    startServer: () => {
      startServer();
      running = true;
    },
  };
}
