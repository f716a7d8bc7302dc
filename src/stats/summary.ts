/**
 * The inputs of every analysis: small immutable summaries of one arm of an experiment (gbstats'
 * `ProportionStatistic(n, sum)` habit), validated once where they are made.
 */
import { InputError } from "../core/errors";

/**
 * One arm of a two-proportion experiment: how many randomisation units were exposed to it and how many of them
 * clicked. The unit is whatever the analysis counts: visits (the default run's unit, see src/results/counts.ts) or
 * users.
 */
export interface ProportionSummary {
  /** Units exposed to the arm (visits or users): the binomial's number of trials. */
  readonly units: number;
  /** Units that clicked at least once: the binomial's successes, 0..units. */
  readonly clicks: number;
}

/** The two arms compared: control (the production model) and treatment (the challenger). */
export interface TwoArmCounts {
  readonly control: ProportionSummary;
  readonly treatment: ProportionSummary;
}

/**
 * The alternative hypothesis about the treatment rate p_t versus the control rate p_c: "two-sided" (p_t != p_c),
 * "greater" (p_t > p_c, the one-sided test of "the challenger is better") or "less" (p_t < p_c).
 */
export type Alternative = "two-sided" | "greater" | "less";

/** The observed rate clicks / units. */
export function rate(summary: ProportionSummary): number {
  return summary.clicks / summary.units;
}

/**
 * Builds a validated summary: units a positive integer, clicks an integer in 0..units.
 *
 * @throws InputError naming `field` and what was expected.
 */
export function proportionSummary(units: number, clicks: number, field = "counts"): ProportionSummary {
  if (!Number.isInteger(units) || units <= 0)
    throw new InputError(
      `expected the number of units (visits or users) to be a positive integer, got ${units}`,
      { field },
    );
  if (!Number.isInteger(clicks) || clicks < 0)
    throw new InputError(`expected the number of clicks to be a non-negative integer, got ${clicks}`, {
      field,
    });
  if (clicks > units) throw new InputError(`clicks (${clicks}) cannot exceed units (${units})`, { field });
  return Object.freeze({ units, clicks });
}

/** Validates both arms of `counts` (field names "control" and "treatment"). */
export function validateTwoArmCounts(counts: TwoArmCounts): TwoArmCounts {
  return Object.freeze({
    control: proportionSummary(counts.control.units, counts.control.clicks, "control"),
    treatment: proportionSummary(counts.treatment.units, counts.treatment.clicks, "treatment"),
  });
}

/**
 * Parses "CLICKS/UNITS" (e.g. "79/1124": 79 of 1124 visits clicked), the form the CLI takes.
 *
 * @example
 * parseProportionSummary("79/1124", "control"); // => { units: 1124, clicks: 79 }
 * @throws InputError for anything but two non-negative integers separated by "/", or clicks > units.
 */
export function parseProportionSummary(text: string, field: string): ProportionSummary {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new InputError(`expected CLICKS/UNITS such as 79/1124, got "${text}"`, { field });
  return proportionSummary(Number(match[2]), Number(match[1]), field);
}

/** Checks that a probability-like setting lies strictly between 0 and 1. */
export function requireOpenUnit(value: number, field: string): number {
  if (!(Number.isFinite(value) && value > 0 && value < 1))
    throw new InputError(`expected a number strictly between 0 and 1, got ${value}`, { field });
  return value;
}

/** Checks that a setting is a finite number greater than zero. */
export function requirePositive(value: number, field: string): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new InputError(`expected a positive number, got ${value}`, { field });
  return value;
}
