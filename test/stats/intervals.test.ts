import { test } from "node:test";
import * as assert from "node:assert/strict";
import { assertClose as close } from "../support/approx";
import { newcombeDifferenceInterval, relativeLiftInterval, wilsonInterval } from "../../src/stats/intervals";
import { Random } from "../../src/core/random";

test("Wilson intervals match Newcombe 1998 (Stat Med 17:857-872), method 3, to the 4 published decimals", () => {
  const cases: [number, number, number, number][] = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0.0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ];
  for (const [clicks, users, lower, upper] of cases) {
    const interval = wilsonInterval({ units: users, clicks });
    close(interval.lower, lower, 5e-5, `${clicks}/${users} lower`);
    close(interval.upper, upper, 5e-5, `${clicks}/${users} upper`);
  }
});

test("Newcombe's method 10 matches Newcombe 1998 (Stat Med 17:873-890) examples (a)-(h), to 4 decimals", () => {
  // [treatment clicks, users, control clicks, users, lower, upper]
  const cases: [number, number, number, number, number, number][] = [
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
    [10, 10, 0, 20, 0.6791, 1.0],
    [10, 10, 0, 10, 0.6075, 1.0],
  ];
  for (const [xt, nt, xc, nc, lower, upper] of cases) {
    const interval = newcombeDifferenceInterval({
      treatment: { units: nt, clicks: xt },
      control: { units: nc, clicks: xc },
    });
    close(interval.lower, lower, 5e-5, `${xt}/${nt} - ${xc}/${nc} lower`);
    close(interval.upper, upper, 5e-5, `${xt}/${nt} - ${xc}/${nc} upper`);
  }
});

test("one-sided intervals are open on one side and use z_{1-alpha}", () => {
  const summary = { units: 1124, clicks: 124 };
  const greater = wilsonInterval(summary, { alternative: "greater" });
  assert.equal(greater.upper, Infinity);
  // The one-sided 95% lower bound equals the two-sided 90% lower bound.
  close(
    greater.lower,
    wilsonInterval(summary, { alpha: 0.1 }).lower,
    1e-15,
    "one-sided = two-sided at 2 alpha",
  );
  const less = newcombeDifferenceInterval(
    { control: { units: 100, clicks: 5 }, treatment: summary },
    { alternative: "less" },
  );
  assert.equal(less.lower, -Infinity);
});

test("relative lift: point estimate p_t/p_c - 1 and delta-method SE by hand for 79/1124 vs 124/1124", () => {
  const counts = { control: { units: 1124, clicks: 79 }, treatment: { units: 1124, clicks: 124 } };
  const result = relativeLiftInterval(counts);
  const pc = 79 / 1124;
  const pt = 124 / 1124;
  close(result.lift, 124 / 79 - 1, 1e-12, "lift");
  const se = Math.sqrt((pt * (1 - pt)) / 1124 / pc ** 2 + (pt ** 2 * pc * (1 - pc)) / 1124 / pc ** 4);
  close(result.standardError, se, 1e-12, "SE");
  close(result.interval.upper - result.lift, 1.959964 * se, 1e-6, "half-width");
});

test("coverage by simulation: Wilson, Newcombe and delta-method 95% intervals cover the truth 93.5%-96.5%", () => {
  // 4,000 seeded experiments of 1,124 users per arm at 7% vs 11% (the business case). Binomial SE of a 95%
  // coverage estimate is sqrt(0.95 * 0.05 / 4000) = 0.0034; the tolerance is about +-4.4 SE.
  const rng = new Random(404);
  const trials = 4000;
  let wilson = 0;
  let newcombe = 0;
  let delta = 0;
  for (let i = 0; i < trials; i++) {
    const control = { units: 1124, clicks: rng.binomial(1124, 0.07) };
    const treatment = { units: 1124, clicks: rng.binomial(1124, 0.11) };
    const w = wilsonInterval(control);
    if (w.lower <= 0.07 && 0.07 <= w.upper) wilson++;
    const d = newcombeDifferenceInterval({ control, treatment });
    if (d.lower <= 0.04 && 0.04 <= d.upper) newcombe++;
    const r = relativeLiftInterval({ control, treatment }).interval;
    if (r.lower <= 0.11 / 0.07 - 1 && 0.11 / 0.07 - 1 <= r.upper) delta++;
  }
  for (const [name, covered] of [
    ["Wilson", wilson],
    ["Newcombe", newcombe],
    ["delta", delta],
  ] as const) {
    const coverage = covered / trials;
    assert.ok(coverage > 0.935 && coverage < 0.965, `${name} coverage ${coverage}`);
  }
});
