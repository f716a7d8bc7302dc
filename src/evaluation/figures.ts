/** Figures of model selection for the notebooks: validation NDCG per baseline window, training curves. */
import type { FigureSpec } from "../core/figures";
import type { EpochRecord } from "../models/challenger/train";
import type { BaselineSelection } from "./model-selection";

/** Bars of validation NDCG@10 per popularity window ("all" = whole history). */
export function windowValidationSpec(selection: BaselineSelection): FigureSpec {
  return {
    title: "Baseline: validation NDCG@10 by popularity window",
    width: 360,
    height: 200,
    data: {
      values: selection.candidates.map((c) => ({
        window: c.windowDays === null ? "all" : `${c.windowDays} d`,
        ndcg: c.validationNdcg,
        chosen: c.windowDays === selection.hyperparameters.windowDays ? "chosen" : "candidate",
      })),
    },
    mark: "bar",
    encoding: {
      x: { field: "window", type: "nominal", sort: null, title: "window before the validation cutoff" },
      y: { field: "ndcg", type: "quantitative", title: "validation NDCG@10" },
      color: { field: "chosen", type: "nominal", title: null },
    },
  } as FigureSpec;
}

/** Training loss and validation NDCG@10 per epoch, side by side. */
export function trainingCurveSpec(history: readonly EpochRecord[]): FigureSpec {
  const values = history.flatMap((r) => [
    { epoch: r.epoch, series: "BPR loss", value: r.loss },
    ...(r.validation !== undefined
      ? [{ epoch: r.epoch, series: "validation NDCG@10", value: r.validation }]
      : []),
  ]);
  return {
    title: "Challenger training on the validation split",
    data: { values },
    facet: { field: "series", type: "nominal", title: null },
    spec: {
      width: 260,
      height: 180,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "epoch", type: "quantitative", axis: { tickMinStep: 1 } },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
      },
    },
    resolve: { scale: { y: "independent" } },
  } as FigureSpec;
}
