/**
 * The A/B router: one Seldon v1 endpoint in front of two models. It chooses a model per request (`assignment.ts`),
 * asks it for the top k, stores the impression (and the user's assignment) in the event store before answering,
 * and records `meta.routing = {"ab-router": child}` in the response. Feedback is routed back to the model that
 * served, read from `meta.routing` as Seldon does, cross-checked against the store, and stored once.
 *
 * With a simulated calendar (`RouterOptions.calendar`), the simulation sets the day through
 * `POST /abrec/v1/simulated-day` (`setSimulatedDay`); during the pre-period every request goes to child 0, the
 * production model, and each impression is stored with its day and phase.
 *
 * Interleaving (`routing.mode` "interleave"): each experiment request asks both models for their top k in
 * parallel and answers one slate merged by team-draft interleaving (../stats/interleaving.ts), stored as variant
 * `INTERLEAVED_VARIANT` with the team (model name) of every movie. A click credits the clicked movie's team: its
 * reward-1 feedback is forwarded to that team's model only (so Seldon's per-model feedback counters count
 * credited clicks) and counted in `abrec_interleaving_credit_total`; a reward 0 credits no one and is forwarded
 * to neither model.
 *
 * Bandit routing ("thompson", "epsilon-greedy"): the policy chooses from each model's experiment-phase
 * impressions (pulls) and clicks (rewards), kept in memory, updated once an impression or a first click is
 * stored, and rebuilt from the event store when the router starts, so the state survives a restart. Every
 * routed impression stores the probability the policy had of choosing its model (its propensity).
 */
import express from "express";
import { timeOrderedRequestId } from "./request-id";
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import { teamDraftCoinsPerCall, teamDraftInterleaveWithCoins } from "../stats/interleaving";
import { type BanditArm, SELDON_DEFAULT_EPSILON } from "../stats/bandits";
import {
  type CalendarPhase,
  type EventCounts,
  INTERLEAVED_VARIANT,
  type ServingEventStore,
} from "./event-store";
import type { ServingMetrics } from "./metrics";
import type { ModelClient, ModelPrediction } from "./model-server";
import { predictionResponse } from "./model-server";
import {
  type JsonEndpoint,
  apiErrorHandler,
  healthRoutes,
  jsonBody,
  jsonEndpointRoute,
  sendJson,
} from "./http";
import type { SimulatedCalendar } from "./simulated-calendar";
import {
  BANDIT_MODES,
  type ChildArms,
  type RoutingPolicy,
  type RoutingSettings,
  createRoutingPolicy,
} from "./assignment";
import {
  ALL_CHILDREN_ROUTE,
  type PredictionInput,
  ROUTER_NAME,
  type SeldonMessage,
  parseFeedbackRequest,
  parsePredictionRequest,
  predictionRequest,
  failureMessage,
  postSeldon,
} from "./seldon";

export interface RouterOptions {
  /** Child 0 (A, usually the baseline) and child 1 (B, the challenger). */
  models: readonly [ModelClient, ModelClient];
  /** SQLite or PostgreSQL (see ./event-store). */
  store: ServingEventStore;
  routing: RoutingSettings;
  metrics: ServingMetrics;
  /** The simulated day and its phase, set by the simulation; without it every request is of the experiment. */
  calendar?: SimulatedCalendar;
}

/** The router's simulated day and its phase (the answer of `POST /abrec/v1/simulated-day`). */
export interface SimulatedDay {
  day: number;
  phase: CalendarPhase;
}

export interface FeedbackOutcome {
  /** The rewarded prediction's request id (`response.meta.puid`). */
  requestId: string;
  status: "recorded" | "duplicate";
  modelName: string;
  position: number | null;
  /** The team (model name) credited with the click of an interleaved slate, else null. */
  team: string | null;
}

/** The router's logic, callable in process (the site uses it) and behind Express (`createRouterApp`). */
export class RouterService implements RouterClient {
  /** Undefined under interleaving, which routes no request to one child. */
  private readonly policy: RoutingPolicy | undefined;
  /** The interleaving coins' stream. */
  private readonly interleaveRandom: Random | undefined;
  /**
   * Bandit modes: each child's tries (experiment-phase feedbacks received) and successes (clicks); rebuilt at
   * start from the stored impressions and clicks, where an impression never fed back counts as a try without a
   * click.
   */
  private readonly arms: [{ pulls: number; rewards: number }, { pulls: number; rewards: number }] | undefined;
  /**
   * Settles once the router's settings are stored and its bandit state is rebuilt from the store (reads a
   * network store answers later); `predict` and `feedback` wait for it, `startServing` awaits it before
   * listening, and it rejects with the store's error when the store cannot be reached.
   */
  readonly started: Promise<void>;

  constructor(private readonly options: RouterOptions) {
    const { models, metrics, routing } = options;
    if (models[0].name === models[1].name)
      throw new InputError(`the two models must have different names, both are "${models[0].name}"`);
    if (models.some((model) => model.name === INTERLEAVED_VARIANT))
      throw new InputError(`"${INTERLEAVED_VARIANT}" names interleaved slates, not a model`, {
        field: "models",
      });
    const modelNames = models.map((model) => model.name);
    metrics.initialiseModels(modelNames);
    if (routing.mode === "interleave") {
      this.interleaveRandom = new Random(routing.seed);
      // The router's counters of the interleaved variant start at 0 (the model servers' are the two models').
      for (const counter of [
        metrics.impressions,
        metrics.clicks,
        metrics.assignments,
        metrics.duplicateFeedback,
      ])
        counter.inc({ model_name: INTERLEAVED_VARIANT }, 0);
      for (const model_name of modelNames) metrics.interleavingCredit.inc({ model_name }, 0);
    } else {
      this.policy = createRoutingPolicy(routing);
      if (BANDIT_MODES.includes(routing.mode))
        this.arms = [
          { pulls: 0, rewards: 0 },
          { pulls: 0, rewards: 0 },
        ];
    }
    // NaN: no fixed split to check for a sample ratio mismatch (see metrics.ts).
    metrics.ratioA.set(this.interleaveRandom || this.arms ? NaN : routing.ratioA);
    this.started = this.start();
    // Marked handled here; whoever awaits `started` (startServing, each request) still sees the rejection.
    this.started.catch(() => {});
  }

  /**
   * Records the run's settings, or checks them against those stored by the first router on this store (replicas
   * with another seed would hash users to other variants), then rebuilds the bandit's arms from the stored
   * impressions and clicks.
   */
  private async start(): Promise<void> {
    const { models, store, routing, calendar } = this.options;
    const settings: [string, string][] = [
      ["routing_mode", routing.mode],
      ["ratio_a", String(routing.ratioA)],
      ["routing_seed", String(routing.seed)],
      ...(routing.mode === "epsilon-greedy"
        ? [["epsilon", String(routing.epsilon ?? SELDON_DEFAULT_EPSILON)] as [string, string]]
        : []),
      ...models.map((model, child): [string, string] => [`child_${child}`, model.name]),
      ...(calendar ? [["pre_days", String(calendar.preDays)] as [string, string]] : []),
    ];
    const conflicts: string[] = [];
    for (const [key, value] of settings) {
      const stored = await store.recordSetting(key, value);
      if (stored !== value) conflicts.push(`${key} ${stored} (this router: ${value})`);
    }
    if (conflicts.length > 0)
      throw new InputError(
        `holds events of a router with other settings: ${conflicts.join(", ")}. Start every replica, and a ` +
          "restarted router, with the settings of the run; or use a new event store",
        { file: store.location },
      );
    if (!this.arms) return;
    const variants = (await store.counts()).variants;
    models.forEach((model, child) => {
      const row = variants.find((variant) => variant.variant === model.name);
      this.arms![child] = { pulls: row?.impressions ?? 0, rewards: row?.clicks ?? 0 };
    });
    this.setSelectionProbabilities(this.policy!.probabilities(this.arms));
  }

  private setSelectionProbabilities(probabilities: readonly [number, number]): void {
    this.options.models.forEach((model, child) =>
      this.options.metrics.banditSelectionProbability.set({ model_name: model.name }, probabilities[child]),
    );
  }

  /**
   * Bandit modes: each child's experiment-phase impressions (pulls) and clicks (rewards) the policy chooses from,
   * child 0 first (a copy); undefined under sticky, random and interleave routing.
   */
  banditArms(): [BanditArm, BanditArm] | undefined {
    return this.arms && [{ ...this.arms[0] }, { ...this.arms[1] }];
  }

  get modelNames(): [string, string] {
    return [this.options.models[0].name, this.options.models[1].name];
  }

  /** Validates a prediction request body, routes it, stores the impression and returns the response message. */
  async predict(body: unknown): Promise<SeldonMessage> {
    const input = parsePredictionRequest(body);
    await this.started;
    const started = performance.now();
    const calendar = this.options.calendar;
    // The day and phase when the request arrived: a day set while the model answers does not move it.
    const day = calendar ? calendar.day : null;
    const phase: CalendarPhase = calendar ? calendar.phase() : "experiment";
    if (phase === "experiment" && this.interleaveRandom) return this.predictInterleaved(input, day, started);
    // Pre-period: everyone on the production model. The policy (hash, stream, bandit) is not consulted.
    const choice = phase === "pre" ? undefined : this.policy!.choose(input.userId, this.arms ?? UNUSED_ARMS);
    const child = choice?.child ?? 0;
    if (choice && this.arms) this.setSelectionProbabilities(choice.probabilities);
    const puid = timeOrderedRequestId();
    let prediction: ModelPrediction;
    let newAssignment: boolean;
    try {
      prediction = await this.options.models[child].predict(input, puid);
      const latencyMs = performance.now() - started;
      // Group commit: resolves once the impression's transaction committed, so the answer below is durable.
      ({ newAssignment } = await this.options.store.enqueueImpression({
        requestId: puid,
        userId: input.userId,
        variant: prediction.modelName,
        modelVersion: prediction.modelVersion,
        fallback: prediction.fallback,
        movieIds: prediction.movieIds,
        routingMode: this.options.routing.mode,
        day,
        phase,
        latencyMs,
        propensity: choice?.propensity ?? null,
      }));
    } catch (error) {
      // A valid request the routed variant failed to answer or store: the error-rate guardrail's numerator.
      this.options.metrics.predictionErrors.inc({ model_name: this.options.models[child].name, phase });
      throw error;
    }
    const labels = { model_name: prediction.modelName };
    this.options.metrics.impressions.inc(labels);
    if (newAssignment) this.options.metrics.assignments.inc(labels);
    const response = predictionResponse(prediction, puid);
    response.meta!.routing = { [ROUTER_NAME]: child };
    return response;
  }

  /** An experiment request under interleaving: both models' top k merged by team draft, stored with the teams. */
  private async predictInterleaved(
    input: PredictionInput,
    day: number | null,
    started: number,
  ): Promise<SeldonMessage> {
    const { models, store, metrics } = this.options;
    // The coins are drawn on arrival (what `teamDraftInterleave` draws, ceil(k / 2)), so request i of a seeded
    // router gets the same coins whichever order the two models answer in.
    const coins = Array.from({ length: teamDraftCoinsPerCall(input.k) }, () =>
      this.interleaveRandom!.float(),
    );
    const puid = timeOrderedRequestId();
    let predictions: ModelPrediction[];
    let movieIds: number[];
    let teams: string[];
    let modelVersion: string;
    let fallback: boolean;
    let newAssignment: boolean;
    try {
      predictions = await Promise.all(models.map((model) => model.predict(input, puid)));
      const slate = teamDraftInterleaveWithCoins(
        predictions[0].movieIds,
        predictions[1].movieIds,
        input.k,
        coins,
      );
      movieIds = slate.movieIds;
      teams = slate.teams.map((team) => predictions[team].modelName);
      modelVersion = predictions.map((p) => `${p.modelName}:${p.modelVersion}`).join("+");
      fallback = predictions.some((p) => p.fallback);
      const latencyMs = performance.now() - started;
      ({ newAssignment } = await store.enqueueImpression({
        requestId: puid,
        userId: input.userId,
        variant: INTERLEAVED_VARIANT,
        modelVersion,
        fallback,
        movieIds,
        teams,
        routingMode: "interleave",
        day,
        phase: "experiment",
        latencyMs,
      }));
    } catch (error) {
      metrics.predictionErrors.inc({ model_name: INTERLEAVED_VARIANT, phase: "experiment" });
      throw error;
    }
    const labels = { model_name: INTERLEAVED_VARIANT };
    metrics.impressions.inc(labels);
    if (newAssignment) metrics.assignments.inc(labels);
    const requestPath = Object.assign(
      {},
      ...predictions.map((prediction) => predictionResponse(prediction, puid).meta!.requestPath),
    ) as Record<string, string>;
    return {
      meta: {
        puid,
        routing: { [ROUTER_NAME]: ALL_CHILDREN_ROUTE },
        requestPath,
        tags: {
          model_name: INTERLEAVED_VARIANT,
          model_version: modelVersion,
          fallback,
          teams,
        },
      },
      data: { names: ["movieIds"], ndarray: [movieIds] },
    };
  }

  /** Recommendations for `userId` (the site's call): `predict` without the JSON round trip. */
  async recommend(userId: number, k: number): Promise<SeldonMessage> {
    return this.predict(predictionRequest(userId, k));
  }

  /**
   * Validates a feedback body, checks it against the stored impression, stores it once and forwards the first
   * one to the model that served. A repeat is ignored ("duplicate"), an unknown request id rejected.
   */
  async feedback(body: unknown): Promise<FeedbackOutcome> {
    const input = parseFeedbackRequest(body);
    await this.started;
    const variant = await this.options.store.variantOf(input.requestId);
    if (variant === undefined)
      throw new InputError(`no prediction with this request id ("${input.requestId}")`, {
        field: "response.meta.puid",
      });
    const interleaved = variant === INTERLEAVED_VARIANT;
    const child = interleaved
      ? ALL_CHILDREN_ROUTE
      : this.options.models.findIndex((model) => model.name === variant);
    if (input.routedTo !== undefined && input.routedTo !== child)
      throw new InputError(
        `request "${input.requestId}" was served by child ${child} (${variant}), not ${input.routedTo}`,
        {
          field: `response.meta.routing.${ROUTER_NAME}`,
        },
      );
    const result = await this.options.store.enqueueFeedback({
      requestId: input.requestId,
      reward: input.reward,
      movieId: input.movieId,
      position: input.position,
    });
    const labels = { model_name: variant };
    if (result.status === "duplicate") {
      this.options.metrics.duplicateFeedback.inc(labels);
    } else {
      if (input.reward === 1) this.options.metrics.clicks.inc(labels);
      if (interleaved) {
        const credited = this.options.models.find((model) => model.name === result.team);
        if (credited) {
          this.options.metrics.interleavingCredit.inc({ model_name: credited.name });
          await credited.feedback(input);
        }
      } else if (child >= 0) {
        // A feedback is a try, its reward a success, as Seldon's routers count them (in send_feedback): so the
        // arms of a replica hold the feedback it received, whichever replica served the prediction.
        if (this.arms && result.phase === "experiment") {
          this.arms[child].pulls++;
          this.arms[child].rewards += input.reward;
        }
        await this.options.models[child].feedback(input);
      }
    }
    return {
      requestId: input.requestId,
      status: result.status,
      modelName: variant,
      position: result.position,
      team: result.team,
    };
  }

  async ready(): Promise<boolean> {
    const states = await Promise.all(this.options.models.map((model) => model.ready()));
    return states.every(Boolean);
  }

  /** Live counts from the event store (the site's `/experiment` page). */
  async counts(): Promise<EventCounts> {
    return this.options.store.counts();
  }

  /** The router's simulated calendar, if it has one. */
  get calendar(): SimulatedCalendar | undefined {
    return this.options.calendar;
  }
}

/** What a policy that ignores the arms (sticky, random) is given. */
const UNUSED_ARMS: ChildArms = [
  { pulls: 0, rewards: 0 },
  { pulls: 0, rewards: 0 },
];

/** The router's own (non-Seldon) endpoint with the event store's live counts, for a site running apart. */
export const COUNTS_PATH = "/abrec/v1/counts";

/**
 * The router's own endpoint that moves its simulated calendar: `POST {"day": n}` answers `{"day": n, "phase":
 * "pre" | "experiment"}`; 400 (Seldon failure message) for a day that is not an integer or goes back, 404 when
 * the router has no calendar.
 */
export const SIMULATED_DAY_PATH = "/abrec/v1/simulated-day";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The router's two hot Seldon endpoints, `POST /api/v1.0/predictions` and `POST /api/v1.0/feedback`, as
 * `JsonEndpoint`s: mounted on Express by `createRouterApp` and served by the fast path in `startServing`.
 */
export function routerEndpoints(service: RouterService, metrics: ServingMetrics): JsonEndpoint[] {
  return [
    {
      path: "/api/v1.0/predictions",
      service: "predictions",
      latency: metrics.routerLatency,
      handle: async (body) => {
        const response = await service.predict(body);
        return { body: response, modelName: String(response.meta?.tags?.model_name) };
      },
    },
    {
      path: "/api/v1.0/feedback",
      service: "feedback",
      latency: metrics.routerLatency,
      handle: async (body) => {
        const outcome = await service.feedback(body);
        return {
          modelName: outcome.modelName,
          body: {
            meta: {
              puid: outcome.requestId,
              tags: {
                model_name: outcome.modelName,
                duplicate: outcome.status === "duplicate",
                position: outcome.position,
                team: outcome.team,
              },
            },
          },
        };
      },
    },
  ];
}

/** The router's Seldon endpoints (and `/metrics` unless `exposeMetrics` is false). */
export function createRouterApp(
  service: RouterService,
  metrics: ServingMetrics,
  options: { exposeMetrics?: boolean } = {},
): express.Router {
  const app = express.Router();
  app.use(healthRoutes(() => service.ready()));
  for (const endpoint of routerEndpoints(service, metrics)) jsonEndpointRoute(app, endpoint);
  app.get(COUNTS_PATH, async (_req, res) => {
    res.set("cache-control", "no-store").json(await service.counts());
  });
  app.post(SIMULATED_DAY_PATH, jsonBody(), (req, res) => {
    const calendar = service.calendar;
    if (!calendar) {
      sendJson(
        res,
        failureMessage(404, "NOT_FOUND", "this router has no simulated calendar (abrec serve --pre-days P)"),
        404,
      );
      return;
    }
    const body: unknown = req.body;
    if (!isObject(body) || !("day" in body))
      throw new InputError('expected a JSON object {"day": n}', { field: "body" });
    calendar.setDay(body.day as number);
    const answer: SimulatedDay = { day: calendar.day, phase: calendar.phase() };
    sendJson(res, answer);
  });
  if (options.exposeMetrics ?? true)
    app.get("/metrics", async (_req, res) => {
      const { contentType, body } = await metrics.exposition();
      res.type(contentType).send(body);
    });
  app.use(apiErrorHandler);
  return app;
}

/** What the site needs from the router: recommendations and click feedback. */
export interface RouterClient {
  recommend(userId: number, k: number): Promise<SeldonMessage>;
  feedback(body: unknown): Promise<FeedbackOutcome>;
  /** Live per-variant counts for the experiment page. */
  counts(): Promise<EventCounts>;
}

/** The router reached over HTTP (`abrec serve --role site --router-url URL`). */
export class RemoteRouter implements RouterClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  private post(path: string, body: unknown): Promise<SeldonMessage> {
    return postSeldon(this.baseUrl, path, body, "the router", this.timeoutMs);
  }

  recommend(userId: number, k: number): Promise<SeldonMessage> {
    return this.post("/api/v1.0/predictions", predictionRequest(userId, k));
  }

  async counts(): Promise<EventCounts> {
    const response = await fetch(new URL(COUNTS_PATH, this.baseUrl), {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok)
      throw new Error(`router at ${this.baseUrl} answered ${response.status} for ${COUNTS_PATH}`);
    return (await response.json()) as EventCounts;
  }

  async feedback(body: unknown): Promise<FeedbackOutcome> {
    const meta = (await this.post("/api/v1.0/feedback", body)).meta;
    const tags = meta?.tags ?? {};
    return {
      requestId: String(meta?.puid),
      status: tags.duplicate === true ? "duplicate" : "recorded",
      modelName: String(tags.model_name),
      position: typeof tags.position === "number" ? tags.position : null,
      team: typeof tags.team === "string" ? tags.team : null,
    };
  }
}

/**
 * Sets the simulated day of the router at `routerUrl` (`POST /abrec/v1/simulated-day`) and returns the day and
 * its phase as the router now has them. Throws an Error naming the URL, the HTTP status and the router's reason
 * when the router refuses (400: a bad or earlier day; 404: no calendar) or cannot be reached.
 *
 * @example
 * await setSimulatedDay("http://127.0.0.1:8080", 7); // => { day: 7, phase: "experiment" } with --pre-days 7
 */
export async function setSimulatedDay(
  routerUrl: string,
  day: number,
  timeoutMs = 5000,
): Promise<SimulatedDay> {
  const url = new URL(SIMULATED_DAY_PATH, routerUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ day }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(`cannot set the simulated day to ${day} at ${url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (!response.ok) {
    let reason = text.slice(0, 200);
    try {
      reason = (JSON.parse(text) as SeldonMessage).status?.info ?? reason;
    } catch {
      // Not a Seldon failure message (a proxy's error page): its start is the reason.
    }
    throw new Error(`router at ${url} answered ${response.status} to simulated day ${day}: ${reason}`);
  }
  return JSON.parse(text) as SimulatedDay;
}
