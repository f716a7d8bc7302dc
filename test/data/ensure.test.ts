import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../../src/core/errors";
import { sha256File } from "../../src/core/files";
import { SHARED_DATA_DIR } from "../../src/core/paths";
import {
  ensurePreparedDataset,
  ensureRawDataset,
  parseDatasetName,
  prepareAlongside,
} from "../../src/data/ensure";
import { prepareDataset } from "../../src/data/prepare";
import { loadPreparedDataset } from "../../src/data/load";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "abrec-ensure-"));
}

test("ml-latest-small is copied from the shared folder when data/ lacks it (no network)", async () => {
  const dataDir = tempDir();
  const rawDir = await ensureRawDataset({
    dataset: "ml-latest-small",
    dataDir,
    baseUrl: "http://127.0.0.1:9/none",
    quiet: true,
  });
  assert.equal(rawDir, path.join(dataDir, "ml-latest-small"));
  for (const name of ["ratings.csv", "movies.csv"])
    assert.deepEqual(
      fs.readFileSync(path.join(rawDir, name)),
      fs.readFileSync(path.join(SHARED_DATA_DIR, "ml-latest-small", name)),
    );
});

/** Sorted names and SHA-256 of every file in `dir`. */
async function checksums(dir: string): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) sums[name] = await sha256File(path.join(dir, name));
  return sums;
}

test("a folder with the user's ratings.csv but no movies.csv fails naming both, and nothing in it changes", async () => {
  const dataDir = tempDir();
  const rawDir = path.join(dataDir, "ml-latest-small");
  fs.mkdirSync(rawDir);
  // The user's own ratings: same format as the release, different content.
  fs.writeFileSync(
    path.join(rawDir, "ratings.csv"),
    "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n2,1,3.0,964982704\r\n",
  );
  const before = await checksums(rawDir);
  await assert.rejects(
    ensurePreparedDataset({ dataset: "ml-latest-small", dataDir, quiet: true }),
    (error) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.where.file, rawDir);
      assert.match(
        error.message,
        /has ratings\.csv but no movies\.csv, and abrec never replaces files it did not write: add movies\.csv \(header "movieId,title,genres"\), or empty or remove the folder so that abrec can fetch the ml-latest-small release$/,
      );
      return true;
    },
  );
  assert.deepEqual(await checksums(rawDir), before, "the user's ratings.csv is byte-identical");
  assert.equal(fs.existsSync(path.join(dataDir, "processed")), false);
});

test("a folder with only movies.csv, or only other files, fails naming what is missing and keeps them", async () => {
  const dataDir = tempDir();
  const rawDir = path.join(dataDir, "ml-latest-small");
  fs.mkdirSync(rawDir);
  fs.writeFileSync(path.join(rawDir, "movies.csv"), "movieId,title,genres\r\n1,A (1999),Drama\r\n");
  await assert.rejects(
    ensureRawDataset({ dataset: "ml-latest-small", dataDir, quiet: true }),
    /has movies\.csv but no ratings\.csv, .* add ratings\.csv \(header "userId,movieId,rating,timestamp"\)/,
  );
  fs.rmSync(path.join(rawDir, "movies.csv"));
  fs.writeFileSync(path.join(rawDir, "notes.txt"), "my notes\n");
  await assert.rejects(
    ensureRawDataset({ dataset: "ml-latest-small", dataDir, quiet: true }),
    /has notes\.txt but no ratings\.csv and no movies\.csv, .* add ratings\.csv \(.*\) and movies\.csv/,
  );
  assert.deepEqual(fs.readdirSync(rawDir), ["notes.txt"]);
  assert.equal(fs.readFileSync(path.join(rawDir, "notes.txt"), "utf8"), "my notes\n");
});

test("an empty folder is filled from the shared copy", async () => {
  const dataDir = tempDir();
  fs.mkdirSync(path.join(dataDir, "ml-latest-small"));
  const rawDir = await ensureRawDataset({ dataset: "ml-latest-small", dataDir, quiet: true });
  assert.deepEqual(await checksums(rawDir), await checksums(path.join(SHARED_DATA_DIR, "ml-latest-small")));
});

test("without a shared copy and with an unreachable server, the error names the URL", async () => {
  await assert.rejects(
    ensureRawDataset({
      dataset: "ml-latest-small",
      dataDir: tempDir(),
      sharedDataDir: "",
      baseUrl: "http://127.0.0.1:9/x",
      quiet: true,
    }),
    (error: Error) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^http:\/\/127\.0\.0\.1:9\/x\/ml-latest-small\.zip\.md5: download failed/);
      return true;
    },
  );
});

test("synthetic data is generated once per (ratings, seed) and regenerated when they change", async () => {
  const dataDir = tempDir();
  const first = await ensurePreparedDataset({
    dataset: "synthetic",
    dataDir,
    ratings: 5000,
    seed: 3,
    quiet: true,
  });
  const manifest = JSON.parse(fs.readFileSync(path.join(first.dir, "manifest.json"), "utf8"));
  assert.equal(manifest.read.ratings, 5000);
  assert.equal(manifest.seed, 3);
  const again = await ensurePreparedDataset({
    dataset: "synthetic",
    dataDir,
    ratings: 5000,
    seed: 3,
    quiet: true,
  });
  assert.equal(again.prepared, false);
  const bigger = await ensurePreparedDataset({
    dataset: "synthetic",
    dataDir,
    ratings: 6000,
    seed: 3,
    quiet: true,
  });
  assert.equal(bigger.prepared, true);
  const read = JSON.parse(fs.readFileSync(path.join(bigger.dir, "manifest.json"), "utf8")).read;
  assert.equal(read.ratings, 6000);
});

test("a change of split prepares again; the same split is up to date", async () => {
  const dataDir = tempDir();
  const options = { dataset: "synthetic" as const, dataDir, ratings: 5000, seed: 3, quiet: true };
  const global = await ensurePreparedDataset(options);
  assert.equal((await loadPreparedDataset(global.dir)).manifest.split, "global");
  const perUser = await ensurePreparedDataset({ ...options, split: "user-temporal" });
  assert.equal(perUser.prepared, true);
  assert.equal((await loadPreparedDataset(perUser.dir)).manifest.split, "user-temporal");
  assert.equal((await ensurePreparedDataset({ ...options, split: "user-temporal" })).prepared, false);
  assert.equal((await ensurePreparedDataset(options)).prepared, true, "the default split is global");
});

test("an unknown dataset name is rejected naming the field", () => {
  assert.throws(
    () => parseDatasetName("ml-1m"),
    /field "dataset": expected one of ml-latest-small, ml-25m, synthetic/,
  );
});

test("a processed folder from an older layout is prepared again, and loading it directly says why it fails", async () => {
  const dataDir = tempDir();
  const options = { dataset: "ml-latest-small" as const, dataDir, quiet: true };
  const { dir } = await ensurePreparedDataset(options);
  const manifestFile = path.join(dir, "manifest.json");
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
  delete manifest.layoutVersion; // as written before layouts were versioned
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  await assert.rejects(
    loadPreparedDataset(dir),
    /layout version 1, expected 2: .* rerun `abrec data --force`/,
  );
  const again = await ensurePreparedDataset(options);
  assert.equal(again.prepared, true);
  const data = await loadPreparedDataset(dir);
  assert.equal(data.train.length + data.test.length, 100_836);
});

test("prepareAlongside prepares the same raw files with another split in a folder of its own", async () => {
  const rawDir = path.join(SHARED_DATA_DIR, "ml-latest-small");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-alongside-"));
  const outDir = path.join(dataDir, "processed", "ml-latest-small");
  const manifest = await prepareDataset({
    dataset: "ml-latest-small",
    rawDir,
    outDir,
    testFraction: 0.25,
    quiet: true,
  });
  const before = fs.readFileSync(path.join(outDir, "manifest.json"), "utf8");
  const globalDir = await prepareAlongside(rawDir, manifest, "global");
  assert.notEqual(path.resolve(globalDir), path.resolve(outDir));
  const global = await loadPreparedDataset(globalDir);
  assert.equal(global.manifest.split, "global");
  assert.equal(global.manifest.testFraction, 0.25);
  assert.equal(global.manifest.positiveThreshold, manifest.positiveThreshold);
  assert.deepEqual(global.manifest.inputChecksums, manifest.inputChecksums);
  assert.equal(fs.readFileSync(path.join(outDir, "manifest.json"), "utf8"), before);
});
