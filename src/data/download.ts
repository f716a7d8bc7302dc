/**
 * Downloading a MovieLens release from GroupLens: the zip is streamed to a temporary file (with progress), its
 * MD5 checked against the `<name>.zip.md5` GroupLens publishes beside every zip, and its files unpacked
 * (streaming, so ml-25m's 1 GB of CSVs never sits in memory) into a folder that appears only when complete.
 * A failed download or a checksum mismatch leaves nothing behind.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Unzip, UnzipInflate } from "fflate";
import { InputError } from "../core/errors";
import { publishDirectoryAtomic, temporarySibling } from "../core/files";
import { createProgress } from "../core/progress";
import { MOVIELENS_CSV_HEADERS } from "./movielens";

/** Where GroupLens publishes the MovieLens zips (`<base>/<name>.zip` and `<base>/<name>.zip.md5`). */
export const GROUPLENS_BASE_URL = "https://files.grouplens.org/datasets/movielens";

export interface DownloadOptions {
  /** Release name, e.g. "ml-latest-small" (the zip's name and its top folder). */
  name: string;
  /** Folder to create with the unpacked files (e.g. data/ml-latest-small). */
  targetDir: string;
  /** Defaults to GROUPLENS_BASE_URL; tests point it at a local server. */
  baseUrl?: string;
  quiet?: boolean;
}

/**
 * The MD5 in a GroupLens `.md5` file: accepts both "d41d8cd9..." and "MD5 (ml-25m.zip) = d41d8cd9..." forms.
 *
 * @example
 * parseMd5File("MD5 (ml-25m.zip) = 6b51fb2759a8657d3bfcbfc42b592ada\n"); // => "6b51fb2759a8657d3bfcbfc42b592ada"
 */
export function parseMd5File(text: string, source = "md5 file"): string {
  const match = /\b([0-9a-f]{32})\b/i.exec(text);
  if (!match)
    throw new InputError(`expected an MD5 checksum (32 hex digits), found "${text.slice(0, 80)}"`, {
      file: source,
    });
  return match[1].toLowerCase();
}

async function fetchOk(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new InputError(
      `download failed: ${error instanceof Error ? (error.cause ?? error.message) : error}`,
      {
        file: url,
      },
    );
  }
  if (!response.ok || !response.body)
    throw new InputError(`download failed: HTTP ${response.status} ${response.statusText}`, { file: url });
  return response;
}

/** Streams `url` into `file`, returning the MD5 of what was written. */
async function downloadTo(url: string, file: string, quiet: boolean | undefined): Promise<string> {
  const response = await fetchOk(url);
  const total = Number(response.headers.get("content-length") ?? 0);
  const progress = createProgress({ label: `download ${path.basename(url)}`, total, unit: "bytes", quiet });
  const hash = crypto.createHash("md5");
  const fd = fs.openSync(file, "w");
  let done = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      fs.writeSync(fd, chunk);
      done += chunk.length;
      progress.update(done);
    }
  } finally {
    fs.closeSync(fd);
    progress.stop();
  }
  return hash.digest("hex");
}

/**
 * Unpacks the files under `<prefix>/` of a zip into `dir` (prefix stripped), streaming. Entries outside the
 * prefix, folders and unsafe paths are skipped.
 */
export async function unpackZip(zipFile: string, prefix: string, dir: string): Promise<string[]> {
  const written: string[] = [];
  const open = new Set<number>();
  let failure: unknown;
  const unzip = new Unzip((entry) => {
    const relative = entry.name.startsWith(`${prefix}/`) ? entry.name.slice(prefix.length + 1) : "";
    if (
      !relative ||
      relative.endsWith("/") ||
      relative.split("/").includes("..") ||
      path.isAbsolute(relative)
    )
      return;
    const target = path.join(dir, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const fd = fs.openSync(target, "w");
    open.add(fd);
    written.push(relative);
    entry.ondata = (error, data, final) => {
      if (error) failure ??= error;
      else fs.writeSync(fd, data);
      if (error || final) {
        fs.closeSync(fd);
        open.delete(fd);
      }
    };
    entry.start();
  });
  unzip.register(UnzipInflate);
  try {
    for await (const chunk of fs.createReadStream(zipFile)) unzip.push(chunk as Buffer);
    unzip.push(new Uint8Array(0), true);
  } catch (error) {
    failure ??= error;
  } finally {
    for (const fd of open) fs.closeSync(fd);
  }
  if (failure || open.size > 0)
    throw new InputError(
      `not a valid zip archive: ${failure instanceof Error ? failure.message : "truncated"}`,
      {
        file: zipFile,
      },
    );
  return written;
}

/**
 * Downloads `<baseUrl>/<name>.zip`, verifies it against `<baseUrl>/<name>.zip.md5`, and unpacks its `<name>/`
 * folder into `targetDir` atomically. Returns the files unpacked.
 *
 * @throws InputError when `targetDir` exists and is not empty (nothing is downloaded), and on a network failure,
 * an HTTP error, a checksum mismatch or a broken zip; nothing is left behind in any of these cases.
 */
export async function downloadMovieLens(options: DownloadOptions): Promise<string[]> {
  // Publishing replaces the whole folder: never do that to files a user put there.
  if (fs.existsSync(options.targetDir) && fs.readdirSync(options.targetDir).length > 0)
    throw new InputError(`the folder to unpack ${options.name} into is not empty: nothing was downloaded`, {
      file: options.targetDir,
    });
  const baseUrl = (options.baseUrl ?? GROUPLENS_BASE_URL).replace(/\/$/, "");
  const zipUrl = `${baseUrl}/${options.name}.zip`;
  const expectedMd5 = parseMd5File(await (await fetchOk(`${zipUrl}.md5`)).text(), `${zipUrl}.md5`);
  fs.mkdirSync(path.dirname(options.targetDir), { recursive: true });
  const zipFile = temporarySibling(`${options.targetDir}.zip`);
  try {
    const actualMd5 = await downloadTo(zipUrl, zipFile, options.quiet);
    if (actualMd5 !== expectedMd5)
      throw new InputError(
        `checksum mismatch: MD5 ${actualMd5}, expected ${expectedMd5} (from ${zipUrl}.md5); the download is ` +
          `corrupt or was changed: nothing was unpacked`,
        { file: zipUrl },
      );
    let files: string[] = [];
    await publishDirectoryAtomic(options.targetDir, async (tmp) => {
      files = await unpackZip(zipFile, options.name, tmp);
      for (const required of Object.keys(MOVIELENS_CSV_HEADERS))
        if (!files.includes(required))
          throw new InputError(`the zip has no ${options.name}/${required}`, { file: zipUrl });
    });
    return files;
  } finally {
    fs.rmSync(zipFile, { force: true });
  }
}
