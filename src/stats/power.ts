/**
 * The inverse design problems: the power a given sample size achieves, the minimum detectable effect for a given
 * sample size, and how many days the experiment must run to reach its sample size.
 */
import { InputError } from "../core/errors";
import { normalCdf } from "./distributions";
import {
  cohensH,
  type DesignSettings,
  type ResolvedDesign,
  resolveDesign,
  type SampleSizeMethod,
} from "./design";
import { requireOpenUnit, requirePositive } from "./summary";

function requireUsers(controlUsers: number): number {
  if (!(Number.isFinite(controlUsers) && controlUsers > 0))
    throw new InputError(`expected a positive number of users per group, got ${controlUsers}`, {
      field: "users",
    });
  return controlUsers;
}

/** Power of the design's test with `controlUsers` in control (and ratio * that in treatment). */
function powerOfResolved(design: ResolvedDesign, controlUsers: number, method: SampleSizeMethod): number {
  const { baselineRate: pc, treatmentRate: pt, allocationRatio: r, zAlpha } = design;
  if (method === "cohen-h") {
    const h = Math.abs(cohensH(pc, pt));
    return normalCdf(h * Math.sqrt(controlUsers / (1 + 1 / r)) - zAlpha);
  }
  const delta = Math.abs(pt - pc);
  // Invert the continuity correction: m' = (m - (r + 1) / (2 r |delta|))^2 / m (Fleiss, Levin & Paik 2003, ch. 4).
  const shift = (r + 1) / (2 * r * delta);
  const effective =
    method === "fleiss-cc"
      ? controlUsers > shift
        ? (controlUsers - shift) ** 2 / controlUsers
        : 0
      : controlUsers;
  const pbar = (pc + r * pt) / (r + 1);
  const nullSd = Math.sqrt((r + 1) * pbar * (1 - pbar));
  const alternativeSd = Math.sqrt(r * pc * (1 - pc) + pt * (1 - pt));
  return normalCdf((delta * Math.sqrt(r * effective) - zAlpha * nullSd) / alternativeSd);
}

/**
 * Power achieved with `controlUsers` users in control: the sample-size formula of `method` solved for z_beta,
 *   power = Phi((|delta| sqrt(r m') - z_a sqrt((r + 1) pbar qbar)) / sqrt(r p_c q_c + p_t q_t))  (pooled, fleiss-cc)
 *   power = Phi(|h| sqrt(m / (1 + 1/r)) - z_a)                                                    (cohen-h)
 * The opposite tail of a two-sided test is ignored (as R's `power.prop.test` does with strict = FALSE).
 * `settings.power` is not used.
 *
 * @example
 * powerForSampleSize({ baselineRate: 0.07, minimumDetectableEffect: 0.04 }, 1074, "pooled"); // => 0.9002
 */
export function powerForSampleSize(
  settings: DesignSettings,
  controlUsers: number,
  method: SampleSizeMethod = "fleiss-cc",
): number {
  return powerOfResolved(resolveDesign(settings), requireUsers(controlUsers), method);
}

export interface MinimumDetectableEffect {
  /** Smallest increase p_t - p_c detected with the requested power. */
  readonly absoluteEffect: number;
  /** The same as a relative lift p_t / p_c - 1. */
  readonly relativeEffect: number;
  readonly treatmentRate: number;
}

/**
 * The smallest increase over the baseline detected with the design's power at `controlUsers` per control group
 * (bisection on the absolute effect, to 1e-10, of the monotone power function above).
 * `settings.minimumDetectableEffect` is ignored.
 *
 * @throws InputError when even p_t -> 1 is not detectable with this many users.
 */
export function minimumDetectableEffect(
  settings: Omit<DesignSettings, "minimumDetectableEffect" | "relativeEffect">,
  controlUsers: number,
  method: SampleSizeMethod = "fleiss-cc",
): MinimumDetectableEffect {
  requireUsers(controlUsers);
  const pc = requireOpenUnit(settings.baselineRate, "baseline");
  const target = requireOpenUnit(settings.power ?? 0.9, "power");
  const powerAt = (delta: number) =>
    powerOfResolved(resolveDesign({ ...settings, minimumDetectableEffect: delta }), controlUsers, method);
  let low = 0;
  let high = 1 - pc - 1e-12;
  if (powerAt(high) < target)
    throw new InputError(
      `no increase over ${pc} reaches power ${target} with ${controlUsers} users per group`,
      {
        field: "users",
      },
    );
  while (high - low > 1e-10) {
    const mid = (low + high) / 2;
    if (mid > 0 && powerAt(mid) >= target) high = mid;
    else low = mid;
  }
  return { absoluteEffect: high, relativeEffect: high / pc, treatmentRate: pc + high };
}

export interface ExperimentDuration {
  readonly days: number;
  /** Users entering the experiment per day: dailyUsers * trafficFraction. */
  readonly usersPerDay: number;
}

/**
 * Days needed to enrol `totalUsers` when `dailyUsers` new users arrive per day and `trafficFraction` of them enter
 * the experiment: ceil(totalUsers / (dailyUsers * trafficFraction)). Round up to whole weeks yourself if weekly
 * seasonality matters.
 *
 * @example
 * experimentDuration({ totalUsers: 2248, dailyUsers: 500 }); // => { days: 5, usersPerDay: 500 }
 */
export function experimentDuration(input: {
  totalUsers: number;
  dailyUsers: number;
  trafficFraction?: number;
}): ExperimentDuration {
  requirePositive(input.totalUsers, "totalUsers");
  requirePositive(input.dailyUsers, "dailyUsers");
  const fraction = input.trafficFraction ?? 1;
  if (!(fraction > 0 && fraction <= 1))
    throw new InputError(`expected a traffic fraction in (0, 1], got ${fraction}`, {
      field: "trafficFraction",
    });
  const usersPerDay = input.dailyUsers * fraction;
  return { days: Math.ceil(input.totalUsers / usersPerDay - 1e-9), usersPerDay };
}
