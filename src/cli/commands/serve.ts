/**
 * `abrec serve`: the serving tier (src/deployment/serve.ts). By default everything in one process on one port: the
 * router's Seldon endpoints, both models, the mock site and `/metrics`. `--role` runs one part alone, as the
 * Kubernetes manifests in deploy/kubernetes do. Stops cleanly on SIGINT or SIGTERM.
 */
import * as path from "node:path";
import { Command, Option } from "commander";
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_RESULTS_DIR } from "../../core/paths";
import { DEFAULT_SEED } from "../../core/random";
import { InputError } from "../../core/errors";
import { readPreparedManifest } from "../../data/load";
import type { DatasetName } from "../../data/types";
import { type ServeRole, loadCatalog, startServing } from "../../deployment/serve";
import { MODEL_NAMES, loadTrainedModels } from "../../models/trained-models";
import { DEFAULT_RATIO_A } from "../../serving/assignment";
import { SELDON_DEFAULT_EPSILON } from "../../stats/bandits";
import { SimulatedCalendar } from "../../serving/simulated-calendar";
import { EVENTS_URL_FROM_ENV, type RoutingMode, isPostgresUrl } from "../../serving/event-store";
import { datasetOption } from "../dataset-option";
import { integerOption, probabilityOption } from "../number-option";

interface ServeOptions {
  port: number;
  host: string;
  role: ServeRole;
  events: string;
  modelsDir: string;
  model?: string;
  modelUrls?: string;
  routerUrl?: string;
  dataDir: string;
  dataset: DatasetName;
  routing: RoutingMode;
  ratioA: number;
  epsilon?: number;
  seed: number;
  preDays?: number;
  durability: "process-crash" | "power-loss";
}

/** Parses `baseline=http://host:9000,challenger=http://host:9001` (child 0 first). */
export function parseModelUrls(value: string): { name: string; url: string }[] {
  const entries = value.split(",").map((part) => {
    const match = /^([a-z][a-z0-9-]*)=(https?:\/\/\S+)$/.exec(part.trim());
    if (!match)
      throw new InputError(`expected name=http://host:port, got "${part}"`, { field: "--model-urls" });
    return { name: match[1], url: match[2] };
  });
  if (entries.length !== 2)
    throw new InputError(`expected two models (child 0 first), got ${entries.length}`, {
      field: "--model-urls",
    });
  return entries;
}

/** An SQLite path made absolute (the store's name in logs); a PostgreSQL URL or "env" as given. */
function eventsLocation(events: string): string {
  return isPostgresUrl(events) || events === EVENTS_URL_FROM_ENV ? events : path.resolve(events);
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("serve both models behind the A/B router, the mock site and /metrics (Ctrl-C stops)")
    .option("--port <n>", "TCP port to listen on (0 picks a free one)", integerOption("--port", 0), 8080)
    .option("--host <host>", "address to listen on (0.0.0.0 in a container)", "127.0.0.1")
    .addOption(
      new Option("--role <role>", "what to run: everything, or one part of the deployment")
        .choices(["all", "router", "model", "site"])
        .default("all"),
    )
    .option(
      "--events <location>",
      "event store of roles all and router: an SQLite file, a postgresql://user@host:port/db URL (several " +
        "routers may share it), or env for the URL in ABREC_EVENTS_URL",
      path.join(DEFAULT_RESULTS_DIR, "events.sqlite"),
    )
    .option(
      "--models-dir <dir>",
      "folder holding the model folders baseline/ and challenger/",
      DEFAULT_MODELS_DIR,
    )
    .addOption(new Option("--model <name>", "role model: which model to serve").choices([...MODEL_NAMES]))
    .option("--model-urls <list>", "role router: model servers, child 0 first: baseline=URL,challenger=URL")
    .option("--router-url <url>", "role site: the router's base URL")
    .option(
      "--data-dir <dir>",
      "data folder holding processed/<dataset>/ (the site's movie titles)",
      DEFAULT_DATA_DIR,
    )
    .addOption(
      datasetOption("prepared dataset whose movies the site shows and on which the models were trained"),
    )
    .addOption(
      new Option(
        "--routing <mode>",
        "sticky: hash of the user id (unit: user); random: RANDOM_ABTEST per request (unit: impression); " +
          "interleave: both models' lists merged by team draft; thompson, epsilon-greedy: Seldon's bandit routers",
      )
        .choices(["sticky", "random", "interleave", "thompson", "epsilon-greedy"] satisfies RoutingMode[])
        .default("sticky"),
    )
    .option(
      "--ratio-a <r>",
      "share of traffic for child 0 (the baseline), 0..1",
      probabilityOption("--ratio-a"),
      DEFAULT_RATIO_A,
    )
    .option(
      "--epsilon <p>",
      `routing epsilon-greedy: exploration probability, 0..1 (default Seldon's ${SELDON_DEFAULT_EPSILON})`,
      probabilityOption("--epsilon"),
    )
    .option(
      "--seed <n>",
      "seed of the random routing, bandit and interleaving stream / salt of the sticky hash",
      integerOption("--seed", 0),
      DEFAULT_SEED,
    )
    .option(
      "--pre-days <n>",
      "roles all and router: simulated calendar with n pre-period days on the baseline (the simulation sets the day)",
      integerOption("--pre-days", 0),
    )
    .addOption(
      new Option(
        "--durability <level>",
        "process-crash: survive kill -9 (synchronous=NORMAL); power-loss: fsync every event",
      )
        .choices(["process-crash", "power-loss"])
        .default("process-crash"),
    )
    .action(async (options: ServeOptions) => {
      if (options.port > 65535)
        throw new InputError(`expected a port in 0..65535, got ${options.port}`, { field: "--port" });
      const role = options.role;
      const needsCatalog = role === "all" || role === "site";
      if (role === "model" && !options.model)
        throw new InputError("role model needs --model", { field: "--model" });
      if (role === "site" && !options.routerUrl)
        throw new InputError("role site needs --router-url", { field: "--router-url" });
      if (role === "router" && !options.modelUrls)
        throw new InputError("role router needs --model-urls", { field: "--model-urls" });
      const routes = role === "all" || role === "router";
      if (options.preDays !== undefined && !routes)
        throw new InputError(`applies to roles all and router, not ${role}`, { field: "--pre-days" });
      if (options.epsilon !== undefined && options.routing !== "epsilon-greedy")
        throw new InputError(`applies to --routing epsilon-greedy, not ${options.routing}`, {
          field: "--epsilon",
        });
      const served = role === "all" ? MODEL_NAMES : role === "model" ? [options.model!] : [];
      const recommenders =
        served.length > 0
          ? await loadTrainedModels(
              options.modelsDir,
              served,
              readPreparedManifest(path.join(options.dataDir, "processed", options.dataset)),
            )
          : undefined;
      const server = await startServing({
        role,
        port: options.port,
        host: options.host,
        eventsPath: routes ? eventsLocation(options.events) : undefined,
        recommenders,
        modelUrls: options.modelUrls ? parseModelUrls(options.modelUrls) : undefined,
        routerUrl: options.routerUrl,
        movies: needsCatalog ? await loadCatalog(options.dataDir, options.dataset) : undefined,
        routing: {
          mode: options.routing,
          ratioA: options.ratioA,
          seed: options.seed,
          ...(options.epsilon !== undefined ? { epsilon: options.epsilon } : {}),
        },
        calendar: options.preDays !== undefined ? new SimulatedCalendar(options.preDays) : undefined,
        cookieSecret: process.env.ABREC_COOKIE_SECRET,
        durability: options.durability,
      });
      const shown = options.host === "0.0.0.0" ? server.url : `http://${options.host}:${server.port}`;
      process.stdout.write(
        `abrec serve: role ${role} listening on ${shown}` +
          (server.events
            ? ` (events ${server.events.location}, routing ${options.routing}` +
              (options.routing === "sticky" || options.routing === "random"
                ? `, ratio A ${options.ratioA}`
                : "") +
              (options.routing === "epsilon-greedy"
                ? `, epsilon ${options.epsilon ?? SELDON_DEFAULT_EPSILON}`
                : "") +
              (options.preDays !== undefined ? `, ${options.preDays} pre-period days` : "") +
              ")"
            : "") +
          "\n",
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await server.close();
      process.stdout.write("abrec serve: stopped\n");
    });
}
