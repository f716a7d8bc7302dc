import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as http from "node:http";
import * as zlib from "node:zlib";
import type { AddressInfo } from "node:net";
import { InputError } from "../../src/core/errors";
import { ServingMetrics } from "../../src/serving/metrics";
import { type JsonEndpoint, parseJsonBody, withFastJsonEndpoints } from "../../src/serving/http";
import type { Json } from "../support/http";

/** A server whose fast endpoint echoes the body it parsed, and whose fallback answers 418 (so we see who answered). */
async function fastServer(metrics: ServingMetrics) {
  const endpoint: JsonEndpoint = {
    path: "/api/v1.0/predictions",
    service: "predictions",
    latency: metrics.routerLatency,
    handle: async (body) => {
      if ((body as { fail?: boolean }).fail) throw new InputError("expected no fail", { field: "fail" });
      if ((body as { crash?: boolean }).crash) throw new Error("a bug");
      return { body: { echo: body }, modelName: "baseline" };
    },
  };
  const server = http.createServer(
    withFastJsonEndpoints([endpoint], (_req, res) => {
      res.statusCode = 418;
      res.end("fallback");
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test("the fast path answers ordinary JSON POSTs itself and leaves every other request to Express", async () => {
  const metrics = new ServingMetrics({ processMetrics: false });
  const { url, server } = await fastServer(metrics);
  const post = (init: RequestInit & { path?: string }) =>
    fetch(`${url}${init.path ?? "/api/v1.0/predictions"}`, { method: "POST", ...init });
  try {
    const ok = await post({ headers: { "content-type": "application/json" }, body: '{"a":[1,"é"]}' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(ok.headers.get("etag"), null);
    assert.equal(ok.headers.get("x-content-type-options"), "nosniff");
    assert.equal(ok.headers.get("cache-control"), "no-store");
    assert.deepEqual(await ok.json(), { echo: { a: [1, "é"] } });
    const charset = await post({
      headers: { "content-type": "Application/JSON; charset=UTF-8" },
      body: "{}",
    });
    assert.equal(charset.status, 200);

    // Bad input: 400 with a Seldon failure naming the field; a bug: 500 without internals.
    const bad = await post({ headers: { "content-type": "application/json" }, body: '{"fail":true}' });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get("x-content-type-options"), "nosniff");
    assert.match(((await bad.json()) as Json).status.info, /field "fail"/);
    const broken = await post({ headers: { "content-type": "application/json" }, body: "{oops" });
    assert.equal(broken.status, 400);
    assert.match(((await broken.json()) as Json).status.info, /body: not valid JSON/);
    const stderr = process.stderr.write;
    process.stderr.write = () => true; // the 500 logs its stack; keep the test output clean
    try {
      const crash = await post({ headers: { "content-type": "application/json" }, body: '{"crash":true}' });
      assert.equal(crash.status, 500);
      assert.deepEqual(((await crash.json()) as Json).status.info, "internal error");
    } finally {
      process.stderr.write = stderr;
    }

    // Everything unusual goes to the fallback (Express and body-parser handle it as before).
    const fallbacks: [string, RequestInit & { path?: string }][] = [
      ["GET", { method: "GET" }],
      [
        "another path",
        { path: "/api/v1.0/other", headers: { "content-type": "application/json" }, body: "{}" },
      ],
      [
        "a query string",
        { path: "/api/v1.0/predictions?x=1", headers: { "content-type": "application/json" }, body: "{}" },
      ],
      ["text/plain", { headers: { "content-type": "text/plain" }, body: "{}" }],
      ["no content type", { body: new Uint8Array([123, 125]) }],
      ["another charset", { headers: { "content-type": "application/json; charset=utf-16" }, body: "{}" }],
      [
        "gzip",
        {
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body: zlib.gzipSync("{}"),
        },
      ],
      [
        "over the limit",
        { headers: { "content-type": "application/json" }, body: `{"x":"${"x".repeat(20_000)}"}` },
      ],
      [
        "no length (chunked)",
        {
          headers: { "content-type": "application/json" },
          body: new Blob(["{}"]).stream(),
          duplex: "half",
        } as RequestInit,
      ],
    ];
    for (const [what, init] of fallbacks) assert.equal((await post(init)).status, 418, what);

    // Latency is observed per request with the model label (200s and 400s here).
    const exposition = (await metrics.exposition()).body;
    assert.match(
      exposition,
      /seldon_api_executor_server_requests_seconds_count\{service="predictions",code="200",model_name="baseline"\} 2/,
    );
    assert.match(
      exposition,
      /seldon_api_executor_server_requests_seconds_count\{service="predictions",code="400",model_name="none"\} 2/,
    );
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("parseJsonBody reads bodies as express.json({ strict: true }) does", () => {
  assert.deepEqual(parseJsonBody(""), {});
  assert.deepEqual(parseJsonBody('\uFEFF {"a":1}'), { a: 1 });
  assert.deepEqual(parseJsonBody("\n[1, 2]"), [1, 2]);
  assert.throws(() => parseJsonBody('"text"'), /body: not valid JSON \(expected an object or an array/);
  assert.throws(() => parseJsonBody("42"), InputError);
  assert.throws(() => parseJsonBody('{"a":'), /body: not valid JSON/);
});
