/**
 * The experiment as it unfolded: cumulative visits, clicks, CTR per arm and p-values after every `step` visits
 * in serving order, for the "over the course of the experiment" figure, the report's sequential section and
 * notebook 05. The fixed-sample p-values at intermediate looks are shown to illustrate peeking, not to decide;
 * the always-valid p-value (src/stats/sequential.ts) is the one that may be read at any look.
 */
import { twoProportionZTest } from "../stats/proportions-test";
import { sequentialLooks } from "../stats/sequential";
import type { TwoArmCounts } from "../stats/summary";
import type { ArmNames } from "./counts";
import type { VisitEvent } from "../serving/event-store";

export interface CumulativePoint {
  /** Visits so far, both arms (1-based count in serving order). */
  visits: number;
  controlVisits: number;
  controlClicks: number;
  treatmentVisits: number;
  treatmentClicks: number;
  controlCtr: number;
  treatmentCtr: number;
  /** Pooled z-test, H1 treatment > control (the pre-registered test), at this look. */
  pValueOneSided: number;
  /** Pooled z-test, two-sided, at this look. */
  pValueTwoSided: number;
  /** Always-valid (two-sided) p-value, running minimum over the looks so far. */
  alwaysValidPValue: number;
}

export interface CumulativeOptions {
  /** Visits between looks (the last visit is always a look). Default: about 100 looks in all. */
  step?: number;
  /** Significance level of the sequential analysis. Default 0.05. */
  alpha?: number;
  /** Sequential tuning parameter N* (default: the number of visits, the designed total). */
  tuningParameter?: number;
}

/**
 * Looks after every `step` visits (and at the end). A look is taken once both arms have a visit and a pooled rate
 * strictly between 0 and 1 (before that no test statistic exists).
 *
 * @example
 * cumulativeLooks(readVisitEvents("events.sqlite"), { control: "baseline", treatment: "challenger" }).at(-1)
 * // => { visits: 2248, controlCtr: 0.07, treatmentCtr: 0.11, pValueOneSided: ..., ... }
 */
export function cumulativeLooks(
  events: readonly VisitEvent[],
  names: ArmNames,
  options: CumulativeOptions = {},
): CumulativePoint[] {
  const step = options.step ?? Math.max(1, Math.round(events.length / 100));
  let cv = 0;
  let cc = 0;
  let tv = 0;
  let tc = 0;
  const looks: { visits: number; counts: TwoArmCounts }[] = [];
  events.forEach((event, i) => {
    if (event.variant === names.control) {
      cv++;
      cc += event.clicked;
    } else if (event.variant === names.treatment) {
      tv++;
      tc += event.clicked;
    }
    const visits = i + 1;
    const pooledClicks = cc + tc;
    const testable = cv > 0 && tv > 0 && pooledClicks > 0 && pooledClicks < cv + tv;
    if (testable && (visits % step === 0 || visits === events.length))
      looks.push({
        visits,
        counts: { control: { units: cv, clicks: cc }, treatment: { units: tv, clicks: tc } },
      });
  });
  const sequential = sequentialLooks(
    looks.map((look) => look.counts),
    { alpha: options.alpha ?? 0.05, tuningParameter: options.tuningParameter ?? Math.max(events.length, 1) },
  );
  return looks.map(({ visits, counts }, k) => ({
    visits,
    controlVisits: counts.control.units,
    controlClicks: counts.control.clicks,
    treatmentVisits: counts.treatment.units,
    treatmentClicks: counts.treatment.clicks,
    controlCtr: counts.control.clicks / counts.control.units,
    treatmentCtr: counts.treatment.clicks / counts.treatment.units,
    pValueOneSided: twoProportionZTest(counts, "greater").pValue,
    pValueTwoSided: twoProportionZTest(counts, "two-sided").pValue,
    alwaysValidPValue: sequential[k].pValue,
  }));
}
