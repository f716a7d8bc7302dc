/**
 * Vega-Lite specs (pure data) of the results figures: CTR per variant with intervals and ground truth, and the
 * cumulative CTR and p-values over the course of the experiment. The power curve comes from
 * src/stats/figures.ts (`powerCurveSpec`). Rendered by core/figures (`saveFigure`, `showFigure`).
 */
import type { FigureSpec } from "../core/figures";
import type { CumulativePoint } from "./cumulative";

const WIDTH = 520;
const HEIGHT = 260;

/** One arm's measured CTR with its interval and, when known, the exact expected CTR under the click model. */
export interface ArmCtr {
  variant: string;
  ctr: number;
  lower: number;
  upper: number;
  groundTruthCtr: number | null;
}

/** Measured CTR per variant (points) with 95% Wilson intervals (rules) and ground truth (ticks). */
export function ctrByVariantSpec(arms: readonly ArmCtr[], level = 0.95): FigureSpec {
  const values = arms.map((a) => ({
    ...a,
    ctrPct: 100 * a.ctr,
    lowerPct: 100 * a.lower,
    upperPct: 100 * a.upper,
  }));
  const truths = arms
    .filter((a) => a.groundTruthCtr !== null)
    .map((a) => ({
      variant: a.variant,
      truthPct: 100 * (a.groundTruthCtr as number),
      label: "ground truth",
    }));
  return {
    title: {
      text: `CTR per variant, ${Math.round(100 * level)}% Wilson intervals`,
      subtitle: "black tick: the exact CTR under the click model",
    },
    width: 360,
    height: HEIGHT,
    layer: [
      {
        data: { values },
        mark: { type: "rule", strokeWidth: 2 },
        encoding: {
          x: { field: "variant", type: "nominal", title: null, axis: { labelAngle: 0 } },
          y: { field: "lowerPct", type: "quantitative", title: "CTR (%)", scale: { zero: true } },
          y2: { field: "upperPct" },
          color: { field: "variant", type: "nominal", legend: null },
        },
      },
      {
        data: { values },
        mark: { type: "point", filled: true, size: 90 },
        encoding: {
          x: { field: "variant", type: "nominal" },
          y: { field: "ctrPct", type: "quantitative" },
          color: { field: "variant", type: "nominal", legend: null },
        },
      },
      {
        data: { values: truths },
        mark: { type: "tick", color: "black", thickness: 2, size: 40 },
        encoding: {
          x: { field: "variant", type: "nominal" },
          y: { field: "truthPct", type: "quantitative" },
        },
      },
    ],
  } as FigureSpec;
}

/**
 * Two panels over visits in serving order: cumulative CTR per arm (dashed: ground truth), and the one-sided,
 * two-sided and always-valid p-values at each look (log scale, dashed: alpha).
 */
export function cumulativeSpec(
  points: readonly CumulativePoint[],
  names: { control: string; treatment: string },
  groundTruth: { variant: string; ctr: number }[] = [],
  alpha = 0.05,
): FigureSpec {
  const ctrValues = points.flatMap((p) => [
    { visits: p.visits, variant: names.control, ctrPct: 100 * p.controlCtr },
    { visits: p.visits, variant: names.treatment, ctrPct: 100 * p.treatmentCtr },
  ]);
  const pValues = points.flatMap((p) => [
    { visits: p.visits, test: "z-test, one-sided (pre-registered)", p: Math.max(p.pValueOneSided, 1e-12) },
    { visits: p.visits, test: "z-test, two-sided", p: Math.max(p.pValueTwoSided, 1e-12) },
    { visits: p.visits, test: "always valid (sequential)", p: Math.max(p.alwaysValidPValue, 1e-12) },
  ]);
  const visitsAxis = { field: "visits", type: "quantitative", title: "visits so far (both arms)" };
  return {
    title: "The experiment as it unfolded",
    vconcat: [
      {
        width: WIDTH,
        height: HEIGHT,
        title: "Cumulative CTR per variant (dashed: exact CTR under the click model)",
        layer: [
          {
            data: { values: ctrValues },
            mark: { type: "line" },
            encoding: {
              x: visitsAxis,
              y: { field: "ctrPct", type: "quantitative", title: "cumulative CTR (%)" },
              color: { field: "variant", type: "nominal" },
            },
          },
          {
            data: { values: groundTruth.map((g) => ({ variant: g.variant, ctrPct: 100 * g.ctr })) },
            mark: { type: "rule", strokeDash: [4, 4] },
            encoding: {
              y: { field: "ctrPct", type: "quantitative" },
              color: { field: "variant", type: "nominal" },
            },
          },
        ],
      },
      {
        width: WIDTH,
        height: HEIGHT,
        title: `p-value at each look (dashed: alpha = ${alpha})`,
        layer: [
          {
            data: { values: pValues },
            mark: { type: "line" },
            encoding: {
              x: visitsAxis,
              y: { field: "p", type: "quantitative", title: "p-value", scale: { type: "log" } },
              color: {
                field: "test",
                type: "nominal",
                legend: { orient: "bottom", columns: 1, labelLimit: 0 },
              },
            },
          },
          {
            data: { values: [{ alpha }] },
            mark: { type: "rule", strokeDash: [4, 4], color: "gray" },
            encoding: { y: { field: "alpha", type: "quantitative" } },
          },
        ],
      },
    ],
    resolve: { scale: { color: "independent" } },
  } as FigureSpec;
}
