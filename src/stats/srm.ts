/**
 * Sample ratio mismatch (SRM): did the router split users as planned? A chi-square goodness-of-fit test of the
 * observed users per arm against the planned shares; like GrowthBook, a p-value below 0.001 flags the experiment,
 * whose results should then not be trusted until the cause (a bug in assignment, logging or bot filtering) is found.
 * Kohavi, Tang & Xu 2020, Trustworthy Online Controlled Experiments, chapter 21; Fabijan et al. 2019 (KDD).
 */
import { InputError } from "../core/errors";
import { chiSquareUpperTail } from "./distributions";

/** GrowthBook's default SRM threshold. */
export const SRM_P_VALUE_THRESHOLD = 0.001;

export interface SampleRatioMismatch {
  readonly observedUsers: readonly number[];
  readonly expectedUsers: readonly number[];
  readonly chiSquare: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  readonly threshold: number;
  /** pValue < threshold */
  readonly mismatch: boolean;
}

/**
 * X^2 = sum (observed - expected)^2 / expected with expected = total * share, k - 1 degrees of freedom.
 *
 * @param users users per arm, e.g. [control, treatment]
 * @param plannedShares planned fraction of users per arm (normalised to sum to 1). Default: equal shares.
 * @example
 * sampleRatioMismatch([821588, 815482]); // => pValue 1.8e-6, mismatch true (Kohavi, Tang & Xu 2020)
 */
export function sampleRatioMismatch(
  users: readonly number[],
  plannedShares?: readonly number[],
  threshold = SRM_P_VALUE_THRESHOLD,
): SampleRatioMismatch {
  if (users.length < 2) throw new InputError("expected users for at least two arms", { field: "users" });
  for (const n of users)
    if (!Number.isInteger(n) || n < 0)
      throw new InputError(`expected non-negative integer user counts, got ${n}`, { field: "users" });
  const shares = plannedShares ?? users.map(() => 1);
  if (shares.length !== users.length || shares.some((s) => !(Number.isFinite(s) && s > 0)))
    throw new InputError(`expected one positive planned share per arm, got [${shares.join(", ")}]`, {
      field: "plannedShares",
    });
  const total = users.reduce((a, b) => a + b, 0);
  if (total === 0) throw new InputError("expected at least one user", { field: "users" });
  const shareSum = shares.reduce((a, b) => a + b, 0);
  const expectedUsers = shares.map((s) => (total * s) / shareSum);
  const chiSquare = users.reduce((sum, n, i) => sum + (n - expectedUsers[i]) ** 2 / expectedUsers[i], 0);
  const degreesOfFreedom = users.length - 1;
  const pValue = chiSquareUpperTail(chiSquare, degreesOfFreedom);
  return {
    observedUsers: [...users],
    expectedUsers,
    chiSquare,
    degreesOfFreedom,
    pValue,
    threshold,
    mismatch: pValue < threshold,
  };
}
