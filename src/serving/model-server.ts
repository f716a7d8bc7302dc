/**
 * One recommender behind Seldon Core's v1 model API: `POST /api/v1.0/predictions`, `POST /api/v1.0/feedback`,
 * `GET /health/ready`, `GET /health/ping`, `GET /metrics`.
 *
 * `ModelService` holds the logic and is what the router calls in process; `RemoteModel` is the same interface
 * over HTTP for a model server running elsewhere (`abrec serve --role model`); `createModelServerApp` puts a
 * `ModelService` behind Express.
 */
import express from "express";
import { timeOrderedRequestId } from "./request-id";
import type { Recommender } from "../models/recommender";
import type { ServingMetrics } from "./metrics";
import { type JsonEndpoint, apiErrorHandler, healthRoutes, jsonEndpointRoute } from "./http";
import {
  type FeedbackInput,
  type PredictionInput,
  type SeldonMessage,
  parseFeedbackRequest,
  parsePredictionRequest,
  postSeldon,
} from "./seldon";

/** A model's answer for one request. */
export interface ModelPrediction {
  modelName: string;
  modelVersion: string;
  movieIds: number[];
  scores: number[];
  fallback: boolean;
}

/** What the router needs from a model, in process or over HTTP. */
export interface ModelClient {
  readonly name: string;
  predict(input: PredictionInput, puid: string): Promise<ModelPrediction>;
  /** Sends a (first) feedback to the model; the model ignores a request id it was already rewarded for. */
  feedback(input: FeedbackInput): Promise<void>;
  ready(): Promise<boolean>;
}

/** How many rewarded request ids a model server remembers to ignore repeated feedback sent to it directly. */
export const REMEMBERED_FEEDBACK_IDS = 100_000;

/** The prediction response message of a model server. */
export function predictionResponse(prediction: ModelPrediction, puid: string): SeldonMessage {
  return {
    meta: {
      puid,
      requestPath: { [prediction.modelName]: `abrec/${prediction.modelName}:${prediction.modelVersion}` },
      tags: {
        model_name: prediction.modelName,
        model_version: prediction.modelVersion,
        fallback: prediction.fallback,
        scores: prediction.scores,
      },
    },
    data: { names: ["movieIds"], ndarray: [prediction.movieIds] },
  };
}

/** A recommender served in this process, with its metrics. */
export class ModelService implements ModelClient {
  private readonly rewarded = new Set<string>();

  constructor(
    readonly recommender: Recommender,
    private readonly metrics: ServingMetrics,
  ) {
    metrics.modelInfo.set({ model_name: recommender.name, model_version: recommender.version }, 1);
    metrics.initialiseModels([recommender.name]);
  }

  get name(): string {
    return this.recommender.name;
  }

  async predict(input: PredictionInput): Promise<ModelPrediction> {
    const recommendation = this.recommender.recommend(input.userId, input.k);
    if (recommendation.fallback) this.metrics.fallbacks.inc({ model_name: this.name });
    return {
      modelName: this.name,
      modelVersion: this.recommender.version,
      movieIds: recommendation.movieIds,
      scores: recommendation.scores,
      fallback: recommendation.fallback,
    };
  }

  /** Counts the first feedback per request id (Seldon's feedback counters); repeats are ignored. */
  async feedback(input: FeedbackInput): Promise<void> {
    this.acceptFeedback(input);
  }

  /** Returns false when `input.requestId` was already rewarded here. */
  acceptFeedback(input: FeedbackInput): boolean {
    if (this.rewarded.has(input.requestId)) {
      this.metrics.duplicateFeedback.inc({ model_name: this.name });
      return false;
    }
    if (this.rewarded.size >= REMEMBERED_FEEDBACK_IDS)
      this.rewarded.delete(this.rewarded.values().next().value!);
    this.rewarded.add(input.requestId);
    this.metrics.feedback.inc({ model_name: this.name });
    this.metrics.feedbackReward.inc({ model_name: this.name }, input.reward);
    return true;
  }

  async ready(): Promise<boolean> {
    return true;
  }
}

/**
 * A model server's two hot Seldon endpoints as `JsonEndpoint`s: mounted on Express by `createModelServerApp`
 * and served by the fast path in `startServing` (role model).
 */
export function modelEndpoints(service: ModelService, metrics: ServingMetrics): JsonEndpoint[] {
  return [
    {
      path: "/api/v1.0/predictions",
      service: "predictions",
      latency: metrics.modelLatency,
      handle: async (body) => {
        const input = parsePredictionRequest(body);
        const given = (body as SeldonMessage).meta?.puid;
        const puid = typeof given === "string" && given.length > 0 ? given : timeOrderedRequestId();
        return { body: predictionResponse(await service.predict(input), puid), modelName: service.name };
      },
    },
    {
      path: "/api/v1.0/feedback",
      service: "feedback",
      latency: metrics.modelLatency,
      handle: async (body) => {
        const input = parseFeedbackRequest(body);
        const counted = service.acceptFeedback(input);
        return {
          body: { meta: { puid: input.requestId, tags: { duplicate: !counted } } },
          modelName: service.name,
        };
      },
    },
  ];
}

/** Express app serving one model with Seldon's model API; `/metrics` is added when `exposeMetrics` (default). */
export function createModelServerApp(
  service: ModelService,
  metrics: ServingMetrics,
  options: { exposeMetrics?: boolean } = {},
): express.Router {
  const app = express.Router();
  app.use(healthRoutes(() => service.ready()));
  for (const endpoint of modelEndpoints(service, metrics)) jsonEndpointRoute(app, endpoint);
  if (options.exposeMetrics ?? true)
    app.get("/metrics", async (_req, res) => {
      const { contentType, body } = await metrics.exposition();
      res.type(contentType).send(body);
    });
  app.use(apiErrorHandler);
  return app;
}

/** A model server reached over HTTP (`baseUrl` like `http://127.0.0.1:9001`). */
export class RemoteModel implements ModelClient {
  constructor(
    readonly name: string,
    private readonly baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  private post(path: string, body: unknown): Promise<SeldonMessage> {
    return postSeldon(this.baseUrl, path, body, `model server ${this.name}`, this.timeoutMs);
  }

  async predict(input: PredictionInput, puid: string): Promise<ModelPrediction> {
    const message = await this.post("/api/v1.0/predictions", {
      meta: { puid },
      data: { names: ["userId", "k"], ndarray: [[input.userId, input.k]] },
    });
    const tags = message.meta?.tags ?? {};
    if (tags.model_name !== this.name)
      throw new Error(
        `model server at ${this.baseUrl} serves "${String(tags.model_name)}", expected "${this.name}"`,
      );
    return {
      modelName: this.name,
      modelVersion: String(tags.model_version),
      movieIds: (message.data?.ndarray?.[0] as number[]) ?? [],
      scores: (tags.scores as number[]) ?? [],
      fallback: tags.fallback === true,
    };
  }

  async feedback(input: FeedbackInput): Promise<void> {
    await this.post("/api/v1.0/feedback", {
      response: { meta: { puid: input.requestId } },
      reward: input.reward,
      ...(input.reward === 1 ? { truth: { data: { ndarray: [[input.movieId]] } } } : {}),
    });
  }

  async ready(): Promise<boolean> {
    try {
      const response = await fetch(new URL("/health/ready", this.baseUrl), {
        signal: AbortSignal.timeout(2000),
      });
      return response.ok;
    } catch {
      return false;
    }
  }
}
