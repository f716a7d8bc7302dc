import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
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
  "v1/Service": Service,
  "v1/Namespace": Namespace,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
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

test("core objects (Namespace, Deployments, Services, PVC) validate against the Kubernetes schemas", () => {
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
  // The router is the event store's only writer: one replica, never two pods at once.
  const router = deployments.find((d) => d.metadata.name === "abrec-router")!;
  assert.equal(router.spec.replicas, 1);
  assert.equal(router.spec.strategy.type, "Recreate");
  const routerArgs = checkServeArgs(router.spec.template.spec.containers[0].args, "router");
  for (const url of routerArgs.get("--model-urls")!.split(",")) {
    const host = new URL(url.split("=")[1]).hostname;
    assert.ok(
      services.some((s) => s.metadata.name === host),
      `router reaches Service ${host}`,
    );
  }
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
  assert.equal(images.size, 1, `one image everywhere: ${[...images].join(", ")}`);
});
