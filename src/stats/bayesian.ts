/**
 * Bayesian beta-binomial analysis of two click-through rates (the model behind GrowthBook's, VWO's and Evan
 * Miller's Bayesian A/B calculators): each rate gets a Beta(a0, b0) prior (uniform Beta(1, 1) by default), so its
 * posterior after x clicks from n units (visits or users) is Beta(a0 + x, b0 + n - x), independently per arm.
 *
 * Everything is computed deterministically by one-dimensional numerical integration over the control posterior
 * (Simpson's rule on `integrationNodes` intervals of normal-quantile-spaced points, see `posteriorGrid`); the
 * tests compare the results with Evan Miller's closed forms to 1e-6.
 */
import { InputError } from "../core/errors";
import { betaCdf, betaQuantile, normalCdf } from "./distributions";
import type { Interval } from "./intervals";
import { type TwoArmCounts, requireOpenUnit, validateTwoArmCounts } from "./summary";

export interface BetaDistribution {
  readonly alpha: number;
  readonly beta: number;
}

export interface BayesianSettings {
  /** Beta prior of both rates. Default Beta(1, 1) (uniform). */
  readonly prior?: BetaDistribution;
  /** Probability inside the credible intervals. Default 0.95. */
  readonly credibleLevel?: number;
  /** Simpson intervals of the integration (rounded up to even). Default 2000. */
  readonly integrationNodes?: number;
}

export interface BayesianResult {
  readonly prior: BetaDistribution;
  readonly controlPosterior: BetaDistribution;
  readonly treatmentPosterior: BetaDistribution;
  /** P(p_t > p_c | data): the probability the challenger is better ("chance to win"). */
  readonly probabilityTreatmentBetter: number;
  /** E[max(p_c - p_t, 0)]: the click-through rate expected to be lost by shipping the treatment. */
  readonly expectedLossChoosingTreatment: number;
  /** E[max(p_t - p_c, 0)]: the rate expected to be lost by keeping the control. */
  readonly expectedLossChoosingControl: number;
  readonly credibleLevel: number;
  /** Equal-tailed credible interval of the relative lift p_t / p_c - 1. */
  readonly relativeLiftCredibleInterval: Interval;
  /** Equal-tailed credible interval of the difference p_t - p_c. */
  readonly differenceCredibleInterval: Interval;
  readonly integrationNodes: number;
}

/** Posterior Beta(a0 + clicks, b0 + units - clicks). */
export function betaPosterior(prior: BetaDistribution, units: number, clicks: number): BetaDistribution {
  return { alpha: prior.alpha + clicks, beta: prior.beta + units - clicks };
}

/** Integration grid: points of the control posterior and their weights (summing to ~1). */
interface Grid {
  readonly points: Float64Array;
  readonly weights: Float64Array;
}

/** Half-width of the standard-normal range the grid covers; the mass outside is 2.6e-12. */
const GRID_RANGE = 7;

/**
 * The control posterior's quantiles F_c^-1(Phi(s)) on `nodes` equal intervals of s in [-7, 7], with Simpson
 * weights times phi(s): E[g(p_c)] = integral g(F_c^-1(Phi(s))) phi(s) ds. Spacing the nodes as normal quantiles
 * puts them where a near-normal posterior has its mass and keeps the integrand smooth in the tails.
 */
function posteriorGrid(posterior: BetaDistribution, nodes: number): Grid {
  const intervals = nodes % 2 === 0 ? nodes : nodes + 1;
  const h = (2 * GRID_RANGE) / intervals;
  const points = new Float64Array(intervals + 1);
  const weights = new Float64Array(intervals + 1);
  for (let i = 0; i <= intervals; i++) {
    const s = -GRID_RANGE + i * h;
    points[i] = betaQuantile(normalCdf(s), posterior.alpha, posterior.beta);
    const simpson = i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2;
    weights[i] = ((simpson * h) / 3) * (Math.exp(-0.5 * s * s) / Math.sqrt(2 * Math.PI));
  }
  return { points, weights };
}

function mean(grid: Grid, g: (c: number) => number): number {
  let sum = 0;
  for (let i = 0; i < grid.points.length; i++) sum += grid.weights[i] * g(grid.points[i]);
  return sum;
}

/**
 * E[g(X)] for X ~ `distribution`, by the same integration as `bayesianAnalysis` (so a probability computed with it
 * agrees with the analysis's to rounding).
 *
 * @example
 * betaExpectation({ alpha: 2, beta: 1 }, (x) => x); // => 0.6666666667 (the mean, 2 / 3)
 */
export function betaExpectation(
  distribution: BetaDistribution,
  g: (x: number) => number,
  integrationNodes = 2000,
): number {
  return mean(posteriorGrid(distribution, integrationNodes), g);
}

/** The smallest t with cdf(t) >= p, by bisection on [low, high] to 1e-9. */
function quantile(cdf: (t: number) => number, p: number, low: number, high: number): number {
  while (high - low > 1e-9) {
    const mid = (low + high) / 2;
    if (cdf(mid) >= p) high = mid;
    else low = mid;
  }
  return (low + high) / 2;
}

/**
 * Beta-binomial comparison of treatment and control:
 *   P(p_t > p_c) = E_c[1 - F_t(p_c)],
 *   E[max(p_c - p_t, 0)] = E_c[p_c F_t(p_c) - m_t F_t+(p_c)]  with m_t = a_t / (a_t + b_t) and F_t+ the cdf of
 *                          Beta(a_t + 1, b_t) (because x f_t(x) = m_t f_t+(x)),
 *   E[max(p_t - p_c, 0)] = E[max(p_c - p_t, 0)] + E[p_t] - E[p_c],
 *   P(p_t / p_c - 1 <= l) = E_c[F_t((1 + l) p_c)],  P(p_t - p_c <= d) = E_c[F_t(p_c + d)],
 * inverted by bisection for the equal-tailed credible intervals.
 * Sources: Evan Miller 2015, "Formulas for Bayesian A/B testing" (closed forms for integer parameters, used in
 * the tests); Chris Stucchio 2015, "Bayesian A/B testing at VWO" (expected loss as the decision criterion).
 *
 * @example
 * bayesianAnalysis({ control: { units: 1124, clicks: 79 }, treatment: { units: 1124, clicks: 124 } });
 * // => probabilityTreatmentBetter ~0.9995
 */
export function bayesianAnalysis(counts: TwoArmCounts, settings: BayesianSettings = {}): BayesianResult {
  const { control, treatment } = validateTwoArmCounts(counts);
  const prior = settings.prior ?? { alpha: 1, beta: 1 };
  if (!(prior.alpha > 0 && prior.beta > 0 && Number.isFinite(prior.alpha) && Number.isFinite(prior.beta)))
    throw new InputError(`expected positive Beta prior parameters, got ${prior.alpha}, ${prior.beta}`, {
      field: "prior",
    });
  const credibleLevel = requireOpenUnit(settings.credibleLevel ?? 0.95, "credibleLevel");
  const nodes = settings.integrationNodes ?? 2000;
  if (!Number.isInteger(nodes) || nodes < 10)
    throw new InputError(`expected an integer of at least 10 integration nodes, got ${nodes}`, {
      field: "integrationNodes",
    });
  const c = betaPosterior(prior, control.units, control.clicks);
  const t = betaPosterior(prior, treatment.units, treatment.clicks);
  const grid = posteriorGrid(c, nodes);
  const meanC = c.alpha / (c.alpha + c.beta);
  const meanT = t.alpha / (t.alpha + t.beta);

  const probabilityTreatmentBetter = mean(grid, (pc) => 1 - betaCdf(pc, t.alpha, t.beta));
  const lossTreatment = Math.max(
    0,
    mean(grid, (pc) => pc * betaCdf(pc, t.alpha, t.beta) - meanT * betaCdf(pc, t.alpha + 1, t.beta)),
  );
  const lossControl = Math.max(0, lossTreatment + meanT - meanC);

  const tail = (1 - credibleLevel) / 2;
  const liftCdf = (l: number) => mean(grid, (pc) => betaCdf((1 + l) * pc, t.alpha, t.beta));
  const differenceCdf = (d: number) => mean(grid, (pc) => betaCdf(pc + d, t.alpha, t.beta));
  // The lift lives in (-1, 1/min p_c - 1); bracket it by the grid's smallest control quantile.
  const liftHigh = 1 / grid.points[0] - 1;
  return {
    prior,
    controlPosterior: c,
    treatmentPosterior: t,
    probabilityTreatmentBetter,
    expectedLossChoosingTreatment: lossTreatment,
    expectedLossChoosingControl: lossControl,
    credibleLevel,
    relativeLiftCredibleInterval: {
      lower: quantile(liftCdf, tail, -1, liftHigh),
      upper: quantile(liftCdf, 1 - tail, -1, liftHigh),
    },
    differenceCredibleInterval: {
      lower: quantile(differenceCdf, tail, -1, 1),
      upper: quantile(differenceCdf, 1 - tail, -1, 1),
    },
    integrationNodes: nodes,
  };
}
