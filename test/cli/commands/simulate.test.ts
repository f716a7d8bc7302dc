import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../../src/core/paths";
import type { SimulationRecord } from "../../../src/simulation/simulate";
import { movieLensWorld } from "../../support/simulation";
import { startServing } from "../../../src/deployment/serve";
import { readVisitEvents } from "../../../src/serving/event-store";
import { SimulatedCalendar } from "../../../src/serving/simulated-calendar";

const execFileAsync = promisify(execFile);

const abrec = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], { encoding: "utf8" });

test("abrec simulate --in-process runs, records, and a second call resumes with nothing left to do", async () => {
  const { dataDir, modelsDir } = await movieLensWorld();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-cli-sim-out-"));
  // movieLensWorld's models were trained on the global split.
  const args = [
    "simulate",
    "--in-process",
    "--visits",
    "400",
    "--seed",
    "3",
    "--split",
    "global",
    "--data-dir",
    dataDir,
  ];
  const run = abrec(...args, "--models-dir", modelsDir, "--out", out, "--quiet");
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /400\/400 visits \(400 in this run/);
  assert.match(run.stdout, /baseline calibrated to CTR 0\.070000/);
  assert.match(run.stdout, /^baseline +\d+ +\d+ /m);
  assert.match(run.stdout, /^challenger +\d+ +\d+ /m);
  const record = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8")) as SimulationRecord;
  assert.equal(record.summary.completedVisits, 400);
  assert.equal(record.summary.sampling, "with-replacement");
  assert.ok(Math.abs(record.groundTruth[0].expectedCtr - 0.07) < 1e-6);
  const again = abrec(...args, "--models-dir", modelsDir, "--out", out, "--quiet");
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /400\/400 visits \(0 in this run/);
  // Other settings against the same journal are refused, naming the journal and the field.
  const other = abrec(
    ...args.slice(0, -6),
    "--seed",
    "4",
    "--split",
    "global",
    "--data-dir",
    dataDir,
    "--models-dir",
    modelsDir,
    "--out",
    out,
  );
  assert.equal(other.status, 2, other.stderr);
  assert.match(other.stderr, /journal\.jsonl:1, field "seed"/);
  // Models trained on other data are refused, naming the model's metadata.json.
  const otherModels = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-cli-sim-models-"));
  fs.cpSync(modelsDir, otherModels, { recursive: true });
  const metadataFile = path.join(otherModels, "challenger", "metadata.json");
  const metadata = JSON.parse(fs.readFileSync(metadataFile, "utf8"));
  fs.writeFileSync(
    metadataFile,
    JSON.stringify({ ...metadata, dataset: { ...metadata.dataset, checksum: "0" } }),
  );
  const stale = abrec(
    "simulate",
    "--in-process",
    "--split",
    "global",
    "--data-dir",
    dataDir,
    "--models-dir",
    otherModels,
    "--out",
    out,
  );
  assert.equal(stale.status, 2, stale.stderr);
  assert.match(
    stale.stderr,
    /challenger[/\\]metadata\.json: the challenger model was trained on ml-latest-small \(input checksum 0,/,
  );
});

test("abrec simulate refuses missing or bad options with exit 2", () => {
  const noRouter = abrec("simulate", "--visits", "10");
  assert.equal(noRouter.status, 2);
  assert.match(noRouter.stderr, /--router/);
  const badVisits = abrec("simulate", "--in-process", "--visits", "ten");
  assert.equal(badVisits.status, 2);
  assert.match(badVisits.stderr, /field "--visits": expected an integer >= 1, got "ten"/);
  const aaOverHttp = abrec("simulate", "--router", "http://127.0.0.1:1", "--aa");
  assert.equal(aaOverHttp.status, 2);
  assert.match(aaOverHttp.stderr, /--aa needs --in-process/);
});

test("abrec simulate --days follows the calendar against a router with the same pre-period", async () => {
  const world = await movieLensWorld();
  const eventsPath = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), "abrec-cli-sim-events-")),
    "events.sqlite",
  );
  const server = await startServing({
    role: "all",
    port: 0,
    eventsPath,
    recommenders: [world.baseline, world.challenger],
    movies: world.dataset.movies,
    routing: { mode: "sticky", ratioA: 0.5, seed: 3 },
    calendar: new SimulatedCalendar(1),
  });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-cli-sim-out-"));
  try {
    // spawn, not spawnSync: the router runs in this process and must keep answering.
    const { stdout } = await execFileAsync(process.execPath, [
      path.join(PROJECT_ROOT, "bin", "abrec"),
      "simulate",
      "--http",
      "--router",
      server.url,
      "--pre-days",
      "1",
      "--days",
      "2",
      "--seed",
      "3",
      "--split",
      "global",
      "--data-dir",
      world.dataDir,
      "--models-dir",
      world.modelsDir,
      "--out",
      out,
      "--quiet",
    ]);
    assert.match(stdout, /visitors calendar/);
  } finally {
    await server.close();
  }
  const record = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8")) as SimulationRecord;
  const events = readVisitEvents(eventsPath);
  assert.equal(events.length, record.summary.completedVisits);
  assert.deepEqual(new Set(events.map((e) => e.day)), new Set([0, 1, 2]));
  assert.ok(events.every((e) => (e.day === 0) === (e.phase === "pre")));
  assert.ok(events.filter((e) => e.phase === "pre").every((e) => e.variant === "baseline"));
});
