/**
 * The analysis of a bandit experiment's event store (routing mode "thompson" or "epsilon-greedy",
 * ../serving/assignment.ts): the allocation adapts to the clicks, so the per-arm click-through rate
 * clicks / impressions is biased (an arm that had bad luck early is starved and its estimate stays low, Nie et al.
 * 2018, "Why adaptively collected data have negative bias", AISTATS) and a fixed-n test on it is not valid. Read
 * from the experiment-phase impressions i = 1..N, each served arm A_i with the probability pi_i the policy had of
 * choosing it (the stored propensity, `VisitEvent.propensity`) and clicked Y_i in {0, 1}:
 *
 *   - served share of each arm, N_m / N;
 *   - naive CTR per arm, clicks_m / N_m (biased under adaptive allocation, shown as such);
 *   - the inverse-propensity-weighted (Horvitz-Thompson) CTR of arm m, (1 / N) sum_i 1[A_i = m] Y_i / pi_i:
 *     E[1[A_i = m] Y_i / pi_i | the past] = c_{u_i, m} whatever the past did to pi_i, so it estimates the CTR per
 *     impression had every impression been served m (Horvitz & Thompson 1952, JASA 47(260); Li, Chu, Langford &
 *     Wang 2011, "Unbiased offline evaluation of contextual-bandit-based news article recommendation
 *     algorithms", WSDM). N counts every experiment impression, both arms;
 *   - the posterior P(challenger better) with Beta(1, 1) priors on the naive counts (../stats/bayesian), what the
 *     Thompson router itself believes (the likelihood of adaptively collected data is the same as a fixed
 *     design's, so the posterior is not biased by the adaptation the way the frequentist test is);
 *   - with a simulated population, the regret: sum_i (c_{u_i, best} - c_{u_i, A_i}), the expected clicks lost
 *     against serving every impression the model that is better over the population, from each user's exact CTR
 *     per model (../simulation/ground-truth.ts `perUserCtr`), not the drawn clicks; and the truth of each arm on
 *     these impressions, (1 / N) sum_i c_{u_i, m}, which the IPW estimate targets.
 */
import { InputError } from "../core/errors";
import type { EventCounts, VisitEvent } from "../serving/event-store";
import { BANDIT_MODES } from "../serving/assignment";
import { bayesianAnalysis } from "../stats/bayesian";
import { armNames, type ArmNames } from "./counts";

/** Each model's exact CTR per impression for each user: model name -> user id -> CTR. */
export type PerUserCtr = ReadonlyMap<string, ReadonlyMap<number, number>>;

export interface BanditAnalysisInput {
  counts: EventCounts;
  /** Every stored impression (both phases; only the experiment phase is read). */
  visits: readonly VisitEvent[];
  names?: Partial<ArmNames>;
  /** Population truth per impression of each model, by model name (which is better decides the regret). */
  groundTruth?: Readonly<Record<string, number>>;
  /** Each model's exact CTR per user (the regret and the truth on these impressions); needs `groundTruth`. */
  perUserCtr?: PerUserCtr;
  /** For error messages. */
  file?: string;
}

export interface BanditArmResult {
  variant: string;
  impressions: number;
  clicks: number;
  /** impressions / N. */
  servedShare: number;
  /** clicks / impressions (NaN without impressions): biased under adaptive allocation. */
  naiveCtr: number;
  /** (1 / N) sum over this arm's impressions of Y_i / pi_i. */
  ipwCtr: number;
  /** (1 / N) sum_i c_{u_i, m} over every experiment impression; null without a per-user truth. */
  truthOnImpressions: number | null;
  /** The population truth per impression; null when unknown. */
  populationTruth: number | null;
}

export interface BanditAnalysis {
  method: "bandit";
  /** "thompson" or "epsilon-greedy". */
  policy: string;
  names: ArmNames;
  /** N: experiment-phase impressions. */
  impressions: number;
  control: BanditArmResult;
  treatment: BanditArmResult;
  /** Challenger - baseline of the naive and the IPW estimates. */
  naiveDifference: number;
  ipwDifference: number;
  /** P(CTR challenger > CTR baseline | clicks, impressions), Beta(1, 1) priors; null when an arm was never served. */
  probabilityChallengerBetter: number | null;
  /** Null without a per-user truth. */
  regret: {
    better: string;
    /** sum_i c_{u_i, A_i}: the expected clicks of the impressions as served. */
    expectedClicks: number;
    /** sum_i c_{u_i, best}. */
    expectedClicksServingBetter: number;
    /** The difference: expected clicks lost. */
    clicksLost: number;
    /** clicksLost / N. */
    perImpression: number;
  } | null;
}

/**
 * Analyses the experiment phase of a bandit-routed event store (see the module comment).
 *
 * @example
 * const r = analyzeBandit({ counts: readVariantCounts(file), visits: readVisitEvents(file) });
 * r.treatment.ipwCtr; // the challenger's CTR per impression had it served everyone
 */
export function analyzeBandit(input: BanditAnalysisInput): BanditAnalysis {
  const policy = input.counts.settings.routing_mode;
  if (!BANDIT_MODES.includes(policy as (typeof BANDIT_MODES)[number]))
    throw new InputError(
      `expected a bandit store (routing mode ${BANDIT_MODES.join(" or ")}), got "${policy}"`,
      { file: input.file, field: "routing_mode" },
    );
  const names = armNames(input.counts, input.names);
  const experiment = input.visits.filter((visit) => visit.phase === "experiment");
  const n = experiment.length;
  if (n === 0) throw new InputError("no experiment-phase impressions", { file: input.file, field: "phase" });
  const perUser = input.perUserCtr;
  const ctrOf = (variant: string, userId: number): number => {
    const ctr = perUser?.get(variant)?.get(userId);
    if (ctr === undefined)
      throw new InputError(`no exact CTR of model "${variant}" for user ${userId}`, {
        file: input.file,
        field: "perUserCtr",
      });
    return ctr;
  };
  const arm = (variant: string): BanditArmResult => {
    let impressions = 0;
    let clicks = 0;
    let weighted = 0;
    let truth = 0;
    for (const visit of experiment) {
      if (perUser) truth += ctrOf(variant, visit.userId);
      if (visit.variant !== variant) continue;
      const pi = visit.propensity;
      if (pi === null || !(pi > 0))
        throw new InputError(
          `impression "${visit.requestId}" (visit ${visit.visit}) of "${variant}": expected a propensity in (0, 1], got ${pi}`,
          { file: input.file, field: "propensity" },
        );
      impressions++;
      clicks += visit.clicked;
      weighted += visit.clicked / pi;
    }
    return {
      variant,
      impressions,
      clicks,
      servedShare: impressions / n,
      naiveCtr: impressions === 0 ? NaN : clicks / impressions,
      ipwCtr: weighted / n,
      truthOnImpressions: perUser ? truth / n : null,
      populationTruth: input.groundTruth?.[variant] ?? null,
    };
  };
  const control = arm(names.control);
  const treatment = arm(names.treatment);
  const unknown = experiment.find((v) => v.variant !== names.control && v.variant !== names.treatment);
  if (unknown)
    throw new InputError(
      `impression "${unknown.requestId}" served "${unknown.variant}", neither ${names.control} nor ${names.treatment}`,
      { file: input.file, field: "variant" },
    );
  let regret: BanditAnalysis["regret"] = null;
  if (perUser) {
    const truthOf = (variant: string) => {
      const t = input.groundTruth?.[variant];
      if (t === undefined)
        throw new InputError(`no population truth of model "${variant}"`, { field: "groundTruth" });
      return t;
    };
    const better = truthOf(names.treatment) > truthOf(names.control) ? names.treatment : names.control;
    let expectedClicks = 0;
    let expectedClicksServingBetter = 0;
    for (const visit of experiment) {
      expectedClicks += ctrOf(visit.variant, visit.userId);
      expectedClicksServingBetter += ctrOf(better, visit.userId);
    }
    const clicksLost = expectedClicksServingBetter - expectedClicks;
    regret = {
      better,
      expectedClicks,
      expectedClicksServingBetter,
      clicksLost,
      perImpression: clicksLost / n,
    };
  }
  return {
    method: "bandit",
    policy,
    names,
    impressions: n,
    control,
    treatment,
    naiveDifference: treatment.naiveCtr - control.naiveCtr,
    ipwDifference: treatment.ipwCtr - control.ipwCtr,
    probabilityChallengerBetter:
      control.impressions === 0 || treatment.impressions === 0
        ? null
        : bayesianAnalysis({
            control: { units: control.impressions, clicks: control.clicks },
            treatment: { units: treatment.impressions, clicks: treatment.clicks },
          }).probabilityTreatmentBetter,
    regret,
  };
}
