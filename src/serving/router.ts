/**
 * The A/B router: one Seldon v1 endpoint in front of two models. It chooses a model per request (`assignment.ts`),
 * asks it for the top k, stores the impression (and the user's assignment) in the event store before answering,
 * and records `meta.routing = {"ab-router": child}` in the response. Feedback is routed back to the model that
 * served, read from `meta.routing` as Seldon does, cross-checked against the store, and stored once.
 */
import express from "express";
import { timeOrderedRequestId } from "./request-id";
import { InputError } from "../core/errors";
import type { EventCounts, EventStore } from "./event-store";
import type { ServingMetrics } from "./metrics";
import type { ModelClient, ModelPrediction } from "./model-server";
import { predictionResponse } from "./model-server";
import { type JsonEndpoint, apiErrorHandler, healthRoutes, jsonEndpointRoute } from "./http";
import { type RoutingSettings, createRouter } from "./assignment";
import {
  ROUTER_NAME,
  type SeldonMessage,
  parseFeedbackRequest,
  parsePredictionRequest,
  predictionRequest,
  postSeldon,
} from "./seldon";

export interface RouterOptions {
  /** Child 0 (A, usually the baseline) and child 1 (B, the challenger). */
  models: readonly [ModelClient, ModelClient];
  store: EventStore;
  routing: RoutingSettings;
  metrics: ServingMetrics;
}

export interface FeedbackOutcome {
  /** The rewarded prediction's request id (`response.meta.puid`). */
  requestId: string;
  status: "recorded" | "duplicate";
  modelName: string;
  position: number | null;
}

/** The router's logic, callable in process (the site uses it) and behind Express (`createRouterApp`). */
export class RouterService implements RouterClient {
  private readonly route: (userId: number) => 0 | 1;

  constructor(private readonly options: RouterOptions) {
    if (options.models[0].name === options.models[1].name)
      throw new InputError(`the two models must have different names, both are "${options.models[0].name}"`);
    this.route = createRouter(options.routing);
    options.metrics.ratioA.set(options.routing.ratioA);
    options.metrics.initialiseModels(options.models.map((model) => model.name));
    options.store.recordSetting("routing_mode", options.routing.mode);
    options.store.recordSetting("ratio_a", String(options.routing.ratioA));
    options.store.recordSetting("routing_seed", String(options.routing.seed));
    options.models.forEach((model, child) => options.store.recordSetting(`child_${child}`, model.name));
  }

  get modelNames(): [string, string] {
    return [this.options.models[0].name, this.options.models[1].name];
  }

  /** Validates a prediction request body, routes it, stores the impression and returns the response message. */
  async predict(body: unknown): Promise<SeldonMessage> {
    const input = parsePredictionRequest(body);
    const child = this.route(input.userId);
    const puid = timeOrderedRequestId();
    const prediction: ModelPrediction = await this.options.models[child].predict(input, puid);
    // Group commit: resolves once the impression's transaction committed, so the answer below is durable.
    const { newAssignment } = await this.options.store.enqueueImpression({
      requestId: puid,
      userId: input.userId,
      variant: prediction.modelName,
      modelVersion: prediction.modelVersion,
      fallback: prediction.fallback,
      movieIds: prediction.movieIds,
      routingMode: this.options.routing.mode,
    });
    const labels = { model_name: prediction.modelName };
    this.options.metrics.impressions.inc(labels);
    if (newAssignment) this.options.metrics.assignments.inc(labels);
    const response = predictionResponse(prediction, puid);
    response.meta!.routing = { [ROUTER_NAME]: child };
    return response;
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
    const variant = this.options.store.variantOf(input.requestId);
    if (variant === undefined)
      throw new InputError(`no prediction with this request id ("${input.requestId}")`, {
        field: "response.meta.puid",
      });
    const child = this.options.models.findIndex((model) => model.name === variant);
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
      if (child >= 0) await this.options.models[child].feedback(input);
    }
    return {
      requestId: input.requestId,
      status: result.status,
      modelName: variant,
      position: result.position,
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
}

/** The router's own (non-Seldon) endpoint with the event store's live counts, for a site running apart. */
export const COUNTS_PATH = "/abrec/v1/counts";

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
    };
  }
}
