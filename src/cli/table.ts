/** Plain-text tables: the one formatter every command's readable output uses. */

export type ColumnAlignment = "left" | "right";

/**
 * Formats rows as columns separated by two spaces, with a dashed rule under the header. Columns are left-aligned
 * unless `options.align` says otherwise (right for numbers).
 *
 * @example
 * formatTable(["method", "n"], [["pooled", "1074"]]);
 * // => "method  n\n------  ----\npooled  1074"
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: { align?: readonly ColumnAlignment[] } = {},
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (options.align?.[i] === "right" ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
