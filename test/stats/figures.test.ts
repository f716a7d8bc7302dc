import { test } from "node:test";
import * as assert from "node:assert/strict";
import { mdeVersusUsersSpec, peekingSpec, powerCurveSpec } from "../../src/stats/figures";
import { simulatePeeking } from "../../src/stats/peeking";
import { renderSvg } from "../../src/core/figures";

const funflix = { baselineRate: 0.07, minimumDetectableEffect: 0.04, alpha: 0.05, power: 0.9 };

type Layered = { layer: { data: { values: Record<string, number | string>[] } }[] };

test("power curve data: increasing in n for every method, crossing 0.9 near each method's size", async () => {
  const spec = powerCurveSpec(funflix, 1124) as unknown as Layered;
  const values = spec.layer[0].data.values;
  for (const method of ["fleiss-cc", "pooled", "cohen-h"]) {
    const series = values.filter((v) => v.method === method).map((v) => v.power as number);
    for (let i = 1; i < series.length; i++) assert.ok(series[i] >= series[i - 1], method);
  }
  const svg = await renderSvg(powerCurveSpec(funflix, 1124));
  assert.match(svg, /<svg/);
  assert.match(svg, /users per group/);
});

test("MDE and peeking specs render to SVG with their data", async () => {
  const mde = mdeVersusUsersSpec({ baselineRate: 0.07, power: 0.9 }, 2000, ["fleiss-cc"]);
  const mdeValues = (mde as unknown as { data: { values: { mdePoints: number }[] } }).data.values;
  assert.ok(mdeValues[0].mdePoints > mdeValues[mdeValues.length - 1].mdePoints, "MDE shrinks with n");
  const peeking = peekingSpec(simulatePeeking({ experiments: 50, seed: 3 }));
  for (const spec of [mde, peeking]) assert.match(await renderSvg(spec), /<svg/);
});
