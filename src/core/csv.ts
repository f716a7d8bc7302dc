/**
 * The one CSV writer of the project (events.csv, visits.csv, synthetic MovieLens files), following RFC 4180
 * section 2 (https://www.rfc-editor.org/rfc/rfc4180#section-2): fields are separated by commas; a field
 * containing a comma, a double quote, CR or LF is enclosed in double quotes (rule 6), and a double quote inside
 * it is written twice (rule 7); other fields are written as they are. Records end in LF rather than the RFC's
 * CRLF: every CSV reader in use here (DuckDB, pandas, R's read.csv, spreadsheets) accepts both, and the files
 * this project already wrote end in LF.
 *
 * @example
 * csvField('Heat, The "Movie"'); // => '"Heat, The ""Movie"""'
 * csvRow([1, "baseline", null]); // => "1,baseline,"
 * csvTable(["visit", "variant"], [[1, "a,b"]]); // => 'visit,variant\n1,"a,b"\n'
 */

/** A field's value: a number is written with `String(value)`, null or undefined as an empty field. */
export type CsvValue = string | number | null | undefined;

/** One field, quoted only when it contains a comma, a double quote, CR or LF (RFC 4180 section 2, rules 6-7). */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record: the fields, each escaped by `csvField`, separated by commas (no line end). */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvField).join(",");
}

/** A whole file: the header record, then one record per row, each ending in LF. */
export function csvTable(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [csvRow(header), ...rows.map(csvRow)].join("\n") + "\n";
}
