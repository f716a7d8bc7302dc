import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderSvg, saveFigure, type FigureSpec } from "../../src/core/figures";

const spec: FigureSpec = {
  title: "Ratings & <titles>",
  data: {
    values: [
      { rating: "4.0", count: 26818 },
      { rating: "5.0", count: 13211 },
    ],
  },
  mark: "bar",
  encoding: {
    x: { field: "rating", type: "ordinal" },
    y: { field: "count", type: "quantitative" },
  },
};

test("renderSvg draws one bar per row and escapes the title", async () => {
  const svg = await renderSvg(spec);
  assert.match(svg, /^<svg/);
  assert.equal((svg.match(/aria-roledescription="bar"/g) ?? []).length, 2, "two bars");
  assert.match(svg, /Ratings &amp; &lt;titles&gt;/);
});

test("saveFigure writes a valid PNG and SVG", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-fig-"));
  const { svg, png } = await saveFigure(spec, path.join(dir, "ratings"));
  const bytes = fs.readFileSync(png);
  assert.deepEqual(
    [...bytes.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    "PNG signature",
  );
  assert.ok(bytes.length > 2000, `PNG has content (${bytes.length} bytes)`);
  assert.match(fs.readFileSync(svg, "utf8"), /<svg/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["ratings.png", "ratings.svg"], "no temporary files left");
});
