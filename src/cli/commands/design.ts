/**
 * `abrec design`: sample size per group for the A/B test by the three methods side by side (src/stats/plan.ts),
 * with the power each achieves, the minimum detectable effect at the chosen size and, given daily traffic, the
 * duration. `--json` prints the plan object.
 */
import { Command, Option } from "commander";
import { FUNFLIX_BUSINESS_CASE as CASE } from "../../stats/business-case";
import { SAMPLE_SIZE_METHODS, type SampleSizeMethod } from "../../stats/design";
import { type ExperimentPlan, planExperiment } from "../../stats/plan";
import { numberOption, probabilityOption } from "../number-option";
import { formatTable } from "../table";

interface DesignOptions {
  baseline: number;
  mde: number;
  relative?: boolean;
  alpha: number;
  power: number;
  oneSided?: boolean;
  ratio: number;
  method: SampleSizeMethod;
  dailyUsers?: number;
  trafficFraction: number;
  json?: boolean;
}

const METHOD_SOURCES: Record<SampleSizeMethod, string> = {
  "fleiss-cc": "Fleiss, Levin & Paik 2003, continuity corrected",
  pooled: "normal approximation, no correction (R power.prop.test)",
  "cohen-h": "Cohen's h arcsine effect size (statsmodels NormalIndPower)",
};

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const points = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} points`;

/** The readable report of a plan. */
export function formatPlan(plan: ExperimentPlan): string {
  const d = plan.design;
  const lines = [
    `Experiment design: CTR ${pct(d.baselineRate)} -> ${pct(d.treatmentRate)} ` +
      `(${points(d.absoluteEffect)}, ${d.relativeEffect >= 0 ? "+" : ""}${pct(d.relativeEffect, 1)} relative)`,
    `alpha ${d.alpha} ${d.oneSided ? "one-sided" : "two-sided"}, power ${d.power}, ` +
      `allocation control:treatment 1:${d.allocationRatio}`,
    "",
    formatTable(
      ["method", "control", "treatment", "total", "power", "source"],
      plan.sampleSizes.map((s) => [
        s.method + (s.method === plan.method ? " *" : ""),
        String(s.controlUsers),
        String(s.treatmentUsers),
        String(s.totalUsers),
        s.power.toFixed(4),
        METHOD_SOURCES[s.method],
      ]),
    ),
    `* chosen method (--method ${plan.method}): ${plan.chosen.controlUsers} users in control, ` +
      `${plan.chosen.treatmentUsers} in treatment`,
    `minimum detectable effect at that size: ${points(plan.minimumDetectableEffectAtChosenSize.absoluteEffect)} ` +
      `(${pct(plan.minimumDetectableEffectAtChosenSize.relativeEffect, 1)} relative)`,
  ];
  if (plan.duration)
    lines.push(
      `duration: ${plan.duration.days} days at ${plan.duration.usersPerDay} users per day in the experiment`,
    );
  return lines.join("\n") + "\n";
}

export function register(program: Command): void {
  program
    .command("design")
    .description(
      "Sample size per group for the A/B test (Fleiss with continuity correction, pooled normal approximation, " +
        "Cohen's h), with the power, minimum detectable effect and duration.",
    )
    .option(
      "--baseline <rate>",
      "control click-through rate, 0..1",
      probabilityOption("--baseline"),
      CASE.baselineCtr,
    )
    .option(
      "--mde <effect>",
      "minimum detectable effect: absolute (0.04 = +4 points) or, with --relative, relative (0.2 = +20%)",
      numberOption("--mde"),
      CASE.minimumDetectableEffect,
    )
    .option("--relative", "read --mde as a relative lift instead of absolute points")
    .option("--alpha <alpha>", "significance level, 0..1", probabilityOption("--alpha"), CASE.alpha)
    .option(
      "--power <power>",
      "probability of detecting the effect, 0..1",
      probabilityOption("--power"),
      CASE.power,
    )
    .option("--one-sided", "one-sided test (treatment better) instead of two-sided")
    .option(
      "--ratio <r>",
      "allocation ratio: treatment users per control user",
      numberOption("--ratio"),
      CASE.allocationRatio,
    )
    .addOption(
      new Option("--method <method>", "the sample-size method the experiment uses")
        .choices([...SAMPLE_SIZE_METHODS])
        .default(CASE.sampleSizeMethod),
    )
    .option("--daily-users <n>", "new users per day, to compute the duration", numberOption("--daily-users"))
    .option(
      "--traffic-fraction <f>",
      "share of daily users that enter the experiment, (0, 1]",
      probabilityOption("--traffic-fraction"),
      1,
    )
    .option("--json", "print the plan as JSON instead of a table")
    .action((options: DesignOptions) => {
      const plan = planExperiment(
        {
          baselineRate: options.baseline,
          minimumDetectableEffect: options.mde,
          relativeEffect: options.relative ?? false,
          alpha: options.alpha,
          power: options.power,
          oneSided: options.oneSided ?? false,
          allocationRatio: options.ratio,
        },
        { method: options.method, dailyUsers: options.dailyUsers, trafficFraction: options.trafficFraction },
      );
      process.stdout.write(options.json ? JSON.stringify(plan, null, 2) + "\n" : formatPlan(plan));
    });
}
