/**
 * From the event store's counts to the two arms the statistics compare. The unit of analysis must match the unit
 * of randomisation (src/simulation/population.ts, src/serving/assignment.ts):
 *
 * - "visit" (default): one trial per impression (one visit = one served slate), a success when it was clicked
 *   (the store keeps at most one click per impression). Right whenever the router randomises each request
 *   (`random` routing) and when visitors are drawn with replacement, so one user may visit several times, as with
 *   ml-latest-small's test population and the designed 2 x 1124 visits.
 * - "user": one trial per user, a success when the user clicked at least once. Right only under sticky routing,
 *   where every user sees one variant; refused when a user was served by both variants.
 */
import { InputError } from "../core/errors";
import type { EventCounts, VariantCounts } from "../serving/event-store";
import { proportionSummary, type TwoArmCounts } from "../stats/summary";

export type AnalysisUnit = "visit" | "user";

export const ANALYSIS_UNITS: readonly AnalysisUnit[] = ["visit", "user"];

export interface ArmNames {
  /** The production model's variant name (control). */
  control: string;
  /** The challenger's variant name (treatment). */
  treatment: string;
}

/**
 * The control and treatment variant names: the ones given, else the router's children recorded in the store
 * (child 0 = A = control, child 1 = B = treatment), else "baseline" and "challenger".
 */
export function armNames(counts: EventCounts, given: Partial<ArmNames> = {}): ArmNames {
  return {
    control: given.control ?? counts.settings.child_0 ?? "baseline",
    treatment: given.treatment ?? counts.settings.child_1 ?? "challenger",
  };
}

function variantRow(counts: EventCounts, variant: string, field: string, file?: string): VariantCounts {
  const row = counts.variants.find((v) => v.variant === variant);
  if (!row)
    throw new InputError(
      `no impressions of variant "${variant}" in the event store (variants found: ${
        counts.variants.map((v) => v.variant).join(", ") || "none"
      })`,
      { file, field },
    );
  return row;
}

/**
 * The two arms' trials and successes in `unit` (see the module comment).
 *
 * @example
 * twoArmCountsFromEvents(readVariantCounts("events.sqlite"), "visit")
 * // => { control: { units: 1130, clicks: 79 }, treatment: { units: 1118, clicks: 121 } } (units = visits here)
 * @throws InputError when a variant has no impressions, or for the user unit when users saw both variants.
 */
export function twoArmCountsFromEvents(
  counts: EventCounts,
  unit: AnalysisUnit = "visit",
  names: Partial<ArmNames> = {},
  file?: string,
): TwoArmCounts {
  const { control, treatment } = armNames(counts, names);
  if (control === treatment)
    throw new InputError(`control and treatment are the same variant "${control}"`, {
      file,
      field: "variant",
    });
  const arms = [
    variantRow(counts, control, "control", file),
    variantRow(counts, treatment, "treatment", file),
  ];
  if (unit === "user" && counts.usersInSeveralVariants > 0)
    throw new InputError(
      `${counts.usersInSeveralVariants} users were served by more than one variant (routing ` +
        `"${counts.settings.routing_mode ?? "unknown"}"): users are not independent units here, analyse visits`,
      { file, field: "unit" },
    );
  const [c, t] = arms.map((arm, i) =>
    unit === "visit"
      ? proportionSummary(arm.impressions, arm.clicks, i === 0 ? "control" : "treatment")
      : proportionSummary(arm.users, arm.clickedUsers, i === 0 ? "control" : "treatment"),
  );
  return { control: c, treatment: t };
}
