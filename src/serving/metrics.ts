/**
 * Prometheus metrics of the serving tier (prom-client), one registry per process, shared by the router and
 * the model servers running in it. Seldon Core's names are used where Seldon has one:
 *
 * - `seldon_api_model_feedback_reward_total{model_name}` / `seldon_api_model_feedback_total{model_name}`:
 *   sum of rewards and number of (first) feedbacks received by each model server.
 * - `seldon_api_executor_server_requests_seconds{service, code, model_name}`: latency histogram of the router's
 *   endpoints (`service` = predictions | feedback; `model_name` = the routed model, or "none" when rejected).
 * - `seldon_api_model_server_requests_seconds{service, code, model_name}`: the same at each model server.
 * - `abrec_impressions_total{model_name}`, `abrec_clicks_total{model_name}`: impressions and first clicks stored
 *   by the router (CTR = clicks / impressions; recording rule `model_name:abrec_ctr:ratio`).
 * - `abrec_assignments_total{model_name}`: users newly assigned to each model (sample-ratio-mismatch alert).
 * - `abrec_fallback_predictions_total{model_name}`, `abrec_feedback_duplicates_total{model_name}`.
 * - `abrec_prediction_errors_total{model_name, phase}`: valid requests the model or the store failed (the
 *   error-rate guardrail; `phase` is the calendar's, "experiment" without one).
 * - `abrec_router_ratio_a`: the configured share of child 0 under sticky and random routing; NaN under
 *   interleaving and bandit routing, whose split is not fixed, so the sample-ratio-mismatch z is NaN and its
 *   alert cannot fire;
 *   `abrec_model_info{model_name, model_version}` = 1.
 * - Interleaving: impressions are `abrec_impressions_total{model_name="interleaved"}` (the variant
 *   `INTERLEAVED_VARIANT`); `abrec_interleaving_credit_total{model_name}`: clicks on interleaved slates credited
 *   to the model whose team contributed the clicked movie.
 * - Bandit routing: `abrec_bandit_selection_probability{model_name}`: the policy's probability of choosing each
 *   model in its latest state (set at start-up from the rebuilt state and at each choice).
 *
 * Labels take only model names (two), services (two) and HTTP status codes, so the label sets stay bounded.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Latency buckets in seconds, dense below 20 ms (the serving goal is p99 < 20 ms). */
export const LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

export type Service = "predictions" | "feedback";

export class ServingMetrics {
  readonly registry = new Registry();
  readonly feedbackReward = new Counter({
    name: "seldon_api_model_feedback_reward_total",
    help: "Sum of the rewards received by a model server (first feedback per request only).",
    labelNames: ["model_name"],
    registers: [this.registry],
  });
  readonly feedback = new Counter({
    name: "seldon_api_model_feedback_total",
    help: "Feedback messages received by a model server (first feedback per request only).",
    labelNames: ["model_name"],
    registers: [this.registry],
  });
  readonly routerLatency = new Histogram({
    name: "seldon_api_executor_server_requests_seconds",
    help: "Latency of the router's prediction and feedback endpoints, by routed model.",
    labelNames: ["service", "code", "model_name"],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly modelLatency = new Histogram({
    name: "seldon_api_model_server_requests_seconds",
    help: "Latency of a model server's prediction and feedback endpoints.",
    labelNames: ["service", "code", "model_name"],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly impressions = new Counter({
    name: "abrec_impressions_total",
    help: "Impressions (served predictions) stored by the router, by model.",
    labelNames: ["model_name"],
    registers: [this.registry],
  });
  readonly clicks = new Counter({
    name: "abrec_clicks_total",
    help: "First clicks (reward 1) stored by the router, by model.",
    labelNames: ["model_name"],
    registers: [this.registry],
  });
  readonly assignments = new Counter({
    name: "abrec_assignments_total",
    help: "Users assigned to a model for the first time (the unit of sticky routing).",
    labelNames: ["model_name"],
    registers: [this.registry],
  });
  readonly predictionErrors = new Counter({
    name: "abrec_prediction_errors_total",
    help: "Valid prediction requests the routed model or the event store failed (answered 5xx), by calendar phase",
    labelNames: ["model_name", "phase"],
    registers: [this.registry],
  });
  readonly fallbacks = new Counter({
    name: "abrec_fallback_predictions_total",
    help: "Predictions for users unknown to the model (answered with the fallback list).",
    labelNames: ["model_name"],
    registers: [this.registry],
  });
  readonly duplicateFeedback = new Counter({
    name: "abrec_feedback_duplicates_total",
    help: "Feedback for an already rewarded request, ignored.",
    labelNames: ["model_name"],
    registers: [this.registry],
  });
  readonly ratioA = new Gauge({
    name: "abrec_router_ratio_a",
    help: "Configured share of traffic for child 0 (A) of the router.",
    registers: [this.registry],
  });
  readonly interleavingCredit = new Counter({
    name: "abrec_interleaving_credit_total",
    help: "Clicks on interleaved slates credited to the model (team) that contributed the clicked movie.",
    labelNames: ["model_name"],
    registers: [this.registry],
  });
  readonly banditSelectionProbability = new Gauge({
    name: "abrec_bandit_selection_probability",
    help: "Probability that the bandit router's policy chooses each model, in its latest state.",
    labelNames: ["model_name"],
    registers: [this.registry],
  });
  readonly modelInfo = new Gauge({
    name: "abrec_model_info",
    help: "1 for each served model and version.",
    labelNames: ["model_name", "model_version"],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Starts labelled counters at 0 for `modelNames`, so rates and ratios exist before the first event. */
  initialiseModels(modelNames: readonly string[]): void {
    for (const model_name of modelNames)
      for (const counter of [
        this.feedback,
        this.feedbackReward,
        this.impressions,
        this.clicks,
        this.assignments,
        this.fallbacks,
        this.duplicateFeedback,
      ])
        counter.inc({ model_name }, 0);
  }

  /**
   * Valid prediction requests the routed model failed to answer or the store failed to record, by model, in the
   * experiment phase of the router's calendar (all requests without one): the error-rate guardrail's numerator,
   * whichever path the request came by (the Seldon endpoint or the site's in-process call).
   */
  async experimentPredictionErrors(): Promise<Record<string, number>> {
    const errors: Record<string, number> = {};
    for (const value of (await this.predictionErrors.get()).values)
      if (value.labels.phase === "experiment")
        errors[String(value.labels.model_name)] =
          (errors[String(value.labels.model_name)] ?? 0) + value.value;
    return errors;
  }

  /** The Prometheus text exposition. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
