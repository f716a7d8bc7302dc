import { test } from "node:test";
import * as assert from "node:assert/strict";
import { assertClose as close } from "../support/approx";
import {
  betaCdf,
  betaPdf,
  chiSquareUpperTail,
  normalCdf,
  normalQuantile,
  normalUpperTail,
  studentTQuantile,
  studentTUpperTail,
} from "../../src/stats/distributions";

test("normal quantiles match the standard normal table (Abramowitz & Stegun 1964, Table 26.5), to 1e-6", () => {
  close(normalQuantile(0.975), 1.959964, 1e-6, "z_0.975");
  close(normalQuantile(0.95), 1.644854, 1e-6, "z_0.95");
  close(normalQuantile(0.9), 1.281552, 1e-6, "z_0.90");
  close(normalQuantile(0.995), 2.575829, 1e-6, "z_0.995");
  assert.throws(() => normalQuantile(1), RangeError);
});

test("normal cdf and quantile are inverse and symmetric; far tails keep relative accuracy", () => {
  for (const p of [1e-9, 0.001, 0.2, 0.5, 0.8, 0.999])
    close(normalCdf(normalQuantile(p)), p, 1e-9 * Math.max(1, p * 1e3), `p ${p}`);
  close(normalCdf(-1.3) + normalCdf(1.3), 1, 1e-15, "symmetry");
  // 1 - Phi(8) = 6.220961e-16 (A&S 26.2.12 / any normal table with extended tails), relative tolerance 1e-6.
  close(normalUpperTail(8) / 6.220961e-16, 1, 1e-6, "upper tail at 8");
});

test("chi-square tails: the 5% critical values 3.841 (1 df) and 5.991 (2 df) from the chi-square table", () => {
  close(chiSquareUpperTail(3.841459, 1), 0.05, 1e-6, "1 df");
  close(chiSquareUpperTail(5.991465, 2), 0.05, 1e-6, "2 df");
  assert.equal(chiSquareUpperTail(0, 1), 1);
});

test("beta cdf/pdf: Beta(1,1) is uniform, Beta(2,1) has cdf x^2 (closed forms)", () => {
  close(betaCdf(0.3, 1, 1), 0.3, 1e-12, "uniform cdf");
  close(betaCdf(0.3, 2, 1), 0.09, 1e-12, "Beta(2,1) cdf");
  close(betaPdf(0.3, 2, 1), 0.6, 1e-12, "Beta(2,1) pdf");
  // Large parameters (a posterior after ~2000 users) must not overflow.
  assert.ok(Number.isFinite(betaPdf(0.09, 204, 2046)) && betaPdf(0.09, 204, 2046) > 0);
});

test("Student t tails: the t table's 97.5% points 12.706 (1 df), 2.228 (10 df), 1.960 (infinite df), to 1e-6", () => {
  close(studentTUpperTail(12.706205, 1), 0.025, 1e-6, "1 df");
  close(studentTUpperTail(2.228139, 10), 0.025, 1e-6, "10 df");
  close(studentTUpperTail(-2.228139, 10), 0.975, 1e-6, "10 df, lower side");
  close(studentTUpperTail(1.959964, 1e7), 0.025, 1e-6, "large df tends to the normal");
});

test("Student t matches the t table (Abramowitz & Stegun 1964, Table 26.10) and tends to the normal", () => {
  close(studentTQuantile(0.975, 5), 2.570582, 1e-6, "t_0.975,5");
  close(studentTQuantile(0.95, 10), 1.812461, 1e-6, "t_0.95,10");
  close(studentTUpperTail(2.570582, 5), 0.025, 1e-7, "upper tail at t_0.975,5");
  close(studentTUpperTail(-1.812461, 10), 0.95, 1e-7, "symmetry");
  close(studentTUpperTail(1.959964, 1e7), 0.025, 1e-7, "large dof: the normal");
});
