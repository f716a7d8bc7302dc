/**
 * Commander option parsers for numbers, integers and probabilities: every command parses its numeric options with
 * these, so a bad value fails the same way everywhere (an InputError naming the option, exit status 2).
 */
import { InputError } from "../core/errors";

function parseNumber(value: string, name: string, expected: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n))
    throw new InputError(`expected ${expected}, got "${value}"`, { field: name });
  return n;
}

/** A parser for a finite number. */
export function numberOption(name: string) {
  return (value: string): number => parseNumber(value, name, "a number");
}

/** A parser for an integer >= `min` (default: any integer). */
export function integerOption(name: string, min = -Infinity) {
  const expected = Number.isFinite(min) ? `an integer >= ${min}` : "an integer";
  return (value: string): number => {
    const n = parseNumber(value, name, expected);
    if (!Number.isInteger(n) || n < min)
      throw new InputError(`expected ${expected}, got "${value}"`, { field: name });
    return n;
  };
}

/** A parser for a probability or share, in [0, 1]. */
export function probabilityOption(name: string) {
  return (value: string): number => {
    const p = parseNumber(value, name, "a number in [0, 1]");
    if (!(p >= 0 && p <= 1))
      throw new InputError(`expected a number in [0, 1], got "${value}"`, { field: name });
    return p;
  };
}
