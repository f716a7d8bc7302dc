/**
 * Puts the serving tier together in one HTTP server, for one role or all of them:
 *
 * - `all` (default): both models in process, the router's Seldon endpoints, the mock site, `/metrics`, and each
 *   model's own Seldon API under `/models/<name>/` — everything on one port.
 * - `model`: one model server (Seldon model API and `/metrics`).
 * - `router`: the router over two model servers reached by HTTP, with the event store.
 * - `site`: the mock site over a router reached by HTTP (its `/experiment` page asks the router for the counts).
 *
 * The Seldon prediction and feedback endpoints of the router (roles all, router) or of the model (role model)
 * are answered by the fast path of http.ts in front of the Express app, which serves everything else.
 *
 * `abrec serve` parses options and calls `startServing`; tests and the benchmark call it directly.
 */
import * as http from "node:http";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import express from "express";
import type { Movie } from "../data/types";
import type { Recommender } from "../models/recommender";
import { createSiteApp } from "../../mock-site/app";
import { PostgresEventStore, type SqliteEventStore, connectEventStore } from "../serving/event-store";
import { ServingMetrics } from "../serving/metrics";
import {
  type ModelClient,
  ModelService,
  RemoteModel,
  createModelServerApp,
  modelEndpoints,
} from "../serving/model-server";
import { RemoteRouter, RouterService, createRouterApp, routerEndpoints } from "../serving/router";
import type { SimulatedCalendar } from "../serving/simulated-calendar";
import { type JsonEndpoint, healthRoutes, withFastJsonEndpoints } from "../serving/http";
import { DEFAULT_RATIO_A, type RoutingSettings } from "../serving/assignment";
import { InputError } from "../core/errors";
import { DEFAULT_SEED } from "../core/random";
import { loadPreparedDataset } from "../data/load";

/** The movie catalog of the prepared dataset `<dataDir>/processed/<dataset>/` (what `abrec data` writes). */
export async function loadCatalog(dataDir: string, dataset: string): Promise<Movie[]> {
  return (await loadPreparedDataset(path.join(dataDir, "processed", dataset))).movies;
}

export type ServeRole = "all" | "router" | "model" | "site";

export interface ServeOptions {
  role: ServeRole;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1; "0.0.0.0" in a container. */
  host?: string;
  /**
   * Event store location (roles all and router): an SQLite file, a `postgresql://` URL (several routers may
   * share it), or "env" for the URL in ABREC_EVENTS_URL (see serving/event-store).
   */
  eventsPath?: string;
  /** Child 0 (A) and child 1 (B) in process (role all), or the one model served (role model: one entry). */
  recommenders?: readonly Recommender[];
  /** Model server base URLs, child 0 then child 1, with their names (role router). */
  modelUrls?: readonly { name: string; url: string }[];
  /** Router base URL (role site). */
  routerUrl?: string;
  /** Catalog for the site's cards (roles all, site). */
  movies?: readonly Movie[];
  /** Default sticky 50/50 (seed `DEFAULT_SEED`); see serving/assignment.ts for the modes. */
  routing?: RoutingSettings;
  /**
   * The router's simulated calendar (roles all and router): a pre-period on child 0, then the experiment; the
   * simulation moves its day through `POST /abrec/v1/simulated-day`. Without it, no day is recorded.
   */
  calendar?: SimulatedCalendar;
  cookieSecret?: string;
  /** "power-loss" makes every commit fsync (see serving/event-store). */
  durability?: "process-crash" | "power-loss";
}

export interface RunningServer {
  url: string;
  port: number;
  /** The event store this process writes (roles all and router), either backend: its reads are awaited. */
  events?: SqliteEventStore | PostgresEventStore;
  /** The same store when it is an SQLite file, whose reads answer synchronously (undefined on PostgreSQL). */
  store?: SqliteEventStore;
  /** The router (roles all and router): its bandit state is `router.banditArms()`. */
  router?: RouterService;
  metrics: ServingMetrics;
  close(): Promise<void>;
}

function required<T>(value: T | undefined, what: string, role: ServeRole): T {
  if (value === undefined) throw new InputError(`role "${role}" needs ${what}`, { field: "role" });
  return value;
}

function metricsRoute(metrics: ServingMetrics): express.RequestHandler {
  return async (_req, res) => {
    const { contentType, body } = await metrics.exposition();
    res.type(contentType).send(body);
  };
}

/** Starts the server for `options.role`; resolves once it listens. */
export async function startServing(options: ServeOptions): Promise<RunningServer> {
  const metrics = new ServingMetrics();
  const app = express();
  app.disable("x-powered-by");
  let store: SqliteEventStore | PostgresEventStore | undefined;
  let router: RouterService | undefined;
  /** The hot endpoints served by the fast path in front of `app` (see http.ts). */
  let fastEndpoints: JsonEndpoint[] = [];
  const routing = options.routing ?? { mode: "sticky", ratioA: DEFAULT_RATIO_A, seed: DEFAULT_SEED };

  if (options.role === "model") {
    const recommenders = required(options.recommenders, "one model", options.role);
    if (recommenders.length !== 1)
      throw new InputError("role model serves exactly one model", { field: "model" });
    const service = new ModelService(recommenders[0], metrics);
    app.use(createModelServerApp(service, metrics));
    fastEndpoints = modelEndpoints(service, metrics);
  } else if (options.role === "all" || options.role === "router") {
    store = await connectEventStore(required(options.eventsPath, "an event store path", options.role), {
      durability: options.durability,
      checkpoint: "background",
    });
    let models: [ModelClient, ModelClient];
    if (options.role === "all") {
      const recommenders = required(options.recommenders, "two models", options.role);
      if (recommenders.length !== 2) throw new InputError("role all needs two models", { field: "models" });
      const services = recommenders.map((recommender) => new ModelService(recommender, metrics));
      for (const service of services)
        app.use(`/models/${service.name}`, createModelServerApp(service, metrics, { exposeMetrics: false }));
      models = [services[0], services[1]];
    } else {
      const urls = required(options.modelUrls, "two model server URLs", options.role);
      if (urls.length !== 2)
        throw new InputError("role router needs two model server URLs", { field: "model-urls" });
      models = [new RemoteModel(urls[0].name, urls[0].url), new RemoteModel(urls[1].name, urls[1].url)];
    }
    try {
      router = new RouterService({ models, store, routing, metrics, calendar: options.calendar });
      await router.started;
    } catch (error) {
      await store.close();
      throw error;
    }
    if (store instanceof PostgresEventStore) {
      // Before the router's own: not ready while the database is unreachable, so that Kubernetes takes the
      // replica out of rotation (replicas of one database all go out together, as they would all answer 503).
      const [events, service] = [store, router];
      app.use(healthRoutes(async () => (await events.reachable()) && (await service.ready())));
    }
    // The API first: its requests never pass through the site's middleware (helmet, cookie parsing).
    app.use(createRouterApp(router, metrics, { exposeMetrics: false }));
    app.get("/metrics", metricsRoute(metrics));
    fastEndpoints = routerEndpoints(router, metrics);
    if (options.role === "all") {
      app.use(
        createSiteApp({
          router,
          movies: required(options.movies, "the movie catalog", options.role),
          cookieSecret: options.cookieSecret,
        }),
      );
    }
  } else {
    app.use(
      createSiteApp({
        router: new RemoteRouter(required(options.routerUrl, "the router URL", options.role)),
        movies: required(options.movies, "the movie catalog", options.role),
        cookieSecret: options.cookieSecret,
      }),
    );
    app.get("/metrics", metricsRoute(metrics));
  }

  const server = http.createServer(withFastJsonEndpoints(fastEndpoints, app));
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
    });
  } catch (error) {
    await store?.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== "0.0.0.0" ? options.host : "127.0.0.1";
  return {
    url: `http://${host}:${port}`,
    port,
    events: store,
    store: store instanceof PostgresEventStore ? undefined : store,
    router,
    metrics,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await store?.close();
    },
  };
}
