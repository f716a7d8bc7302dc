import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Random } from "../../src/core/random";

test("same seed gives the same stream; different seeds differ", () => {
  const a = new Random(7);
  const b = new Random(7);
  const c = new Random(8);
  const draws = (r: Random) => Array.from({ length: 5 }, () => r.float());
  const da = draws(a);
  assert.deepEqual(da, draws(b));
  assert.notDeepEqual(da, draws(c));
});

test("float is uniform on [0,1): mean and variance within 5 standard errors (n = 100,000)", () => {
  const r = new Random(1);
  const n = 100_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = r.float();
    assert.ok(x >= 0 && x < 1);
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / n;
  // Uniform(0,1): mean 1/2, variance 1/12; SE of the mean sqrt(1/12/n).
  assert.ok(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  assert.ok(Math.abs(sumSq / n - mean * mean - 1 / 12) < 0.002);
});

test("int(n) covers 0..n-1 evenly (chi-square, 9 df, below the 0.999 quantile 27.88)", () => {
  const r = new Random(2);
  const counts = new Array(10).fill(0);
  const n = 50_000;
  for (let i = 0; i < n; i++) counts[r.int(10)]++;
  const expected = n / 10;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 27.88, `chi2 ${chi2}`);
  assert.throws(() => r.int(0), /positive integer/);
});

test("normal has mean 0 and variance 1 within 5 standard errors", () => {
  const r = new Random(3);
  const n = 100_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    sum += z;
    sumSq += z * z;
  }
  assert.ok(Math.abs(sum / n) < 5 / Math.sqrt(n));
  assert.ok(Math.abs(sumSq / n - 1) < 5 * Math.sqrt(2 / n));
});

test("forks are reproducible and independent of each other", () => {
  const root1 = new Random(9);
  const root2 = new Random(9);
  const f1 = root1.fork();
  const g1 = root1.fork();
  const f2 = root2.fork();
  const x = Array.from({ length: 4 }, () => f1.float());
  assert.deepEqual(
    x,
    Array.from({ length: 4 }, () => f2.float()),
  );
  assert.notDeepEqual(
    x,
    Array.from({ length: 4 }, () => g1.float()),
  );
});
