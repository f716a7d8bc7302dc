/**
 * The user-level experiment's guardrails: metrics the challenger must not make worse, whatever its CTR. Each is
 * measured per variant over the experiment phase and checked against a threshold fixed before the run
 * (`GUARDRAIL_THRESHOLDS`); a failed guardrail blocks shipping even when the primary metric wins.
 */
import { InputError } from "../core/errors";
import type { VisitEvent } from "../serving/event-store";
import type { ArmNames } from "./counts";

/**
 * The thresholds, chosen before the run. Latency: the challenger's prediction p99 may be at most 1.5 times the
 * baseline's, or any value under 100 ms (below that a user does not notice, whatever the ratio; the serving goal
 * is p99 < 20 ms, src/serving/metrics.ts). Fallback share (slates served by the unknown-user fallback, not the
 * model): at most 1 percentage point above the baseline's. Error rate (failed requests over requests): under 1%
 * for the challenger.
 */
export const GUARDRAIL_THRESHOLDS = {
  latencyP99MaxRatioToBaseline: 1.5,
  latencyP99AlwaysAcceptableMs: 100,
  fallbackShareMaxIncrease: 0.01,
  errorRateMax: 0.01,
} as const;

export type GuardrailStatus = "pass" | "fail" | "not recorded";

/** Requests and failed requests of one variant (from the router's metrics or logs). */
export interface ServingErrorCounts {
  requests: number;
  errors: number;
}

export interface LatencyGuardrail {
  /** nearest-rank 99th percentile of the prediction latency, ms, or null when no visit recorded one */
  controlP99Ms: number | null;
  treatmentP99Ms: number | null;
  /** visits with a recorded latency */
  controlCount: number;
  treatmentCount: number;
  threshold: string;
  status: GuardrailStatus;
}

export interface ShareGuardrail {
  /** share of the arm's visits (fallback) or requests (errors), or null when not recorded */
  control: number | null;
  treatment: number | null;
  /** the counts the shares divide: [numerator, denominator] per arm, or null */
  controlCounts: [number, number] | null;
  treatmentCounts: [number, number] | null;
  threshold: string;
  status: GuardrailStatus;
}

export interface Guardrails {
  latencyP99: LatencyGuardrail;
  fallbackShare: ShareGuardrail;
  errorRate: ShareGuardrail;
  /** true when every recorded guardrail passes; the report names those not recorded */
  allRecordedPass: boolean;
}

/**
 * The nearest-rank q-quantile (Hyndman & Fan 1996, definition 1; R's `quantile(x, q, type = 1)`): the smallest
 * value with at least a share q of the values at or below it, sorted[ceil(q n) - 1]. Always an observed latency.
 *
 * @example
 * nearestRankQuantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99); // => 10
 */
export function nearestRankQuantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new InputError("expected at least one value", { field: "values" });
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function validatedErrors(counts: ServingErrorCounts, field: string): ServingErrorCounts {
  if (!(Number.isInteger(counts.requests) && counts.requests > 0))
    throw new InputError(`expected a positive integer number of requests, got ${counts.requests}`, {
      field: `${field}.requests`,
    });
  if (!(Number.isInteger(counts.errors) && counts.errors >= 0 && counts.errors <= counts.requests))
    throw new InputError(
      `expected an integer number of errors in 0..${counts.requests}, got ${counts.errors}`,
      {
        field: `${field}.errors`,
      },
    );
  return counts;
}

/**
 * The three guardrails of the experiment phase's visits (other phases and variants are ignored) and the serving
 * errors per arm, when recorded.
 *
 * @example
 * userLevelGuardrails(readVisitEvents("events.sqlite"), { control: "baseline", treatment: "challenger" });
 * // => { latencyP99: { controlP99Ms: 4.1, treatmentP99Ms: 6.3, status: "pass", ... },
 * //      errorRate: { status: "not recorded", ... }, allRecordedPass: true, ... }
 */
export function userLevelGuardrails(
  visits: readonly VisitEvent[],
  names: ArmNames,
  servingErrors?: { control: ServingErrorCounts; treatment: ServingErrorCounts },
): Guardrails {
  const t = GUARDRAIL_THRESHOLDS;
  const experiment = (variant: string) =>
    visits.filter((v) => v.phase === "experiment" && v.variant === variant);
  const control = experiment(names.control);
  const treatment = experiment(names.treatment);

  const latencies = (arm: VisitEvent[]) => arm.flatMap((v) => (v.latencyMs === null ? [] : [v.latencyMs]));
  const controlLatencies = latencies(control);
  const treatmentLatencies = latencies(treatment);
  const controlP99Ms = controlLatencies.length > 0 ? nearestRankQuantile(controlLatencies, 0.99) : null;
  const treatmentP99Ms = treatmentLatencies.length > 0 ? nearestRankQuantile(treatmentLatencies, 0.99) : null;
  const latencyP99: LatencyGuardrail = {
    controlP99Ms,
    treatmentP99Ms,
    controlCount: controlLatencies.length,
    treatmentCount: treatmentLatencies.length,
    threshold:
      `${names.treatment} p99 at most ${t.latencyP99MaxRatioToBaseline} x ${names.control}'s, or under ` +
      `${t.latencyP99AlwaysAcceptableMs} ms`,
    status:
      controlP99Ms === null || treatmentP99Ms === null
        ? "not recorded"
        : treatmentP99Ms <= t.latencyP99MaxRatioToBaseline * controlP99Ms ||
            treatmentP99Ms < t.latencyP99AlwaysAcceptableMs
          ? "pass"
          : "fail",
  };

  const fallbacks = (arm: VisitEvent[]): [number, number] => [
    arm.filter((v) => v.fallback).length,
    arm.length,
  ];
  const [cf, cn] = fallbacks(control);
  const [tf, tn] = fallbacks(treatment);
  const fallbackRecorded = cn > 0 && tn > 0;
  const fallbackShare: ShareGuardrail = {
    control: cn > 0 ? cf / cn : null,
    treatment: tn > 0 ? tf / tn : null,
    controlCounts: [cf, cn],
    treatmentCounts: [tf, tn],
    threshold: `${names.treatment} at most ${names.control}'s + ${100 * t.fallbackShareMaxIncrease} point`,
    status: !fallbackRecorded
      ? "not recorded"
      : tf / tn <= cf / cn + t.fallbackShareMaxIncrease
        ? "pass"
        : "fail",
  };

  const errors = servingErrors && {
    control: validatedErrors(servingErrors.control, "servingErrors.control"),
    treatment: validatedErrors(servingErrors.treatment, "servingErrors.treatment"),
  };
  const errorShare = (c: ServingErrorCounts) => c.errors / c.requests;
  const errorRate: ShareGuardrail = {
    control: errors ? errorShare(errors.control) : null,
    treatment: errors ? errorShare(errors.treatment) : null,
    controlCounts: errors ? [errors.control.errors, errors.control.requests] : null,
    treatmentCounts: errors ? [errors.treatment.errors, errors.treatment.requests] : null,
    threshold: `${names.treatment} under ${100 * t.errorRateMax}%`,
    status: !errors ? "not recorded" : errorShare(errors.treatment) < t.errorRateMax ? "pass" : "fail",
  };
  return {
    latencyP99,
    fallbackShare,
    errorRate,
    allRecordedPass: [latencyP99, fallbackShare, errorRate].every((g) => g.status !== "fail"),
  };
}
