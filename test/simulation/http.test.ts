import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InputError } from "../../src/core/errors";
import { parseBaseUrl, slateFromPrediction } from "../../src/simulation/http";

test("a Seldon prediction response gives the request id, the serving model and the slate", () => {
  // The response shape documented by the router (src/serving/seldon.ts, Seldon Core v1 SeldonMessage).
  const response = {
    meta: {
      puid: "0b6f",
      routing: { "ab-router": 1 },
      requestPath: { challenger: "abrec/challenger:v1" },
      tags: { model_name: "challenger", model_version: "v1", fallback: false },
    },
    data: { names: ["movieIds"], ndarray: [[318, 296, 2571]] },
  };
  assert.deepEqual(slateFromPrediction(response), {
    requestId: "0b6f",
    variant: "challenger",
    movieIds: [318, 296, 2571],
  });
  assert.throws(() => slateFromPrediction({ data: { ndarray: [[1]] } }), /unexpected prediction response/);
  assert.throws(
    () => slateFromPrediction({ ...response, data: { ndarray: [["318"]] } }),
    /unexpected prediction response/,
  );
});

test("router and site URLs are checked", () => {
  assert.equal(parseBaseUrl("http://127.0.0.1:9000", "router").port, "9000");
  assert.throws(() => parseBaseUrl("127.0.0.1:9000", "router"), InputError);
  assert.throws(() => parseBaseUrl("ftp://x", "site"), /field "site"/);
});
