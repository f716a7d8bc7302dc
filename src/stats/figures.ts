/**
 * Vega-Lite specs (pure data) for the experiment-design figures: power curves, minimum detectable effect versus
 * sample size and the peeking simulation. Rendering happens in notebooks
 * (`showFigure`) and the CLI (`saveFigure`) through core/figures.
 */
import type { FigureSpec } from "../core/figures";
import { type DesignSettings, SAMPLE_SIZE_METHODS, type SampleSizeMethod } from "./design";
import type { PeekingSimulation } from "./peeking";
import { minimumDetectableEffect, powerForSampleSize } from "./power";

const WIDTH = 520;
const HEIGHT = 300;

/** A dashed horizontal reference line at `value` (alpha, target power), as a layer. */
function horizontalRule(value: number) {
  return {
    data: { values: [{ value }] },
    mark: { type: "rule", strokeDash: [4, 4], color: "gray" },
    encoding: { y: { field: "value", type: "quantitative" } },
  };
}

/** n = step, 2 step, ..., up to maxUsers. */
function grid(maxUsers: number, points: number): number[] {
  const step = Math.max(1, Math.round(maxUsers / points));
  const out: number[] = [];
  for (let n = step; n <= maxUsers; n += step) out.push(n);
  return out;
}

/**
 * Power against users per group for each method, with the target power and the chosen size marked.
 *
 * @param chosenUsers the size to mark with a vertical rule (e.g. 1124)
 */
export function powerCurveSpec(
  settings: DesignSettings,
  chosenUsers: number,
  maxUsers = 2 * chosenUsers,
  methods: readonly SampleSizeMethod[] = SAMPLE_SIZE_METHODS,
): FigureSpec {
  const values = methods.flatMap((method) =>
    grid(maxUsers, 80).map((users) => ({
      users,
      power: powerForSampleSize(settings, users, method),
      method,
    })),
  );
  const target = settings.power ?? 0.9;
  return {
    title: "Power of the test against users per group",
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values },
        mark: { type: "line" },
        encoding: {
          x: { field: "users", type: "quantitative", title: "users per group" },
          y: { field: "power", type: "quantitative", title: "power", scale: { domain: [0, 1] } },
          color: { field: "method", type: "nominal" },
        },
      },
      horizontalRule(target),
      {
        data: { values: [{ users: chosenUsers }] },
        mark: { type: "rule", strokeDash: [2, 2], color: "black" },
        encoding: { x: { field: "users", type: "quantitative" } },
      },
    ],
  } as FigureSpec;
}

/** The minimum detectable absolute effect (percentage points) against users per group, for each method. */
export function mdeVersusUsersSpec(
  settings: Omit<DesignSettings, "minimumDetectableEffect" | "relativeEffect">,
  maxUsers: number,
  methods: readonly SampleSizeMethod[] = SAMPLE_SIZE_METHODS,
): FigureSpec {
  const values = methods.flatMap((method) =>
    grid(maxUsers, 60)
      .filter((users) => users >= 100)
      .map((users) => ({
        users,
        mdePoints: 100 * minimumDetectableEffect(settings, users, method).absoluteEffect,
        method,
      })),
  );
  return {
    title: "Minimum detectable effect against users per group",
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: "line" },
    encoding: {
      x: { field: "users", type: "quantitative", title: "users per group" },
      y: { field: "mdePoints", type: "quantitative", title: "minimum detectable effect (CTR points)" },
      color: { field: "method", type: "nominal" },
    },
  } as FigureSpec;
}

/** Cumulative share of A/A experiments declared significant by look: fixed-n test with peeking vs sequential. */
export function peekingSpec(simulation: PeekingSimulation): FigureSpec {
  const values = simulation.looks.flatMap((users, k) => [
    {
      users,
      rejected: simulation.peekingRejectionByLook[k],
      test: "fixed-n z-test, stop at first p < alpha",
    },
    { users, rejected: simulation.sequentialRejectionByLook[k], test: "sequential (always valid)" },
  ]);
  return {
    title: `Peeking in ${simulation.settings.experiments} simulated A/A experiments`,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "users", type: "quantitative", title: "users per group at the look" },
          y: { field: "rejected", type: "quantitative", title: "share falsely declared significant" },
          color: { field: "test", type: "nominal", legend: { orient: "top-left", labelLimit: 400 } },
        },
      },
      horizontalRule(simulation.settings.alpha),
    ],
  } as FigureSpec;
}
