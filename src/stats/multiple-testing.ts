/**
 * Corrections for testing several (secondary) metrics at once, as adjusted p-values in the input order (the
 * definitions of R's `p.adjust`): reject hypothesis i at level alpha when its adjusted p-value is <= alpha.
 */
import { InputError } from "../core/errors";

function checkPValues(pValues: readonly number[]): void {
  for (const p of pValues)
    if (!(p >= 0 && p <= 1))
      throw new InputError(`expected p-values in [0, 1], got ${p}`, { field: "pValues" });
}

/** Indices of `values` sorted ascending by value. */
function ascendingOrder(values: readonly number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
}

/**
 * Holm's step-down adjustment, controlling the family-wise error rate (Holm 1979, Scand. J. Statist. 6:65-70):
 * with p_(1) <= ... <= p_(m), adjusted p_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)).
 *
 * @example
 * holmAdjust([0.01, 0.04, 0.03]); // => [0.03, 0.06, 0.06]
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  checkPValues(pValues);
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * Benjamini-Hochberg step-up adjustment, controlling the false discovery rate (Benjamini & Hochberg 1995,
 * JRSS B 57:289-300): adjusted p_(i) = min_{j >= i} min(1, m p_(j) / j).
 *
 * @example
 * benjaminiHochbergAdjust([0.01, 0.04, 0.03]); // => [0.03, 0.04, 0.04]
 */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  checkPValues(pValues);
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const index = order[rank];
    running = Math.min(running, Math.min(1, (m * pValues[index]) / (rank + 1)));
    adjusted[index] = running;
  }
  return adjusted;
}

export interface AdjustedPValue {
  readonly name: string;
  readonly pValue: number;
  readonly holmAdjustedPValue: number;
  readonly benjaminiHochbergAdjustedPValue: number;
}

/** Both adjustments for a named family of p-values (e.g. the secondary metrics of one experiment). */
export function adjustPValues(family: readonly { name: string; pValue: number }[]): AdjustedPValue[] {
  const raw = family.map((m) => m.pValue);
  const holm = holmAdjust(raw);
  const bh = benjaminiHochbergAdjust(raw);
  return family.map((m, i) => ({
    name: m.name,
    pValue: m.pValue,
    holmAdjustedPValue: holm[i],
    benjaminiHochbergAdjustedPValue: bh[i],
  }));
}
