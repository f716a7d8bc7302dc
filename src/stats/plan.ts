/**
 * The experiment plan `abrec design` prints: the design settings resolved, the sample size by every method with the
 * power each achieves, the chosen method, the minimum detectable effect at the chosen size, and the duration.
 */
import { type DesignSettings, type ResolvedDesign, resolveDesign, type SampleSizeMethod } from "./design";
import {
  type ExperimentDuration,
  experimentDuration,
  minimumDetectableEffect,
  powerForSampleSize,
} from "./power";
import { type SampleSize, sampleSizesByMethod } from "./sample-size";

export interface PlanOptions {
  /** The method whose sample size the experiment uses. Default "fleiss-cc" (the business case's). */
  readonly method?: SampleSizeMethod;
  /** New users per day, for the duration. Optional. */
  readonly dailyUsers?: number;
  /** Share of daily users entering the experiment. Default 1. */
  readonly trafficFraction?: number;
}

export interface ExperimentPlan {
  readonly design: ResolvedDesign;
  readonly method: SampleSizeMethod;
  /** Every method, with the power its own formula gives at its rounded size. */
  readonly sampleSizes: readonly (SampleSize & { readonly power: number })[];
  /** The chosen method's sample size. */
  readonly chosen: SampleSize & { readonly power: number };
  /** Smallest absolute/relative increase detectable with the chosen size (chosen method, design power). */
  readonly minimumDetectableEffectAtChosenSize: {
    readonly absoluteEffect: number;
    readonly relativeEffect: number;
  };
  /** Present when `dailyUsers` was given. */
  readonly duration: ExperimentDuration | null;
}

/** Builds the plan for `settings` (see the module comment). */
export function planExperiment(settings: DesignSettings, options: PlanOptions = {}): ExperimentPlan {
  const design = resolveDesign(settings);
  const method = options.method ?? "fleiss-cc";
  const sampleSizes = sampleSizesByMethod(settings).map((size) => ({
    ...size,
    power: powerForSampleSize(settings, size.controlUsers, size.method),
  }));
  const chosen = sampleSizes.find((s) => s.method === method) ?? sampleSizes[0];
  const mde = minimumDetectableEffect(settings, chosen.controlUsers, method);
  return {
    design,
    method,
    sampleSizes,
    chosen,
    minimumDetectableEffectAtChosenSize: {
      absoluteEffect: mde.absoluteEffect,
      relativeEffect: mde.relativeEffect,
    },
    duration:
      options.dailyUsers === undefined
        ? null
        : experimentDuration({
            totalUsers: chosen.totalUsers,
            dailyUsers: options.dailyUsers,
            trafficFraction: options.trafficFraction,
          }),
  };
}
