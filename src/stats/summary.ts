/**
 * The inputs of every analysis: small immutable summaries of one arm of an experiment (gbstats'
 * `ProportionStatistic(n, sum)` habit), validated once where they are made.
 */
import { InputError } from "../core/errors";

/** One arm of a two-proportion experiment: how many users saw it and how many of them clicked. */
export interface ProportionSummary {
  readonly users: number;
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

/** The observed rate clicks / users. */
export function rate(summary: ProportionSummary): number {
  return summary.clicks / summary.users;
}

/**
 * Builds a validated summary: users a positive integer, clicks an integer in 0..users.
 *
 * @throws InputError naming `field` and what was expected.
 */
export function proportionSummary(users: number, clicks: number, field = "counts"): ProportionSummary {
  if (!Number.isInteger(users) || users <= 0)
    throw new InputError(`expected the number of users to be a positive integer, got ${users}`, { field });
  if (!Number.isInteger(clicks) || clicks < 0)
    throw new InputError(`expected the number of clicks to be a non-negative integer, got ${clicks}`, {
      field,
    });
  if (clicks > users) throw new InputError(`clicks (${clicks}) cannot exceed users (${users})`, { field });
  return Object.freeze({ users, clicks });
}

/** Validates both arms of `counts` (field names "control" and "treatment"). */
export function validateTwoArmCounts(counts: TwoArmCounts): TwoArmCounts {
  return Object.freeze({
    control: proportionSummary(counts.control.users, counts.control.clicks, "control"),
    treatment: proportionSummary(counts.treatment.users, counts.treatment.clicks, "treatment"),
  });
}

/**
 * Parses "CLICKS/USERS" (e.g. "79/1124"), the form the CLI takes.
 *
 * @example
 * parseProportionSummary("79/1124", "control"); // => { users: 1124, clicks: 79 }
 * @throws InputError for anything but two non-negative integers separated by "/", or clicks > users.
 */
export function parseProportionSummary(text: string, field: string): ProportionSummary {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new InputError(`expected CLICKS/USERS such as 79/1124, got "${text}"`, { field });
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
