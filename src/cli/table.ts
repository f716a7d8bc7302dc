/** Plain-text tables for the CLI's readable output. */

/**
 * Formats rows as left-aligned columns separated by two spaces, with a dashed rule under the header.
 *
 * @example
 * formatTable(["method", "n"], [["pooled", "1074"]]);
 * // => "method  n   \n------  ----\npooled  1074"
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
