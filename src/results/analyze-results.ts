/**
 * Everything the results report states, computed once from the event store, the design and the ground truth.
 *
 * A store of a user-randomised experiment (sticky routing, every user on one variant) is analysed per user
 * (`userLevel`, ./user-level: the delta method's CTR per impression, CUPED, secondaries, guardrails, SRM and
 * daily sequential looks); that is the decision. The per-impression analyses beside it (`preRegistered`,
 * `twoSided`, `looks`) treat impressions as independent: the right analysis of a store randomised per request
 * (random routing), and shown as the naive one otherwise. Only experiment-phase impressions enter either; the
 * pre-period is CUPED's covariate. Pure apart from reading the event store; written out by ./write.
 */
import { analyzeCounts, type ExperimentAnalysis } from "../stats/analysis";
import { FUNFLIX_BUSINESS_CASE, FUNFLIX_DESIGN } from "../stats/business-case";
import type { DesignSettings, SampleSizeMethod } from "../stats/design";
import { planExperiment, type ExperimentPlan } from "../stats/plan";
import { powerForSampleSize } from "../stats/power";
import {
  readVariantCounts,
  readVisitEvents,
  type EventCounts,
  type VisitEvent,
} from "../serving/event-store";
import { type AnalysisUnit, armNames, type ArmNames, twoArmCountsFromEvents } from "./counts";
import { cumulativeLooks, type CumulativePoint } from "./cumulative";
import { analyzeUserLevel, type UserLevelAnalysis } from "./user-level";

/** The exact expected CTR of each model under the click model (src/simulation/ground-truth.ts), by variant. */
export interface GroundTruthCtr {
  variant: string;
  ctr: number;
}

export interface ResultsAnalysisInput {
  eventsPath: string;
  /** Default: the router's children recorded in the store. */
  names?: Partial<ArmNames>;
  /** Default "visit" (see ./counts). */
  unit?: AnalysisUnit;
  /** Default the business case (src/stats/business-case.ts). */
  design?: DesignSettings;
  /** Default the business case's ("fleiss-cc"). */
  method?: SampleSizeMethod;
  /** Ground truth per variant; empty when unknown (a real experiment). */
  groundTruth?: readonly GroundTruthCtr[];
  /** Planned experiment days (the decision is taken at their end); default: the days in the store. */
  plannedDays?: number;
  /**
   * Failed experiment-phase predictions by model (ServingMetrics.experimentPredictionErrors, summed over the run's
   * processes); the requests are the store's experiment impressions plus these. Absent: not recorded.
   */
  predictionErrors?: Record<string, number>;
}

/** Whether an interval contains a true value. */
export interface Coverage {
  truth: number;
  lower: number;
  upper: number;
  covered: boolean;
}

export interface ResultsAnalysis {
  unit: AnalysisUnit;
  names: ArmNames;
  counts: EventCounts;
  plan: ExperimentPlan;
  /** Power of the pre-registered one-sided test at the planned size per group. */
  oneSidedPowerAtPlannedSize: number;
  /**
   * The pre-registered analysis: H0 p_t <= p_c against H1 p_t > p_c (the challenger's CTR is higher), pooled
   * z-test, one-sided, at the design's alpha, decided once at the planned sample size.
   */
  preRegistered: ExperimentAnalysis;
  /** The same data read two-sided (95% intervals, two-sided p-values), for the intervals and coverage. */
  twoSided: ExperimentAnalysis;
  /** H0 rejected by the pre-registered test. */
  rejectNull: boolean;
  /** Ground-truth CTRs and whether the two-sided Wilson intervals (and the difference and lift intervals) cover them. */
  coverage: {
    control: Coverage | null;
    treatment: Coverage | null;
    difference: Coverage | null;
    relativeLift: Coverage | null;
  };
  looks: CumulativePoint[];
  /** First look at which the always-valid p-value fell below alpha, or null. */
  firstAlwaysValidRejectionVisit: number | null;
  /** The user-level analysis (the decision) of a user-randomised store; null under random routing. */
  userLevel: UserLevelAnalysis | null;
  /** Every stored impression, both phases, in serving order. */
  events: VisitEvent[];
}

function cover(truth: number | undefined, interval: { lower: number; upper: number }): Coverage | null {
  if (truth === undefined) return null;
  return { truth, ...interval, covered: interval.lower <= truth && truth <= interval.upper };
}

/**
 * Reads the event store and computes the results (see `ResultsAnalysis`).
 *
 * @example
 * const r = analyzeResults({ eventsPath: "results/runs/seed-20261128/events.sqlite", groundTruth });
 * r.preRegistered.zTest.pValue; // the one-sided p-value the decision is taken on
 */
export function analyzeResults(input: ResultsAnalysisInput): ResultsAnalysis {
  const design = input.design ?? FUNFLIX_DESIGN;
  const alpha = design.alpha ?? 0.05;
  const counts = readVariantCounts(input.eventsPath);
  const names = armNames(counts, input.names);
  const userRandomised = counts.settings.routing_mode === "sticky" && counts.usersInSeveralVariants === 0;
  const unit = input.unit ?? (userRandomised ? "user" : "visit");
  const arms = twoArmCountsFromEvents(counts, "visit", names, input.eventsPath);
  const plan = planExperiment(design, {
    method: input.method ?? FUNFLIX_BUSINESS_CASE.sampleSizeMethod,
  });
  const plannedTotal = plan.chosen.totalUsers;
  const settings = {
    alpha,
    allocationRatio: design.allocationRatio ?? 1,
    sequentialTuningParameter: plannedTotal,
  };
  const preRegistered = analyzeCounts(arms, { ...settings, alternative: "greater" });
  const twoSided = analyzeCounts(arms, { ...settings, alternative: "two-sided" });
  const truth = new Map((input.groundTruth ?? []).map((g) => [g.variant, g.ctr]));
  const tc = truth.get(names.control);
  const tt = truth.get(names.treatment);
  const events = readVisitEvents(input.eventsPath);
  const experimentEvents = events.filter((event) => event.phase === "experiment");
  const looks = cumulativeLooks(experimentEvents, names, { alpha, tuningParameter: plannedTotal });
  const errors = input.predictionErrors;
  const requests = (variant: string) => {
    const failed = errors?.[variant] ?? 0;
    return {
      requests: (counts.variants.find((v) => v.variant === variant)?.impressions ?? 0) + failed,
      errors: failed,
    };
  };
  const userLevel =
    unit === "user"
      ? analyzeUserLevel({
          counts,
          visits: events,
          names,
          alpha,
          plannedDays: input.plannedDays,
          groundTruth: tc !== undefined && tt !== undefined ? { control: tc, treatment: tt } : undefined,
          servingErrors: errors && { control: requests(names.control), treatment: requests(names.treatment) },
          file: input.eventsPath,
        })
      : null;
  const firstRejection = looks.find((look) => look.alwaysValidPValue < alpha);
  return {
    unit,
    names,
    counts,
    plan,
    oneSidedPowerAtPlannedSize: powerForSampleSize(
      { ...design, oneSided: true },
      plan.chosen.controlUsers,
      plan.method,
    ),
    preRegistered,
    twoSided,
    rejectNull: preRegistered.significant,
    coverage: {
      control: cover(tc, twoSided.control.interval),
      treatment: cover(tt, twoSided.treatment.interval),
      difference: cover(
        tc !== undefined && tt !== undefined ? tt - tc : undefined,
        twoSided.difference.interval,
      ),
      relativeLift: cover(
        tc !== undefined && tt !== undefined ? tt / tc - 1 : undefined,
        twoSided.relativeLift.interval,
      ),
    },
    looks,
    firstAlwaysValidRejectionVisit: firstRejection?.visits ?? null,
    userLevel,
    events,
  };
}
