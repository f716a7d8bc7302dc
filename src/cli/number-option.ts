/** Parsing of numeric CLI options into numbers, with an InputError naming the option. */
import { InputError } from "../core/errors";

/** A commander option parser for a number (or an integer), naming the option when the value is not one. */
export function numberOption(name: string, integer = false) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
      throw new InputError(`expected ${integer ? "an integer" : "a number"}, got "${value}"`, {
        field: name,
      });
    return n;
  };
}
