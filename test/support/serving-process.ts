/**
 * Runs the serving tier in a child process (./serving-child.ts), so that a test can SIGKILL it in the middle of
 * traffic as a crash would, and start it again on the same event store.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";

export interface ServingProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** What the process wrote on stderr so far (the event store's messages, say). */
  stderr(): string;
}

/**
 * Starts `serving-child.ts` on the event store `eventsLocation` (an SQLite file or a `postgresql://` URL), on
 * `port` (0: a free one), and resolves once it listens. Rejects with its stderr if it exits first.
 *
 * @example
 * const replica = await startServingProcess(postgres.url, 0);
 * await postJson(`${replica.url}/api/v1.0/predictions`, predictionRequest(7, 10));
 * await killServingProcess(replica.child);
 */
export function startServingProcess(eventsLocation: string, port = 0): Promise<ServingProcess> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(PROJECT_ROOT, "test", "support", "serving-child.ts"),
      eventsLocation,
      String(port),
    ],
    { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  let stdout = "";
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      stdout += String(chunk);
      const match = /listening (\S+)\n/.exec(stdout);
      if (match) resolve({ child, url: match[1], stderr: () => stderr });
    });
    child.on("exit", (code, signal) =>
      reject(new Error(`serving child on ${eventsLocation} exited with ${code ?? signal}: ${stderr}`)),
    );
  });
}

/**
 * Sends SIGKILL to `child` (no shutdown: open connections break, nothing is flushed) and resolves once it has
 * exited; at once if it already had.
 *
 * @example
 * await killServingProcess(replica.child);
 */
export function killServingProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
