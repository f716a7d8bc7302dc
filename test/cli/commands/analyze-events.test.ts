import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../../src/core/paths";
import { fillEventStore } from "../../support/event-store-fill";

const abrec = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "abrec"), ...args], { encoding: "utf8" });

test("abrec analyze --events counts visits per variant: 79/1124 vs 124/1124 gives R prop.test's pooled z", async () => {
  const file = await fillEventStore([
    ["baseline", 1124, 79],
    ["challenger", 1124, 124],
  ]);
  const run = abrec("analyze", "--events", file, "--json");
  assert.equal(run.status, 0, run.stderr);
  const a = JSON.parse(run.stdout);
  assert.deepEqual(
    [a.control.units, a.control.clicks, a.treatment.units, a.treatment.clicks],
    [1124, 79, 1124, 124],
  );
  // Pooled two-proportion z by hand: p = 203/2248, z = (124 - 79)/1124 / sqrt(p (1 - p) 2/1124) = 3.3114
  // (R's prop.test(c(124, 79), c(1124, 1124), correct = FALSE) gives X-squared 10.966 = z^2). Tolerance 1e-4.
  const pooled = 203 / 2248;
  const z = (124 / 1124 - 79 / 1124) / Math.sqrt(pooled * (1 - pooled) * (2 / 1124));
  assert.ok(Math.abs(a.zTest.z - z) < 1e-9, `z ${a.zTest.z} vs ${z} by hand`);
  assert.ok(Math.abs(a.zTest.z - 3.3114) < 1e-4, `z ${a.zTest.z} vs 3.3114`);
  const readable = abrec("analyze", "--events", file, "--one-sided");
  assert.equal(readable.status, 0, readable.stderr);
  assert.match(readable.stdout, /one trial per visit/);
  assert.match(readable.stdout, /greater/);
});

test("abrec analyze --events --unit user is refused when users saw both variants (random routing)", async () => {
  const file = await fillEventStore([
    ["baseline", 100, 7],
    ["challenger", 100, 11],
  ]);
  const run = abrec("analyze", "--events", file, "--unit", "user");
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /more than one variant/);
});

test("abrec analyze --events: missing file, unknown variant, and mixing both forms exit 2 with the reason", async () => {
  const file = await fillEventStore([
    ["baseline", 10, 1],
    ["challenger", 10, 2],
  ]);
  const cases: [string[], RegExp][] = [
    [["--events", path.join(os.tmpdir(), "no-such-abrec-store.sqlite")], /event store not found/],
    [
      ["--events", file, "--treatment-variant", "nope"],
      /no impressions of variant "nope".*baseline, challenger/,
    ],
    [["--events", file, "--control", "1/10"], /either --events or --control/],
    [["--control", "1/10"], /--treatment.*or --events/],
  ];
  for (const [args, pattern] of cases) {
    const run = abrec("analyze", ...args);
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, pattern);
  }
});
