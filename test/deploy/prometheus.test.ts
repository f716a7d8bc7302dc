import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../src/core/paths";
import { Random } from "../../src/core/random";
import { feedbackRequest, predictionRequest } from "../../src/serving/seldon";
import { wilsonInterval } from "../../src/stats/intervals";
import { postJson } from "../support/http";
import { startPrometheus } from "../support/prometheus";
import { startTestServing } from "../support/serving";

const DEPLOY = path.join(PROJECT_ROOT, "deploy");
const RULES = path.join(DEPLOY, "prometheus", "rules", "ab-test.rules.yml");

test("promtool: the rules unit tests pass and the scrape configuration is valid", () => {
  const rules = spawnSync(
    "promtool",
    ["test", "rules", path.join(DEPLOY, "prometheus", "tests", "ab-test.rules.test.yml")],
    {
      encoding: "utf8",
    },
  );
  assert.equal(rules.status, 0, rules.stdout + rules.stderr);
  assert.match(rules.stdout, /SUCCESS/);
  const config = spawnSync(
    "promtool",
    ["check", "config", path.join(DEPLOY, "prometheus", "prometheus.yml")],
    {
      encoding: "utf8",
      cwd: path.join(DEPLOY, "prometheus"),
    },
  );
  assert.equal(config.status, 0, config.stdout + config.stderr);
});

/** Every PromQL expression of a Grafana dashboard of deploy/grafana, with its panel title. */
function dashboardQueries(file = "ab-test-dashboard.json"): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(fs.readFileSync(path.join(DEPLOY, "grafana", file), "utf8")) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((panel) =>
    panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })),
  );
}

test("real Prometheus scraping the running service reports the event store's CTR per model; every dashboard query runs", async () => {
  const { server } = await startTestServing();
  // 400 users, one visit each; click probability 10% on the baseline and 20% on the challenger (seeded).
  const random = new Random(11);
  for (let userId = 1; userId <= 400; userId++) {
    const { json } = await postJson(`${server.url}/api/v1.0/predictions`, predictionRequest(userId, 10));
    const p = json.meta.tags.model_name === "baseline" ? 0.1 : 0.2;
    if (random.bernoulli(p))
      await postJson(
        `${server.url}/api/v1.0/feedback`,
        feedbackRequest(json, 1, json.data.ndarray[0][random.int(10)]),
      );
  }
  const counts = server.store!.counts().variants;
  assert.equal(counts.length, 2);
  const prometheus = await startPrometheus([new URL(server.url).host], [RULES]);
  try {
    let ctr: { metric: Record<string, string>; value: [number, string] }[] = [];
    for (let attempt = 0; attempt < 150; attempt++) {
      ctr = await prometheus.query("model_name:abrec_ctr:ratio");
      if (ctr.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(ctr.length, 2, "recording rule evaluated for both models");
    for (const row of counts) {
      const recorded = ctr.find((sample) => sample.metric.model_name === row.variant)!;
      // Prometheus divides the same two integers the store counts: equal to floating-point rounding.
      assert.ok(Math.abs(Number(recorded.value[1]) - row.clicks / row.impressions) < 1e-12, row.variant);
      const interval = wilsonInterval({ units: row.impressions, clicks: row.clicks });
      const [lower] = await prometheus.query(
        `model_name:abrec_ctr_wilson_lower:ratio{model_name="${row.variant}"}`,
      );
      const [upper] = await prometheus.query(
        `model_name:abrec_ctr_wilson_upper:ratio{model_name="${row.variant}"}`,
      );
      // The rules use z and its powers rounded to 6 decimals: agreement within 1e-5.
      assert.ok(Math.abs(Number(lower.value[1]) - interval.lower) < 1e-5, `${row.variant} lower`);
      assert.ok(Math.abs(Number(upper.value[1]) - interval.upper) < 1e-5, `${row.variant} upper`);
      const [impressions] = await prometheus.query(
        `model_name:abrec_impressions:sum{model_name="${row.variant}"}`,
      );
      assert.equal(Number(impressions.value[1]), row.impressions);
    }
    // Wait for a second scrape so rate() based queries have two samples, then run every dashboard query.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const queries = dashboardQueries();
    assert.ok(queries.length >= 10);
    for (const { panel, expr } of queries) {
      const result = await prometheus.query(expr);
      assert.ok(result.length > 0, `dashboard panel "${panel}": ${expr} returned nothing`);
    }
  } finally {
    await prometheus.stop();
    await server.close();
  }
});

test("real Prometheus scraping an interleaving and a Thompson-sampling router: credit and choice probabilities as the routers count them; every query of the interleaving and bandit dashboard runs", async () => {
  const interleave = (await startTestServing({ routing: { mode: "interleave", ratioA: 0.5, seed: 3 } }))
    .server;
  const thompson = (await startTestServing({ routing: { mode: "thompson", ratioA: 0.5, seed: 3 } })).server;
  const random = new Random(12);
  try {
    for (let userId = 1; userId <= 150; userId++) {
      // Interleaving: a click on the baseline's first movie 10% of the time, on the challenger's 20%.
      const { json: slate } = await postJson(
        `${interleave.url}/api/v1.0/predictions`,
        predictionRequest(userId, 10),
      );
      const u = random.float();
      const team = u < 0.1 ? "baseline" : u < 0.3 ? "challenger" : undefined;
      if (team) {
        const slot = (slate.meta.tags.teams as string[]).indexOf(team);
        await postJson(
          `${interleave.url}/api/v1.0/feedback`,
          feedbackRequest(slate, 1, slate.data.ndarray[0][slot]),
        );
      }
      const { json: routed } = await postJson(
        `${thompson.url}/api/v1.0/predictions`,
        predictionRequest(userId, 10),
      );
      if (random.bernoulli(routed.meta.tags.model_name === "baseline" ? 0.1 : 0.2))
        await postJson(
          `${thompson.url}/api/v1.0/feedback`,
          feedbackRequest(routed, 1, routed.data.ndarray[0][0]),
        );
    }
    const wins: Record<string, number> = { baseline: 0, challenger: 0 };
    for (const user of interleave.store!.counts().interleaving)
      for (const [model, won] of Object.entries(user.wins)) wins[model] += won;
    assert.ok(wins.baseline > 0 && wins.challenger > 0, JSON.stringify(wins));
    const exposition = (await thompson.metrics.exposition()).body;
    const gauge = (model: string) =>
      Number(
        exposition
          .split("\n")
          .find((line) => line.startsWith(`abrec_bandit_selection_probability{model_name="${model}"}`))!
          .split(" ")
          .pop(),
      );
    const prometheus = await startPrometheus(
      [new URL(interleave.url).host, new URL(thompson.url).host],
      [RULES],
    );
    try {
      type Samples = { metric: Record<string, string>; value: [number, string] }[];
      let credit: Samples = [];
      let probabilities: Samples = [];
      // Both targets scraped and the rule evaluated (the two routers' first scrapes need not coincide).
      for (let attempt = 0; attempt < 150; attempt++) {
        credit = await prometheus.query("model_name:abrec_interleaving_credit:sum");
        probabilities = await prometheus.query("abrec_bandit_selection_probability");
        if (credit.length === 2 && probabilities.length === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(credit.length, 2, "recording rule evaluated for both models");
      for (const sample of credit)
        assert.equal(Number(sample.value[1]), wins[sample.metric.model_name], sample.metric.model_name);
      assert.equal(probabilities.length, 2, "gauge scraped for both models");
      for (const sample of probabilities)
        assert.ok(
          Math.abs(Number(sample.value[1]) - gauge(sample.metric.model_name)) < 1e-12,
          sample.metric.model_name,
        );
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const queries = dashboardQueries("interleaving-bandits-dashboard.json");
      assert.ok(queries.length >= 5);
      for (const { panel, expr } of queries) {
        const result = await prometheus.query(expr);
        assert.ok(result.length > 0, `dashboard panel "${panel}": ${expr} returned nothing`);
      }
    } finally {
      await prometheus.stop();
    }
  } finally {
    await interleave.close();
    await thompson.close();
  }
});
