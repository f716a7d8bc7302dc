import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { PROJECT_ROOT } from "../../src/core/paths";
import { buildProgram } from "../../src/cli/index";
import { ROUTER_NAME } from "../../src/serving/seldon";

const KUBERNETES = path.join(PROJECT_ROOT, "deploy", "kubernetes");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = Record<string, any>;

/** Every object of deploy/kubernetes/*.json (a `List` contributes its items). */
function manifests(): { file: string; object: Manifest }[] {
  return fs
    .readdirSync(KUBERNETES)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .flatMap((name) => {
      const parsed = JSON.parse(fs.readFileSync(path.join(KUBERNETES, name), "utf8")) as Manifest;
      const objects = parsed.kind === "List" ? (parsed.items as Manifest[]) : [parsed];
      return objects.map((object) => ({ file: name, object }));
    });
}

const CORE_MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/Service": Service,
  "v1/Namespace": Namespace,
};

/** The long option names `abrec serve` declares. */
function serveOptions(): Set<string> {
  const serve = buildProgram().commands.find((command) => command.name() === "serve")!;
  return new Set(serve.options.map((option) => option.long!));
}

/** Checks container args against `abrec serve`'s options; returns the value of each option. */
function checkServeArgs(args: string[], where: string): Map<string, string> {
  assert.equal(args[0], "serve", `${where}: runs abrec serve`);
  const known = serveOptions();
  const values = new Map<string, string>();
  for (let i = 1; i < args.length; i += 2) {
    assert.ok(known.has(args[i]), `${where}: ${args[i]} is an option of abrec serve`);
    values.set(args[i], args[i + 1]);
  }
  return values;
}

/** The value of environment variable `name` of `container`, or where it comes from. */
function env(container: Manifest, name: string): Manifest {
  const variable = (container.env as Manifest[] | undefined)?.find((e) => e.name === name);
  assert.ok(variable, `${container.name}: environment variable ${name}`);
  return variable;
}

test("core objects (Namespace, Deployments, StatefulSet, Services, PodDisruptionBudget) validate against the Kubernetes schemas", () => {
  const all = manifests();
  const core = all.filter(({ object }) => object.kind !== "SeldonDeployment");
  assert.ok(core.length >= 10);
  for (const { file, object } of core) {
    const Model = CORE_MODELS[`${object.apiVersion}/${object.kind}`];
    assert.ok(Model, `${file}: unexpected ${object.apiVersion} ${object.kind}`);
    assert.doesNotThrow(
      () => new Model(object as never).validate(),
      `${file}: ${object.kind} ${object.metadata.name}`,
    );
  }
  // Two model servers, the router and the site, each a Deployment with a Service selecting its pods.
  const deployments = core.filter(({ object }) => object.kind === "Deployment").map(({ object }) => object);
  const services = core.filter(({ object }) => object.kind === "Service").map(({ object }) => object);
  // A Deployment of several replicas is scraped pod by pod: a headless "-pods" Service that prometheus.yml's
  // DNS discovery names (through the load-balanced Service a scrape reaches one pod at random).
  const scrapeConfig = fs.readFileSync(
    path.join(PROJECT_ROOT, "deploy", "prometheus", "prometheus.yml"),
    "utf8",
  );
  for (const deployment of deployments.filter((d) => d.spec.replicas > 1)) {
    const name = `${deployment.metadata.name}-pods`;
    const pods = services.find((s) => s.metadata.name === name);
    assert.ok(pods, `a headless Service ${name}`);
    assert.equal(pods.spec.clusterIP, "None");
    assert.deepEqual(pods.spec.selector, deployment.spec.template.metadata.labels);
    assert.ok(scrapeConfig.includes(`"${name}.abrec.svc"`), `prometheus.yml discovers ${name}`);
  }
  assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), [
    "abrec-baseline",
    "abrec-challenger",
    "abrec-router",
    "abrec-site",
  ]);
  for (const deployment of deployments) {
    const service = services.find((s) => s.metadata.name === deployment.metadata.name);
    assert.ok(service, `a Service for ${deployment.metadata.name}`);
    assert.deepEqual(service.spec.selector, deployment.spec.template.metadata.labels);
    assert.deepEqual(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels);
    const [container] = deployment.spec.template.spec.containers;
    assert.ok(container.ports.some((port: Manifest) => port.name === service.spec.ports[0].targetPort));
    const args = checkServeArgs(container.args, deployment.metadata.name);
    assert.equal(args.get("--port"), String(container.ports[0].containerPort));
    assert.equal(container.readinessProbe.httpGet.path, "/health/ready");
  }
  // Three router replicas on one PostgreSQL event store, replaced one at a time with none unavailable.
  const router = deployments.find((d) => d.metadata.name === "abrec-router")!;
  assert.equal(router.spec.replicas, 3);
  assert.deepEqual(router.spec.strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
  });
  const routerContainer = router.spec.template.spec.containers[0];
  assert.equal(routerContainer.livenessProbe.httpGet.path, "/health/ping");
  assert.equal(router.spec.template.spec.volumes, undefined, "no local event store file");
  // The DSN comes from the Secret, expanded by Kubernetes into the args: `--events "$ABREC_EVENTS_URL"`.
  assert.deepEqual(env(routerContainer, "ABREC_EVENTS_URL").valueFrom, {
    secretKeyRef: { name: "abrec-postgres", key: "events-url" },
  });
  const budget = core.find(({ object }) => object.kind === "PodDisruptionBudget")!.object;
  assert.deepEqual(budget.spec.selector.matchLabels, router.spec.template.metadata.labels);
  assert.ok(budget.spec.minAvailable >= 1 && budget.spec.minAvailable < router.spec.replicas);
  const routerArgs = checkServeArgs(routerContainer.args, "router");
  assert.equal(routerArgs.get("--role"), "router");
  assert.equal(routerArgs.get("--events"), "$(ABREC_EVENTS_URL)");
  for (const url of routerArgs.get("--model-urls")!.split(",")) {
    const host = new URL(url.split("=")[1]).hostname;
    assert.ok(
      services.some((s) => s.metadata.name === host),
      `router reaches Service ${host}`,
    );
  }
});

test("the event store's PostgreSQL: a StatefulSet with a volume claim template, its headless Service, password from the router's Secret, pg_isready probes", () => {
  const core = manifests().map(({ object }) => object);
  const statefulSets = core.filter((object) => object.kind === "StatefulSet");
  assert.equal(statefulSets.length, 1);
  const postgres = statefulSets[0];
  assert.equal(postgres.spec.replicas, 1, "one primary");
  const service = core.find((o) => o.kind === "Service" && o.metadata.name === postgres.spec.serviceName)!;
  assert.ok(service, `the StatefulSet's governing Service ${postgres.spec.serviceName}`);
  assert.equal(service.spec.clusterIP, "None", "headless: stable DNS for the pod");
  assert.deepEqual(service.spec.selector, postgres.spec.template.metadata.labels);
  assert.deepEqual(postgres.spec.selector.matchLabels, postgres.spec.template.metadata.labels);
  const [claim] = postgres.spec.volumeClaimTemplates;
  assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
  assert.match(claim.spec.resources.requests.storage, /^\d+Gi$/);
  const [container] = postgres.spec.template.spec.containers;
  assert.match(container.image, /^postgres:15/, "the major version the tests run (Debian's PostgreSQL 15)");
  const mount = container.volumeMounts.find((m: Manifest) => m.name === claim.metadata.name);
  assert.ok(mount, "the claim is mounted");
  // The data directory is a subfolder of the volume (a fresh volume's lost+found makes initdb refuse its root).
  assert.ok(env(container, "PGDATA").value.startsWith(`${mount.mountPath}/`));
  assert.equal(postgres.spec.template.spec.securityContext.fsGroup, container.securityContext.runAsUser);
  assert.deepEqual(env(container, "POSTGRES_PASSWORD").valueFrom, {
    secretKeyRef: { name: "abrec-postgres", key: "password" },
  });
  const user = env(container, "POSTGRES_USER").value;
  const database = env(container, "POSTGRES_DB").value;
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    const command = probe.exec.command as string[];
    assert.equal(command[0], "pg_isready");
    assert.equal(command[command.indexOf("--username") + 1], user);
    assert.equal(command[command.indexOf("--dbname") + 1], database);
  }
  assert.equal(
    service.spec.ports[0].targetPort,
    container.ports.find((p: Manifest) => p.containerPort === 5432).name,
  );
});

test("the SeldonDeployment runs both model containers under Seldon's RANDOM_ABTEST router", () => {
  const seldon = manifests().filter(({ object }) => object.kind === "SeldonDeployment");
  assert.equal(seldon.length, 1);
  const deployment = seldon[0].object;
  assert.equal(deployment.apiVersion, "machinelearning.seldon.io/v1");
  assert.equal(typeof deployment.metadata.name, "string");
  assert.ok(Array.isArray(deployment.spec.predictors) && deployment.spec.predictors.length >= 1);
  for (const predictor of deployment.spec.predictors) {
    assert.equal(typeof predictor.name, "string");
    const containers = predictor.componentSpecs.flatMap(
      (spec: Manifest) => spec.spec.containers,
    ) as Manifest[];
    const graph = predictor.graph;
    assert.equal(graph.name, ROUTER_NAME, "meta.routing key of our router matches Seldon's graph node");
    assert.equal(graph.type, "ROUTER");
    assert.equal(graph.implementation, "RANDOM_ABTEST");
    const ratio = graph.parameters.find((p: Manifest) => p.name === "ratioA");
    assert.equal(ratio.type, "FLOAT");
    assert.ok(Number(ratio.value) >= 0 && Number(ratio.value) <= 1);
    assert.equal(graph.children.length, 2, "RANDOM_ABTEST routes between exactly two children");
    for (const child of graph.children) {
      assert.equal(child.type, "MODEL");
      const container = containers.find((c) => c.name === child.name);
      assert.ok(container, `a container named ${child.name} for the graph node`);
      const args = checkServeArgs(container.args, child.name);
      assert.equal(args.get("--role"), "model");
      assert.equal(args.get("--model"), child.name);
      assert.equal(args.get("--port"), String(child.endpoint.service_port));
      assert.equal(child.endpoint.type, "REST");
    }
    const ports = containers.map((c) => c.ports[0].containerPort);
    assert.equal(new Set(ports).size, ports.length, "containers in one pod need distinct ports");
  }
});

test("the Dockerfile builds what the manifests run: the compiled CLI, with an abrec serve default command", () => {
  const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, "deploy", "Dockerfile"), "utf8");
  const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(dockerfile)![1]) as string[];
  assert.deepEqual(entrypoint, ["node", "dist/src/cli/index.js"]);
  // tsconfig.json compiles src/ into dist/src/: the entry point exists after `npm run build`.
  assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "src", "cli", "index.ts")));
  checkServeArgs(JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1]) as string[], "Dockerfile CMD");
  for (const match of dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm))
    if (!["models", "data/processed"].includes(match[1]))
      assert.ok(fs.existsSync(path.join(PROJECT_ROOT, match[1])), `COPY source ${match[1]} exists`);
  const images = new Set(
    manifests().flatMap(({ object }) =>
      (JSON.stringify(object).match(/"image":"([^"]+)"/g) ?? []).map((text) => text.slice(9, -1)),
    ),
  );
  // The project's one image everywhere, and PostgreSQL's official image for the event store.
  assert.deepEqual([...images].sort(), ["abrec/ab-recommenders:0.1.0", "postgres:15"]);
});
