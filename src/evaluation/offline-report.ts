/**
 * The offline comparison of the two models: every metric with its bootstrap interval side by side, the relative
 * lift of the challenger over the baseline (paired bootstrap), a table for the terminal and docs/models.md, a
 * figure, and `offline-metrics.json` with the run record.
 */
import * as path from "node:path";
import type { PreparedDataset, SplitName } from "../data/types";
import type { Recommender } from "../models/recommender";
import { writeJsonAtomic } from "../core/files";
import { saveFigure, type FigureSpec } from "../core/figures";
import { runEnvironment } from "../core/run-record";
import {
  DEFAULT_EVALUATION,
  evaluateRecommender,
  evaluationUsers,
  relativeLift,
  type EvaluationOptions,
  type MetricName,
  type ModelEvaluation,
  type PerUserMetric,
} from "./evaluate";
import type { Interval } from "./bootstrap";

/** Metrics in report order with their display names. */
export const REPORTED_METRICS: readonly { metric: MetricName; label: string }[] = [
  { metric: "precision", label: "precision@10" },
  { metric: "recall", label: "recall@10" },
  { metric: "ndcg", label: "NDCG@10" },
  { metric: "map", label: "MAP@10" },
  { metric: "hitRate", label: "hit rate@10" },
  { metric: "coverage", label: "coverage" },
  { metric: "novelty", label: "novelty (bits)" },
];

export interface OfflineReport {
  dataset: string;
  split: SplitName;
  cutoffTimestamp: number;
  k: number;
  evaluatedUsers: number;
  options: EvaluationOptions;
  models: { name: string; version: string; metrics: Record<MetricName, Interval> }[];
  /** Relative lift of the second model over the first, per per-user metric (when two models are compared). */
  lift: Partial<Record<PerUserMetric, Interval>>;
}

/** Evaluates the models on the same users and bootstrap resamples; the first is the reference for lifts. */
export function offlineComparison(
  dataset: PreparedDataset,
  models: readonly Recommender[],
  options: Partial<EvaluationOptions> = {},
): { report: OfflineReport; evaluations: ModelEvaluation[] } {
  const resolved = { ...DEFAULT_EVALUATION, ...options };
  const users = evaluationUsers(dataset);
  const evaluations = models.map((model) => evaluateRecommender(model, dataset, resolved, users));
  const lift: OfflineReport["lift"] = {};
  if (evaluations.length === 2)
    for (const metric of ["precision", "recall", "ndcg", "map", "hitRate"] as const)
      lift[metric] = relativeLift(evaluations[1], evaluations[0], metric, resolved);
  return {
    evaluations,
    report: {
      dataset: dataset.manifest.dataset,
      split: dataset.manifest.split,
      cutoffTimestamp: dataset.manifest.cutoffTimestamp,
      k: resolved.k,
      evaluatedUsers: users.userIds.length,
      options: resolved,
      models: evaluations.map((e) => ({ name: e.model, version: e.version, metrics: e.metrics })),
      lift,
    },
  };
}

const format = (interval: Interval, digits = 3) =>
  `${interval.estimate.toFixed(digits)} [${interval.lower.toFixed(digits)}, ${interval.upper.toFixed(digits)}]`;

/** The comparison's cells: one row per metric, one column per model (mean [95% interval]), plus the lift. */
export function offlineTableCells(report: OfflineReport): { header: string[]; rows: string[][] } {
  const hasLift = Object.keys(report.lift).length > 0;
  const header = ["metric", ...report.models.map((m) => m.name), ...(hasLift ? ["relative lift"] : [])];
  const rows = REPORTED_METRICS.map(({ metric, label }) => {
    const lift = report.lift[metric as PerUserMetric];
    return [
      label,
      ...report.models.map((m) => format(m.metrics[metric])),
      ...(hasLift
        ? [
            lift
              ? `${(lift.estimate * 100).toFixed(0)}% [${(lift.lower * 100).toFixed(0)}%, ${(lift.upper * 100).toFixed(0)}%]`
              : "",
          ]
        : []),
    ];
  });
  return { header, rows };
}

/** The comparison as a Markdown table (notebooks). */
export function offlineTable(report: OfflineReport): string {
  const { header, rows } = offlineTableCells(report);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Grouped bars with 95% intervals for the ranking metrics of every model. */
export function offlineComparisonSpec(report: OfflineReport): FigureSpec {
  const values = report.models.flatMap((model) =>
    REPORTED_METRICS.filter(({ metric }) => metric !== "novelty").map(({ metric, label }) => ({
      model: model.name,
      metric: label,
      value: model.metrics[metric].estimate,
      lower: model.metrics[metric].lower,
      upper: model.metrics[metric].upper,
    })),
  );
  return {
    title: `Offline metrics on the temporal test split (${report.dataset}, ${report.evaluatedUsers} users, 95% bootstrap intervals)`,
    data: { values },
    facet: { field: "metric", type: "nominal", title: null },
    spec: {
      width: 90,
      height: 220,
      layer: [
        {
          mark: "bar",
          encoding: {
            x: { field: "model", type: "nominal", title: null },
            y: { field: "value", type: "quantitative", title: "value" },
            color: { field: "model", type: "nominal" },
          },
        },
        {
          mark: "rule",
          encoding: {
            x: { field: "model", type: "nominal" },
            y: { field: "lower", type: "quantitative" },
            y2: { field: "upper" },
          },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
  } as FigureSpec;
}

/** Writes `<outDir>/offline-metrics.json` and `<outDir>/figures/offline-comparison.{svg,png}`. */
export async function writeOfflineReport(
  outDir: string,
  report: OfflineReport,
): Promise<{ json: string; figure: { svg: string; png: string } }> {
  const json = path.join(outDir, "offline-metrics.json");
  writeJsonAtomic(json, { ...report, createdAt: new Date().toISOString(), environment: runEnvironment() });
  const figure = await saveFigure(
    offlineComparisonSpec(report),
    path.join(outDir, "figures", "offline-comparison"),
  );
  return { json: path.resolve(json), figure };
}
