/**
 * Figures: Vega-Lite specs rendered to SVG (vega's headless renderer) and PNG (resvg), for notebooks (inline) and
 * the CLI (files under results/figures/). No browser and no canvas package are needed.
 *
 * @example
 * const spec: FigureSpec = { data: { values: [{ x: "a", y: 1 }] }, mark: "bar",
 *   encoding: { x: { field: "x", type: "nominal" }, y: { field: "y", type: "quantitative" } } };
 * await saveFigure(spec, "results/figures/example"); // writes example.svg and example.png
 */
import * as path from "node:path";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import { Resvg } from "@resvg/resvg-js";
import { writeFileAtomic } from "./files";
import { tslabDisplay } from "./notebook";

export type FigureSpec = vegaLite.TopLevelSpec;

/** One font everywhere, so SVG text metrics and PNG rasterisation agree (Debian's fonts-dejavu-core). */
const FONT = "DejaVu Sans";
const FONT_FILES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
];

function withDefaults(spec: FigureSpec): FigureSpec {
  return {
    background: "white",
    ...spec,
    config: { font: FONT, ...(spec as { config?: object }).config },
  } as FigureSpec;
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: FigureSpec): Promise<string> {
  const compiled = vegaLite.compile(withDefaults(spec)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders a Vega-Lite spec to PNG bytes at `scale` times its natural size. */
export async function renderPng(spec: FigureSpec, scale = 2): Promise<Uint8Array> {
  const svg = await renderSvg(spec);
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: { fontFiles: FONT_FILES, loadSystemFonts: true, defaultFontFamily: FONT },
  });
  return resvg.render().asPng();
}

/** Writes `<base>.svg` and `<base>.png`; returns their paths. */
export async function saveFigure(spec: FigureSpec, base: string): Promise<{ svg: string; png: string }> {
  const svgPath = `${base}.svg`;
  const pngPath = `${base}.png`;
  writeFileAtomic(svgPath, await renderSvg(spec));
  writeFileAtomic(pngPath, await renderPng(spec));
  return { svg: path.resolve(svgPath), png: path.resolve(pngPath) };
}

/** Shows a figure inline in a tslab notebook (SVG); outside a kernel it does nothing. */
export async function showFigure(spec: FigureSpec): Promise<void> {
  const display = tslabDisplay();
  if (display) display.raw("image/svg+xml", await renderSvg(spec));
}
