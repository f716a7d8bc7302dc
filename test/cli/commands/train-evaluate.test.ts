import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../../src/core/paths";
import { loadRecommender, readModelMetadata } from "../../../src/models/artifact";

/** Runs `node bin/abrec ...args` as a user would. */
function abrec(...args: string[]) {
  return spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  });
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "abrec-cli-"));

test("abrec train then abrec evaluate on ml-latest-small (2 challenger epochs) save, load and compare both models", () => {
  const dataDir = tempDir();
  const modelsDir = tempDir();
  const out = tempDir();
  const train = abrec(
    "train",
    "--data-dir",
    dataDir,
    "--models-dir",
    modelsDir,
    "--max-epochs",
    "2",
    "--quiet",
  );
  assert.equal(train.status, 0, train.stderr);
  assert.match(train.stdout, /^baseline \d{8}T\d{6}Z-[0-9a-f]{8}: validation NDCG@10 0\.\d{4}/m);
  assert.match(train.stdout, /^challenger \d{8}T\d{6}Z-[0-9a-f]{8}: validation NDCG@10 0\.\d{4}/m);
  const metadata = readModelMetadata(path.join(modelsDir, "challenger"));
  assert.equal(metadata.dataset.name, "ml-latest-small");
  assert.equal(metadata.nMovies, 9742);
  assert.ok((metadata.hyperparameters.maxEpochs as number) <= 2);

  const evaluate = abrec(
    "evaluate",
    "--data-dir",
    dataDir,
    "--models-dir",
    modelsDir,
    "--out",
    out,
    "--resamples",
    "200",
    "--json",
  );
  assert.equal(evaluate.status, 0, evaluate.stderr);
  const report = JSON.parse(evaluate.stdout);
  assert.deepEqual(
    report.models.map((m: { name: string }) => m.name),
    ["baseline", "challenger"],
  );
  assert.ok(report.evaluatedUsers > 10);
  for (const model of report.models)
    for (const interval of Object.values(model.metrics) as {
      estimate: number;
      lower: number;
      upper: number;
    }[])
      assert.ok(interval.lower <= interval.estimate && interval.estimate <= interval.upper);
  assert.ok("ndcg" in report.lift && "hitRate" in report.lift);
  const written = JSON.parse(fs.readFileSync(path.join(out, "offline-metrics.json"), "utf8"));
  assert.equal(written.evaluatedUsers, report.evaluatedUsers);
  assert.ok(fs.statSync(path.join(out, "figures", "offline-comparison.svg")).size > 1000);
  assert.ok(fs.statSync(path.join(out, "figures", "offline-comparison.png")).size > 1000);
});

test("abrec evaluate without trained models exits 2 naming the missing metadata.json", async () => {
  const run = abrec("evaluate", "--models-dir", tempDir(), "--out", tempDir(), "--quiet");
  assert.equal(run.status, 2);
  assert.match(run.stderr, /baseline[/\\]metadata\.json: no model artifact here/);
  await assert.rejects(loadRecommender(tempDir()), /metadata\.json/);
});

test("abrec train rejects a bad option value with exit 2", () => {
  const run = abrec("train", "--validation-fraction", "abc", "--models-dir", tempDir());
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--validation-fraction/);
});
