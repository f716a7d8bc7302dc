/**
 * Headline values a notebook records for the tests to read back (Microsoft Recommenders' `store_metadata`
 * habit). Inside a tslab kernel they become a JSON display output with MIME type `RECORDED_VALUES_MIME`; outside
 * a kernel (plain Node) the call is a no-op, so the same code runs anywhere.
 */
export const RECORDED_VALUES_MIME = "application/vnd.abrec.values+json";

interface TslabDisplay {
  raw(contentType: string, obj: unknown): void;
}

/** The tslab display object when running inside a tslab kernel, else undefined. */
export function tslabDisplay(): TslabDisplay | undefined {
  // tslab's kernel process is started as `tslab kernel ...`; its display only works there.
  if (!process.argv.some((arg) => arg.endsWith("tslab") || arg.includes("tslab/bin"))) return undefined;
  try {
    return (require("tslab") as { display: TslabDisplay }).display;
  } catch {
    return undefined;
  }
}

/** Records `values` (JSON-serialisable) as the notebook's headline values. */
export function recordValues(values: Record<string, unknown>): void {
  tslabDisplay()?.raw(RECORDED_VALUES_MIME, JSON.parse(JSON.stringify(values)));
}
