import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { strToU8, zipSync } from "fflate";
import { InputError } from "../../src/core/errors";
import { downloadMovieLens, parseMd5File } from "../../src/data/download";
import { ensurePreparedDataset } from "../../src/data/ensure";

const RATINGS =
  "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n2,1,3.0,964982704\r\n2,2,5.0,1445714835\r\n";
const MOVIES = 'movieId,title,genres\r\n1,"Heat, The (1995)",Action\r\n2,Jumanji (1995),Children\r\n';

/** A zip laid out like the GroupLens ones: every file under "<name>/". */
function buildZip(name: string): Uint8Array {
  return zipSync({
    [name]: {
      "ratings.csv": strToU8(RATINGS),
      "movies.csv": strToU8(MOVIES),
      "README.txt": strToU8("test release\n"),
    },
  });
}

/** Serves `files` (path -> body) on 127.0.0.1; counts requests. */
async function serve(files: Record<string, Uint8Array | string>) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    const body = files[req.url ?? ""];
    if (body === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-length": Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/movielens`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function md5(data: Uint8Array): string {
  return crypto.createHash("md5").update(data).digest("hex");
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "abrec-dl-"));
}

test("parseMd5File accepts a bare hash and the BSD 'MD5 (file) = hash' form", () => {
  const hash = "6b51fb2759a8657d3bfcbfc42b592ada";
  assert.equal(parseMd5File(`${hash}  ml-25m.zip\n`), hash);
  assert.equal(parseMd5File(`MD5 (ml-25m.zip) = ${hash.toUpperCase()}\n`), hash);
  assert.throws(() => parseMd5File("<html>not found</html>"), InputError);
});

test("a zip with a matching checksum is downloaded and unpacked, prefix stripped", async () => {
  const zip = buildZip("ml-test");
  const server = await serve({
    "/movielens/ml-test.zip": zip,
    "/movielens/ml-test.zip.md5": `MD5 (ml-test.zip) = ${md5(zip)}\n`,
  });
  try {
    const dataDir = tempDir();
    const target = path.join(dataDir, "ml-test");
    const files = await downloadMovieLens({
      name: "ml-test",
      targetDir: target,
      baseUrl: server.baseUrl,
      quiet: true,
    });
    assert.deepEqual(files.sort(), ["README.txt", "movies.csv", "ratings.csv"]);
    assert.equal(fs.readFileSync(path.join(target, "ratings.csv"), "utf8"), RATINGS);
    assert.equal(fs.readFileSync(path.join(target, "movies.csv"), "utf8"), MOVIES);
    assert.deepEqual(fs.readdirSync(dataDir), ["ml-test"], "no temporary zip or folder left");
  } finally {
    await server.close();
  }
});

test("a checksum mismatch fails with both hashes and leaves nothing behind", async () => {
  const zip = buildZip("ml-test");
  const wrong = "0".repeat(32);
  const server = await serve({ "/movielens/ml-test.zip": zip, "/movielens/ml-test.zip.md5": wrong });
  try {
    const dataDir = tempDir();
    await assert.rejects(
      downloadMovieLens({
        name: "ml-test",
        targetDir: path.join(dataDir, "ml-test"),
        baseUrl: server.baseUrl,
        quiet: true,
      }),
      (error: Error) => {
        assert.ok(error instanceof InputError);
        assert.match(error.message, new RegExp(`checksum mismatch: MD5 ${md5(zip)}, expected ${wrong}`));
        return true;
      },
    );
    assert.deepEqual(fs.readdirSync(dataDir), []);
  } finally {
    await server.close();
  }
});

test("an HTTP error, a zip without ratings.csv and a corrupt zip leave nothing behind", async () => {
  const noRatings = zipSync({ "ml-test": { "movies.csv": strToU8(MOVIES) } });
  const corrupt = buildZip("ml-test").slice(0, 200);
  const server = await serve({
    "/movielens/ml-none.zip.md5": "d41d8cd98f00b204e9800998ecf8427e",
    "/movielens/ml-test.zip": noRatings,
    "/movielens/ml-test.zip.md5": md5(noRatings),
    "/movielens/ml-bad.zip": corrupt,
    "/movielens/ml-bad.zip.md5": md5(corrupt),
  });
  try {
    const dataDir = tempDir();
    const attempt = (name: string) =>
      downloadMovieLens({ name, targetDir: path.join(dataDir, name), baseUrl: server.baseUrl, quiet: true });
    await assert.rejects(attempt("ml-none"), /ml-none\.zip: download failed: HTTP 404/);
    await assert.rejects(attempt("ml-test"), /the zip has no ml-test\/ratings\.csv/);
    await assert.rejects(attempt("ml-bad"), InputError);
    assert.deepEqual(fs.readdirSync(dataDir), []);
  } finally {
    await server.close();
  }
});

test("a download never replaces a folder holding files: the user's ratings.csv stays byte-identical", async () => {
  const zip = buildZip("ml-25m");
  const server = await serve({ "/movielens/ml-25m.zip": zip, "/movielens/ml-25m.zip.md5": md5(zip) });
  try {
    const dataDir = tempDir();
    const rawDir = path.join(dataDir, "ml-25m");
    fs.mkdirSync(rawDir);
    const own = "userId,movieId,rating,timestamp\r\n9,9,1.0,964982703\r\n";
    fs.writeFileSync(path.join(rawDir, "ratings.csv"), own);
    const sha256 = () =>
      crypto.createHash("sha256").update(fs.readFileSync(path.join(rawDir, "ratings.csv")));
    const before = sha256().digest("hex");
    await assert.rejects(
      ensurePreparedDataset({ dataset: "ml-25m", dataDir, baseUrl: server.baseUrl, quiet: true }),
      (error: Error) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.where.file, rawDir);
        assert.match(error.message, /has ratings\.csv but no movies\.csv, .*fetch the ml-25m release$/);
        return true;
      },
    );
    await assert.rejects(
      downloadMovieLens({ name: "ml-25m", targetDir: rawDir, baseUrl: server.baseUrl, quiet: true }),
      (error: Error) => {
        assert.equal(
          error.message,
          `${rawDir}: the folder to unpack ml-25m into is not empty: nothing was downloaded`,
        );
        return true;
      },
    );
    assert.equal(sha256().digest("hex"), before);
    assert.deepEqual(fs.readdirSync(rawDir), ["ratings.csv"]);
    assert.deepEqual(server.requests, [], "nothing was fetched");
  } finally {
    await server.close();
  }
});

test("ensurePreparedDataset downloads a missing ml-25m, prepares it, and reuses both on the next call", async () => {
  const zip = buildZip("ml-25m");
  const server = await serve({ "/movielens/ml-25m.zip": zip, "/movielens/ml-25m.zip.md5": md5(zip) });
  try {
    const dataDir = tempDir();
    const options = { dataset: "ml-25m" as const, dataDir, baseUrl: server.baseUrl, quiet: true };
    const first = await ensurePreparedDataset(options);
    assert.equal(first.prepared, true);
    assert.equal(first.dir, path.join(dataDir, "processed", "ml-25m"));
    const manifest = JSON.parse(fs.readFileSync(path.join(first.dir, "manifest.json"), "utf8"));
    assert.deepEqual(manifest.read, { ratings: 3, users: 2, movies: 2 });
    const second = await ensurePreparedDataset(options);
    assert.equal(second.prepared, false);
    assert.equal(server.requests.length, 2, "the zip and its .md5 were fetched once");
    const third = await ensurePreparedDataset({ ...options, testFraction: 0.5 });
    assert.equal(third.prepared, true, "a different setting prepares again");
  } finally {
    await server.close();
  }
});
