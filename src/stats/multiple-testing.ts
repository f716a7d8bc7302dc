/**
 * Adjusted p-values for a family of tests, as R's `p.adjust` computes them (methods "holm" and "BH"): compare
 * each adjusted p-value with alpha and the family's error rate is controlled. Holm (1979, "A simple sequentially
 * rejective multiple test procedure", Scandinavian Journal of Statistics 6:65-70) controls the family-wise error
 * rate under any dependence; Benjamini & Hochberg (1995, "Controlling the false discovery rate", JRSS B
 * 57:289-300) controls the false discovery rate, the expected share of false rejections, for independent or
 * positively dependent tests, and rejects more.
 */
import { InputError } from "../core/errors";

function validated(pValues: readonly number[]): readonly number[] {
  pValues.forEach((p, i) => {
    if (!(Number.isFinite(p) && p >= 0 && p <= 1))
      throw new InputError(`expected a p-value between 0 and 1, got ${p}`, { field: `pValues[${i}]` });
  });
  return pValues;
}

/** Indices of `pValues` from the smallest p-value to the largest (ties in input order, as R's `order`). */
function ascendingOrder(pValues: readonly number[]): number[] {
  return pValues.map((_, i) => i).sort((a, b) => pValues[a] - pValues[b] || a - b);
}

/**
 * Holm's step-down adjustment: with p_(1) <= ... <= p_(m), the adjusted p_(i) is
 * max over j <= i of min(1, (m - j + 1) p_(j)); returned in the input order (R's `p.adjust(p, "holm")`).
 *
 * @example
 * holmAdjust([0.04, 0.01, 0.03, 0.2, 0.03]); // => [0.12, 0.05, 0.12, 0.2, 0.12]
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const p = validated(pValues);
  const m = p.length;
  const adjusted = new Array<number>(m);
  let runningMax = 0;
  ascendingOrder(p).forEach((index, rank) => {
    runningMax = Math.max(runningMax, Math.min(1, (m - rank) * p[index]));
    adjusted[index] = runningMax;
  });
  return adjusted;
}

/**
 * Benjamini-Hochberg's step-up adjustment: with p_(1) <= ... <= p_(m), the adjusted p_(i) is
 * min over j >= i of min(1, m p_(j) / j); returned in the input order (R's `p.adjust(p, "BH")`). Rejecting the
 * tests whose adjusted p is at most q is the 1995 procedure at false discovery rate q.
 *
 * @example
 * benjaminiHochbergAdjust([0.04, 0.01, 0.03, 0.2, 0.03]); // => [0.05, 0.05, 0.05, 0.2, 0.05]
 */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  const p = validated(pValues);
  const m = p.length;
  const adjusted = new Array<number>(m);
  const order = ascendingOrder(p);
  let runningMin = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const index = order[rank];
    runningMin = Math.min(runningMin, (m / (rank + 1)) * p[index]);
    adjusted[index] = runningMin;
  }
  return adjusted;
}
