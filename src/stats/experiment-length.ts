/**
 * How long a user-level experiment on a fixed population runs: the days the pre-period's variance asks for
 * (./ratio-power `ratioExperimentLength`), in whole weeks, capped; or a length fixed by the caller. The design stage
 * of `abrec experiment` and notebook 04 call it on the same pre-period and get the same length.
 */
import { InputError } from "../core/errors";
import type { DesignSettings } from "./design";
import { ratioExperimentLength, ratioPowerAfterDays, type RatioExperimentLength } from "./ratio-power";

/** How long the experiment runs and why: the design's days (in whole weeks, capped), or the length the caller fixed. */
export interface ExperimentLength {
  /** Experiment days to run. */
  days: number;
  chosenBy: "design" | "fixed";
  /** Power at `days` for the design's effect (one-sided, the design's alpha), or null without a design. */
  powerAtLength: number | null;
  /** The design from the pre-period; null when a fixed length was given and the pre-period had no click to fit. */
  design: RatioExperimentLength | null;
}

/** Days in a week: an experiment runs whole weeks so that every weekday counts equally in both arms. */
const WEEK_DAYS = 7;

/**
 * Sizes the experiment from the pre-period as `ratioExperimentLength` does (the days for the design's power at
 * its minimum detectable effect, one-sided at its alpha), rounds them up to whole weeks (Kohavi, Tang & Xu 2020,
 * "Trustworthy Online Controlled Experiments", ch. 2: run full weeks for the day-of-week effect) and caps them at
 * `maxDays`; or takes `fixedDays`.
 *
 * @example
 * chooseExperimentLength(pre, { preDays: 7, maxDays: 14, design: FUNFLIX_DESIGN }).days; // => 14 when 9 are needed
 */
export function chooseExperimentLength(
  prePeriod: { impressions: number[]; clicks: number[] },
  settings: { preDays: number; maxDays: number; design: DesignSettings; fixedDays?: number },
): ExperimentLength {
  const { design } = settings;
  if (design.relativeEffect)
    throw new InputError("the calendar's design takes an absolute minimum detectable effect", {
      field: "design.relativeEffect",
    });
  const alpha = design.alpha ?? 0.05;
  const size = () =>
    ratioExperimentLength(prePeriod, {
      preDays: settings.preDays,
      maxDays: settings.maxDays,
      lift: design.minimumDetectableEffect,
      power: design.power ?? 0.9,
      alpha,
    });
  const powerAfter = (sized: RatioExperimentLength, days: number) =>
    ratioPowerAfterDays(sized.model, days, sized.lift, { alpha, oneSided: true });
  if (settings.fixedDays === undefined) {
    const sized = size();
    const days =
      sized.requiredDays === null
        ? sized.cappedDays
        : Math.min(settings.maxDays, Math.ceil(sized.requiredDays / WEEK_DAYS) * WEEK_DAYS);
    return { days, chosenBy: "design", powerAtLength: powerAfter(sized, days), design: sized };
  }
  let sized: RatioExperimentLength | null = null;
  try {
    sized = size();
  } catch (error) {
    if (!(error instanceof InputError)) throw error; // e.g. a tiny test run's pre-period without a click
  }
  return {
    days: settings.fixedDays,
    chosenBy: "fixed",
    powerAtLength: sized ? powerAfter(sized, settings.fixedDays) : null,
    design: sized,
  };
}
