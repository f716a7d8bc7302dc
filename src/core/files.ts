/**
 * Atomic file output: everything the project writes appears complete or not at all, so an interrupted run never
 * leaves a half-written CSV, model or report that a later run would trust.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";

/** A temporary sibling path in the same directory (so the final rename stays on one file system). */
export function temporarySibling(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.tmp-${process.pid}-${crypto.randomUUID()}`,
  );
}

/** Writes `data` to `target` via a temporary file and rename. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

/** Writes JSON (2-space indented, trailing newline) atomically. */
export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Builds a whole directory atomically: `build` fills a temporary sibling directory, which then replaces `target`
 * in one rename (an existing `target` is moved aside first and removed after).
 */
export async function publishDirectoryAtomic(
  target: string,
  build: (tmpDir: string) => Promise<void> | void,
) {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  fs.mkdirSync(tmp);
  try {
    await build(tmp);
    const old = fs.existsSync(target) ? temporarySibling(target) : undefined;
    if (old) fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** SHA-256 of a file, hex, streamed (ratings.csv of ml-25m is ~680 MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
