import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../../src/core/errors";
import { type RunningServer, startServing } from "../../src/deployment/serve";
import { ROUTER_NAME, predictionRequest } from "../../src/serving/seldon";
import { testModels } from "../support/recommenders";
import { testCatalog } from "../support/catalog";
import { postJson } from "../support/http";

test("each role in its own server: two model servers, a router over them, a site over the router", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-roles-"));
  const [baseline, challenger] = testModels();
  const started: RunningServer[] = [];
  try {
    const a = await startServing({ role: "model", port: 0, recommenders: [baseline] });
    const b = await startServing({ role: "model", port: 0, recommenders: [challenger] });
    started.push(a, b);
    const router = await startServing({
      role: "router",
      port: 0,
      eventsPath: path.join(dir, "events.sqlite"),
      modelUrls: [
        { name: "baseline", url: a.url },
        { name: "challenger", url: b.url },
      ],
    });
    started.push(router);
    const site = await startServing({ role: "site", port: 0, routerUrl: router.url, movies: testCatalog() });
    started.push(site);

    assert.equal((await fetch(`${router.url}/health/ready`)).status, 200);
    const { json } = await postJson(`${router.url}/api/v1.0/predictions`, predictionRequest(10, 10));
    assert.deepEqual(
      json.data.ndarray[0],
      [baseline, challenger][json.meta.routing[ROUTER_NAME]].recommend(10, 10).movieIds,
    );

    const login = await fetch(`${site.url}/login?user=11`, { redirect: "manual" });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
    const home = await (await fetch(`${site.url}/`, { headers: { cookie } })).text();
    const href = /href="([^"]+)" data-movie-id/.exec(home)![1].replace(/&amp;/g, "&");
    const click = await fetch(`${site.url}${href}`, { headers: { cookie }, redirect: "manual" });
    assert.equal(click.status, 303);
    const counts = router.store!.counts();
    assert.equal(
      counts.variants.reduce((sum, row) => sum + row.impressions, 0),
      2,
    );
    assert.equal(
      counts.variants.reduce((sum, row) => sum + row.clicks, 0),
      1,
    );
    const experiment = await (await fetch(`${site.url}/experiment`)).text();
    for (const row of counts.variants)
      assert.match(
        experiment,
        new RegExp(
          `<td class="impressions">${row.impressions}</td>\\s*<td class="clicks">${row.clicks}</td>`,
        ),
      );
    // Each model server counted the click it served once.
    const clicked = /data-variant="([^"]+)"/.exec(home)![1];
    const modelMetrics = await (await fetch(`${(clicked === "baseline" ? a : b).url}/metrics`)).text();
    assert.match(
      modelMetrics,
      new RegExp(`seldon_api_model_feedback_reward_total\\{model_name="${clicked}"\\} 1`),
    );
  } finally {
    for (const server of started.reverse()) await server.close();
  }
});

test("a role started without what it needs fails with an InputError naming the option", async () => {
  await assert.rejects(startServing({ role: "all", port: 0 }), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /role "all" needs an event store path/);
    return true;
  });
  await assert.rejects(
    startServing({ role: "site", port: 0, movies: [] }),
    /role "site" needs the router URL/,
  );
  await assert.rejects(
    startServing({ role: "model", port: 0, recommenders: testModels() }),
    /exactly one model/,
  );
});
