/**
 * The few distribution functions the experiment statistics need, as typed wrappers over jstat (the project's one
 * statistics dependency), so the rest of src/experiment never touches jstat's untyped API.
 *
 * Tail probabilities use the complementary error function directly, so small p-values keep their relative
 * accuracy instead of being computed as 1 - (something close to 1).
 */

interface JStat {
  erfc(x: number): number;
  gammaln(x: number): number;
  betaln(a: number, b: number): number;
  ibeta(x: number, a: number, b: number): number;
  beta: { inv(p: number, a: number, b: number): number };
  normal: { inv(p: number, mean: number, sd: number): number };
  studentt: { inv(p: number, dof: number): number };
  chisquare: { cdf(x: number, dof: number): number };
}

const { jStat } = require("jstat") as { jStat: JStat };

/**
 * Upper tail of the standard normal, Q(x) = 1 - Phi(x). Below x = 3 it is erfc(x / sqrt(2)) / 2 (jstat); from
 * x = 3 on, where jstat's erfc loses relative accuracy (2% at x = 8), Laplace's continued fraction for Mills'
 * ratio, Q(x) = phi(x) / (x + 1/(x + 2/(x + 3/(x + ...)))) (Abramowitz & Stegun 1964, 26.2.14), evaluated
 * backwards from 200 terms, which converges to double precision there.
 */
export function normalUpperTail(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 3) return 0.5 * jStat.erfc(x / Math.SQRT2);
  let fraction = x;
  for (let k = 200; k >= 1; k--) fraction = x + k / fraction;
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) / fraction;
}

/**
 * Standard normal cumulative distribution function Phi(x) = Q(-x).
 *
 * @example
 * normalCdf(1.959964); // => 0.975
 */
export function normalCdf(x: number): number {
  return normalUpperTail(-x);
}

/**
 * Standard normal quantile, Phi^-1(p), for 0 < p < 1.
 *
 * @example
 * normalQuantile(0.975); // => 1.959963984540054
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  return jStat.normal.inv(p, 0, 1);
}

/** Upper tail of the chi-square distribution with `dof` degrees of freedom, P(X >= x). */
export function chiSquareUpperTail(x: number, dof: number): number {
  if (x <= 0) return 1;
  // For 1 degree of freedom X = Z^2, so the tail is 2 * (1 - Phi(sqrt(x))), exact and accurate in the far tail.
  if (dof === 1) return 2 * normalUpperTail(Math.sqrt(x));
  return 1 - jStat.chisquare.cdf(x, dof);
}

/**
 * Upper tail of Student's t with `dof` (> 0, not necessarily whole) degrees of freedom, P(T >= t), as
 * I_{dof/(dof+t^2)}(dof/2, 1/2) / 2 for t >= 0 (Abramowitz & Stegun 1964, 26.7.1 with 26.5.27), through jstat's
 * incomplete beta: within about 1e-8 of scipy's t.sf, ample for p-values quoted to six digits.
 *
 * @example
 * studentTUpperTail(2.228139, 10); // => 0.025 (the t table's 97.5% point for 10 df)
 * studentTUpperTail(2.1140844, 12.7471249); // => 0.0274057 (half the two-sided 0.0548115)
 */
export function studentTUpperTail(t: number, dof: number): number {
  if (Number.isNaN(t) || !(dof > 0)) return NaN;
  const half = 0.5 * betaCdf(dof / (dof + t * t), dof / 2, 0.5);
  return t >= 0 ? half : 1 - half;
}

/**
 * Student's t quantile for 0 < p < 1 (jstat's studentt.inv; relative error about 2e-8 against scipy's t.ppf).
 *
 * @example
 * studentTQuantile(0.975, 5); // => 2.5705818 (t tables: 2.571)
 */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile needs 0 < p < 1, got ${p}`);
  return jStat.studentt.inv(p, dof);
}

/** Natural log of the gamma function. */
export function logGamma(x: number): number {
  return jStat.gammaln(x);
}

/** Natural log of the beta function B(a, b). */
export function logBeta(a: number, b: number): number {
  return jStat.betaln(a, b);
}

/** Regularised incomplete beta function I_x(a, b): the Beta(a, b) cumulative distribution at x. */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return jStat.ibeta(x, a, b);
}

/** Beta(a, b) quantile F^-1(p) for p in [0, 1] (jstat's inverse of the regularised incomplete beta). */
export function betaQuantile(p: number, a: number, b: number): number {
  return jStat.beta.inv(p, a, b);
}

/** Beta(a, b) density at x, computed in log space so large parameters (thousands of users) do not overflow. */
export function betaPdf(x: number, a: number, b: number): number {
  if (x <= 0 || x >= 1) return 0;
  return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logBeta(a, b));
}

/** log of the binomial coefficient C(n, k). */
export function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}
