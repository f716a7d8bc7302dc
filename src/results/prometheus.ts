/**
 * The Seldon path of the analysis: a SeldonDeployment has no event store in the request path, so the A/B test is
 * read from Seldon's own per-model counters in Prometheus, as Seldon's design intends:
 *
 * - `seldon_api_model_feedback_total{model_name}`: feedbacks received by the model. When every served prediction
 *   gets exactly one feedback (reward 1 for a click, 0 otherwise; what the simulation sends, src/simulation/http.ts),
 *   this is the number of impressions with a feedback: the arm's trials.
 * - `seldon_api_model_feedback_reward_total{model_name}`: the sum of those rewards, with 0/1 rewards the clicks.
 *
 * What the counters can support: the visit-level proportions analysis (one trial per impression,
 * src/results/counts.ts's "visit" unit), which is right when each request is randomised. What they cannot: they
 * hold no per-user sums, so neither the user unit nor the delta method for CTR per impression with returning
 * users under sticky routing (src/stats/ratio-metric.ts) is possible, nor CUPED, daily looks or guardrails by day;
 * with sticky routing and returning users the visit-level test understates the variance. Impressions without a
 * feedback (interrupted visits) are not trials here, unlike in the event store.
 *
 * Counter resets: a restarted model server counts from 0 again. The instant query (`sum by (model_name) (...)`)
 * reads the counters' latest values, so it loses everything counted before a restart, and a pod replaced under a
 * new address leaves a stale series that the instant query no longer sees. With a range (`--range 7d`) the raw
 * samples of every series in the range are read and totalled across resets (`counterTotal`): exact integers,
 * unlike `increase()`, which extrapolates to the range's edges. The range must reach back to the servers' first
 * start; increments after a server's last scrape before it died are lost to Prometheus either way.
 */
import { InputError } from "../core/errors";
import { parseBaseUrl } from "../simulation/http";
import { proportionSummary, type TwoArmCounts } from "../stats/summary";
import type { ArmNames } from "./counts";

/** Seldon's counter of feedbacks per model. */
export const SELDON_FEEDBACK_COUNTER = "seldon_api_model_feedback_total";
/** Seldon's counter of the sum of rewards per model. */
export const SELDON_REWARD_COUNTER = "seldon_api_model_feedback_reward_total";

/** One model's feedbacks and rewards as Prometheus counts them. */
export interface SeldonFeedbackCounts {
  /** The `model_name` label: the variant. */
  variant: string;
  feedbacks: number;
  rewards: number;
}

export interface SeldonCountsQuery {
  /** Prometheus' base URL, e.g. http://127.0.0.1:9090. */
  url: string;
  /** Evaluation time (RFC 3339 or Unix seconds, as Prometheus takes it); default now. */
  time?: string;
  /** A Prometheus duration such as "7d": total the raw samples in it across counter resets (see the module comment). */
  range?: string;
}

export interface SeldonCounts {
  url: string;
  time?: string;
  range?: string;
  /** The PromQL expressions sent, feedbacks then rewards. */
  queries: [string, string];
  /** One row per model_name, sorted by name. */
  variants: SeldonFeedbackCounts[];
}

type Sample = [number, string];
interface PrometheusResponse {
  status: string;
  errorType?: string;
  error?: string;
  data?: {
    resultType: string;
    result: PrometheusSeries[];
  };
}

/**
 * The total counted by one counter series from its raw samples (oldest first), across resets: the first value
 * plus every rise, and after a drop (a restarted process counting from 0) the new value.
 *
 * @example
 * counterTotal([[0, "0"], [1, "40"], [2, "3"], [3, "10"]]); // => 50 (40 before the restart, 10 after)
 */
export function counterTotal(samples: readonly Sample[]): number {
  let total = 0;
  let previous = 0;
  for (const [, text] of samples) {
    const value = Number(text);
    total += value >= previous ? value - previous : value;
    previous = value;
  }
  return total;
}

/** One series of a Prometheus query result: an instant vector's `value` or a range vector's `values`. */
export interface PrometheusSeries {
  metric: Record<string, string>;
  value?: Sample;
  values?: Sample[];
}

/**
 * Runs `expr` on Prometheus' HTTP API (`/api/v1/query`) at `base`, at `time` (RFC 3339 or Unix seconds; default
 * now), and returns the result's series: the one query client of the project (the pipeline's live monitor and
 * `abrec analyze --prometheus`).
 *
 * @example
 * await queryPrometheus(new URL("http://127.0.0.1:9090"), "sum by (model_name) (seldon_api_model_feedback_total)");
 * // => [{ metric: { model_name: "baseline" }, value: [1764633600, "212"] }, ...]
 * @throws Error when Prometheus cannot be reached or answers no JSON; InputError when it refuses the query.
 */
export async function queryPrometheus(base: URL, expr: string, time?: string): Promise<PrometheusSeries[]> {
  const url = new URL("api/v1/query", base.href.endsWith("/") ? base : `${base.href}/`);
  url.searchParams.set("query", expr);
  if (time !== undefined) url.searchParams.set("time", time);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new Error(`cannot reach ${url.href}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const text = await response.text();
  let body: PrometheusResponse;
  try {
    body = JSON.parse(text) as PrometheusResponse;
  } catch {
    throw new Error(
      `${url.origin}${url.pathname} answered ${response.status}, not JSON: ${text.slice(0, 300)}`,
    );
  }
  if (body.status !== "success")
    throw new InputError(
      `Prometheus refused "${expr}"${time === undefined ? "" : ` at time ${time}`} (${body.errorType}): ${body.error}`,
      { file: `${url.origin}${url.pathname}` },
    );
  return body.data?.result ?? [];
}

/** Per model_name totals of one counter: the instant sum, or the reset-aware totals of the range's samples. */
async function counterByModel(base: URL, counter: string, options: SeldonCountsQuery) {
  const expr =
    options.range === undefined ? `sum by (model_name) (${counter})` : `${counter}[${options.range}]`;
  const result = await queryPrometheus(base, expr, options.time);
  const totals = new Map<string, number>();
  for (const series of result) {
    const model = series.metric.model_name;
    if (model === undefined) continue;
    const value = series.value !== undefined ? Number(series.value[1]) : counterTotal(series.values ?? []);
    totals.set(model, (totals.get(model) ?? 0) + value);
  }
  return { expr, totals };
}

/**
 * Reads Seldon's feedback and reward counters per model from Prometheus' HTTP API (`/api/v1/query`).
 *
 * @example
 * await readSeldonFeedbackCounts({ url: "http://127.0.0.1:9090" });
 * // => { url, queries: ["sum by (model_name) (seldon_api_model_feedback_total)", ...],
 * //      variants: [{ variant: "baseline", feedbacks: 212, rewards: 17 }, { variant: "challenger", ... }] }
 * @throws InputError for a URL that is not http(s), a query Prometheus refuses, or no counters at all.
 */
export async function readSeldonFeedbackCounts(options: SeldonCountsQuery): Promise<SeldonCounts> {
  const base = parseBaseUrl(options.url, "--prometheus");
  const feedbacks = await counterByModel(base, SELDON_FEEDBACK_COUNTER, options);
  const rewards = await counterByModel(base, SELDON_REWARD_COUNTER, options);
  if (feedbacks.totals.size === 0)
    throw new InputError(
      `no ${SELDON_FEEDBACK_COUNTER} series in Prometheus` +
        (options.time === undefined ? "" : ` at ${options.time}`) +
        " (is it scraping the model servers?)",
      { file: options.url, field: "--prometheus" },
    );
  const variants = [...feedbacks.totals.keys()].sort().map((variant) => ({
    variant,
    feedbacks: feedbacks.totals.get(variant)!,
    rewards: rewards.totals.get(variant) ?? 0,
  }));
  return {
    url: options.url,
    ...(options.time === undefined ? {} : { time: options.time }),
    ...(options.range === undefined ? {} : { range: options.range }),
    queries: [feedbacks.expr, rewards.expr],
    variants,
  };
}

/**
 * The two arms' trials (feedbacks) and successes (rewards) for the proportions analysis. Names default to
 * baseline (control) and challenger (treatment): Prometheus does not know the router's children.
 *
 * @example
 * twoArmCountsFromSeldon(await readSeldonFeedbackCounts({ url }));
 * // => { control: { units: 212, clicks: 17 }, treatment: { units: 198, clicks: 26 } }
 * @throws InputError when a variant has no counters, or when the rewards are not a whole number of clicks.
 */
export function twoArmCountsFromSeldon(counts: SeldonCounts, names: Partial<ArmNames> = {}): TwoArmCounts {
  const control = names.control ?? "baseline";
  const treatment = names.treatment ?? "challenger";
  if (control === treatment)
    throw new InputError(`control and treatment are the same variant "${control}"`, { field: "variant" });
  const arm = (variant: string, role: "control" | "treatment") => {
    const row = counts.variants.find((v) => v.variant === variant);
    if (!row)
      throw new InputError(
        `no ${SELDON_FEEDBACK_COUNTER} for model_name "${variant}" (models found: ${counts.variants
          .map((v) => v.variant)
          .join(", ")})`,
        { file: counts.url, field: `${role}-variant` },
      );
    if (!Number.isInteger(row.rewards))
      throw new InputError(
        `the rewards of "${variant}" sum to ${row.rewards}, not a whole number: the proportions analysis needs ` +
          "rewards of 0 or 1 (clicks)",
        { file: counts.url, field: role },
      );
    return proportionSummary(row.feedbacks, row.rewards, role);
  };
  return { control: arm(control, "control"), treatment: arm(treatment, "treatment") };
}
