import { test } from "node:test";
import * as assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { launchBrowser } from "../../src/core/browser";
import { readVariantCounts } from "../../src/serving/event-store";
import { visitSite } from "../../src/deployment/screenshots";
import { setSimulatedDay } from "../../src/serving/router";
import { predictionRequest } from "../../src/serving/seldon";
import { parseModelUrls } from "../../src/cli/commands/serve";
import { postJson } from "../support/http";
import { trainedModelsOnMlLatestSmall } from "../support/trained-models";

const ABREC = path.join(PROJECT_ROOT, "bin", "abrec");

function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [ABREC, "serve", "--port", "0", ...args], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk) => (output += String(chunk)));
    child.stdout!.on("data", (chunk) => {
      output += String(chunk);
      const match = /listening on (\S+)/.exec(output);
      if (match) resolve({ child, url: match[1], output: () => output });
    });
    child.on("exit", (code) => reject(new Error(`abrec serve exited with ${code}: ${output}`)));
  });
}

/** Both tests serve the same trained models (training once). */
const trained = trainedModelsOnMlLatestSmall();

const runServe = (args: string[]) =>
  spawnSync(process.execPath, [ABREC, "serve", ...args], { cwd: PROJECT_ROOT, encoding: "utf8" });

test("abrec serve: real models on ml-latest-small, API and site in Chromium with real titles, stops on SIGTERM", async () => {
  const { dataDir, modelsDir, dataset } = await trained;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-cli-serve-"));
  const events = path.join(dir, "events.sqlite");
  const served = await startServe(["--models-dir", modelsDir, "--data-dir", dataDir, "--events", events]);
  const titles = new Map(dataset.movies.map((movie) => [movie.movieId, movie]));
  let exited: Promise<number | null> | undefined;
  try {
    const userId = dataset.userIds[0];
    const { status, json } = await postJson(
      `${served.url}/api/v1.0/predictions`,
      predictionRequest(userId, 10),
    );
    assert.equal(status, 200);
    assert.equal(json.meta.tags.fallback, false);
    const movieIds = json.data.ndarray[0] as number[];
    assert.equal(new Set(movieIds).size, 10);
    for (const movieId of movieIds) assert.ok(titles.has(movieId), `movie ${movieId} in movies.csv`);
    const unknown = await postJson(`${served.url}/api/v1.0/predictions`, predictionRequest(999_999, 10));
    assert.equal(unknown.json.meta.tags.fallback, true);

    const browser = await launchBrowser();
    try {
      const visit = await visitSite(browser, served.url, path.join(dir, "shots"), userId, 0);
      assert.equal(visit.cardTitles.length, 10);
      // Each card shows its movie's MovieLens title (without the trailing year, shown apart), in the order served.
      assert.deepEqual(
        visit.cardTitles,
        visit.cardMovieIds.map((movieId) => titles.get(movieId)!.title.replace(/\s*\(\d{4}\)\s*$/, "")),
      );
      assert.equal(visit.clickedMovieId, visit.cardMovieIds[0]);
    } finally {
      await browser.quit();
    }
    exited = new Promise((resolve) => served.child.once("exit", (code) => resolve(code)));
    served.child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.match(served.output(), /abrec serve: stopped/);
    const counts = readVariantCounts(events);
    assert.equal(
      counts.variants.reduce((sum, row) => sum + row.impressions, 0),
      3,
    );
    assert.equal(
      counts.variants.reduce((sum, row) => sum + row.clicks, 0),
      1,
    );
    assert.equal(counts.settings.routing_mode, "sticky");
  } finally {
    if (!exited) served.child.kill("SIGKILL");
  }
});

test("abrec serve --pre-days 2: the simulated day is set over HTTP, pre-period requests go to the baseline", async () => {
  const { dataDir, modelsDir, dataset } = await trained;
  const events = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-cli-serve-")), "events.sqlite");
  const args = ["--models-dir", modelsDir, "--data-dir", dataDir, "--events", events, "--pre-days", "2"];
  const served = await startServe(args);
  let exited: Promise<number | null> | undefined;
  try {
    assert.match(served.output(), /ratio A 0\.5, 2 pre-period days\)/);
    assert.deepEqual(await setSimulatedDay(served.url, 1), { day: 1, phase: "pre" });
    for (const userId of dataset.userIds.slice(0, 6)) {
      const { json } = await postJson(`${served.url}/api/v1.0/predictions`, predictionRequest(userId, 10));
      assert.equal(json.meta.tags.model_name, "baseline", `user ${userId}`);
    }
    assert.deepEqual(await setSimulatedDay(served.url, 2), { day: 2, phase: "experiment" });
    exited = new Promise((resolve) => served.child.once("exit", (code) => resolve(code)));
    served.child.kill("SIGTERM");
    assert.equal(await exited, 0);
    const counts = readVariantCounts(events);
    assert.equal(counts.preDays, 2);
    assert.deepEqual(counts.prePeriod, { users: 6, impressions: 6, clicks: 0 });
    assert.deepEqual(counts.variants, []);
  } finally {
    if (!exited) served.child.kill("SIGKILL");
  }
});

test("abrec serve --dataset B refuses models trained on dataset A, naming the model's folder and both datasets", async () => {
  const { dataDir, modelsDir } = await trained;
  const data = spawnSync(
    process.execPath,
    [ABREC, "data", "--dataset", "synthetic", "--ratings", "5000", "--data-dir", dataDir, "--quiet"],
    { cwd: PROJECT_ROOT, encoding: "utf8" },
  );
  assert.equal(data.status, 0, data.stderr);
  const common = ["--data-dir", dataDir, "--models-dir", modelsDir, "--port", "0"];
  const all = runServe(["--dataset", "synthetic", ...common]);
  assert.equal(all.status, 2, all.stderr);
  assert.match(
    all.stderr,
    /baseline[/\\]metadata\.json: the baseline model was trained on ml-latest-small \(.*\), expected synthetic \(/,
  );
  const one = runServe(["--role", "model", "--model", "challenger", "--dataset", "synthetic", ...common]);
  assert.equal(one.status, 2, one.stderr);
  assert.match(
    one.stderr,
    /challenger[/\\]metadata\.json: the challenger model was trained on ml-latest-small/,
  );
  const missing = runServe([...common, "--models-dir", path.join(os.tmpdir(), "no-such-models")]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no-such-models[/\\]baseline[/\\]metadata\.json: no model artifact here/);
  const unknown = runServe(["--dataset", "ml-1m", ...common]);
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /Allowed choices are ml-latest-small, ml-25m, synthetic/);
});

test("abrec serve rejects bad options with exit code 2 and a message naming the option", () => {
  const ratio = runServe(["--ratio-a", "1.5"]);
  assert.equal(ratio.status, 2);
  assert.match(ratio.stderr, /--ratio-a.*\[0, 1\]/);
  const role = runServe(["--role", "site"]);
  assert.equal(role.status, 2);
  assert.match(role.stderr, /--router-url/);
  const preDays = runServe(["--pre-days", "-1"]);
  assert.equal(preDays.status, 2);
  assert.match(preDays.stderr, /field "--pre-days": expected an integer >= 0, got "-1"/);
  const siteDays = runServe(["--role", "site", "--router-url", "http://a:1", "--pre-days", "7"]);
  assert.equal(siteDays.status, 2);
  assert.match(siteDays.stderr, /field "--pre-days": applies to roles all and router, not site/);
  assert.throws(() => parseModelUrls("baseline=http://a:1"), /expected two models/);
  assert.deepEqual(parseModelUrls("baseline=http://a:1,challenger=http://b:2"), [
    { name: "baseline", url: "http://a:1" },
    { name: "challenger", url: "http://b:2" },
  ]);
});
