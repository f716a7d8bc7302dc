/**
 * The simulation's journal: one JSON line per finished visit, after a header line describing the run. It is what
 * makes a simulation resumable: re-running with the same settings skips the visits already in the journal (their
 * random draws are replayed, not repeated, so visit i is the same visit whether or not the run was interrupted).
 *
 * Two lines per visit: a "shown" line as soon as the slate is served (with the router's request id), and a "visit"
 * line once the click (or its absence) has been acknowledged. Over HTTP a resumed run finishes a visit that was
 * shown but not finished with the slate already served (same request id), instead of requesting a second
 * impression, so the event store sees each visit once; the one remaining window is a crash between the router
 * storing an impression and its response reaching the simulator (that impression has no feedback). A browser
 * cannot return to a page of a closed browser, so it shows such a visit again (a later "shown" line supersedes the
 * earlier one, whose impression stays without a click). A line cut short by a crash is dropped on reopening.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../core/errors";
import type { CalendarDescription } from "./calendar";
import type { ClickModelParameters } from "./click-model";
import type { VisitorSampling } from "./population";

/** What identifies a run: a journal is only resumed by a run with the same header. */
export interface JournalHeader {
  kind: "header";
  /** Journal format version. */
  format: 2;
  seed: number;
  /**
   * Planned visits of a run of visitors drawn uniformly; null on a calendar, whose visits are planned day by day
   * (the pre-period first, then as many experiment days as the design asks).
   */
  visits: number | null;
  /** The calendar the visitors follow, or null for visitors drawn uniformly. */
  calendar: CalendarDescription | null;
  /** "http", "browser" or "in-process". */
  transport: string;
  /** Where the visits went (router or site URL); informational, not compared on resume. */
  target: string;
  parameters: ClickModelParameters;
  populationSize: number;
  /** SHA-256 of the population's user ids and relevant movies (see `populationFingerprint`). */
  populationFingerprint: string;
  sampling: VisitorSampling;
}

/** A slate served to a visit that has not finished yet. */
export interface ShownRecord {
  kind: "shown";
  visit: number;
  visitId: string;
  userId: number;
  /** The simulated day, or null without a calendar. */
  day: number | null;
  variant: string;
  requestId: string;
  movieIds: number[];
}

/** One finished visit. */
export interface VisitRecord {
  kind: "visit";
  /** 0-based visit number within the run. */
  visit: number;
  /** `s<seed>-v<visit>`: unique per seed and visit, sent to the router as the request's puid. */
  visitId: string;
  userId: number;
  /** The simulated day, or null without a calendar. */
  day: number | null;
  /** The variant (model) that served the slate, as the router or site reported it. */
  variant: string;
  /** The router's request id of the impression. */
  requestId: string;
  /** Movie ids shown, top first. */
  movieIds: number[];
  /** Clicked position (0-based), or -1 for no click. */
  clickedPosition: number;
  /** The exact expected CTR of the slate shown, for this user, under the click model. */
  expectedCtr: number;
  /** Unix milliseconds when the visit finished. */
  finishedAtMs: number;
}

/** The visit id of visit number `visit` of a run seeded `seed`. */
export function visitId(seed: number, visit: number): string {
  return `s${seed}-v${visit}`;
}

/** Header fields compared when resuming (everything but the target URL). */
const COMPARED_FIELDS = [
  "format",
  "seed",
  "visits",
  "calendar",
  "transport",
  "parameters",
  "populationSize",
  "populationFingerprint",
  "sampling",
] as const;

export interface OpenedJournal {
  /** Finished visits read back, by visit number. */
  done: Map<number, VisitRecord>;
  /** Visits shown but not finished, by visit number (the latest showing). */
  shown: Map<number, ShownRecord>;
  /** "shown" lines superseded by a later showing of the same visit (abandoned impressions). */
  supersededShown: number;
  /** Appends one record (synchronously, one write call per line). */
  append(record: ShownRecord | VisitRecord): void;
  close(): void;
}

/**
 * Opens (creating when absent) the journal at `file` for a run with `header`. An existing journal must have the
 * same header (else an InputError naming the differing field: use another file or the original settings). A
 * trailing partial line (a crash mid-write) is cut off; any other malformed line is an InputError.
 */
export function openJournal(file: string, header: JournalHeader): OpenedJournal {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const done = new Map<number, VisitRecord>();
  const shown = new Map<number, ShownRecord>();
  let supersededShown = 0;
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, "utf8");
    const complete = text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1);
    if (complete.length !== text.length) fs.truncateSync(file, Buffer.byteLength(complete));
    const lines = complete.split("\n").slice(0, -1);
    if (lines.length === 0) fs.writeFileSync(file, JSON.stringify(header) + "\n");
    lines.forEach((line, i) => {
      let value: JournalHeader | ShownRecord | VisitRecord;
      try {
        value = JSON.parse(line) as JournalHeader | ShownRecord | VisitRecord;
      } catch {
        throw new InputError("expected one JSON object per line", { file, line: i + 1 });
      }
      if (i === 0) {
        if (value.kind !== "header") throw new InputError("expected the journal header", { file, line: 1 });
        for (const field of COMPARED_FIELDS)
          if (JSON.stringify(value[field]) !== JSON.stringify(header[field]))
            throw new InputError(
              `this journal belongs to another run (${field} ${JSON.stringify(value[field])}, this run has ` +
                `${JSON.stringify(header[field])}); resume with the original settings or choose another output`,
              { file, line: 1, field },
            );
        return;
      }
      if (
        (value.kind !== "visit" && value.kind !== "shown") ||
        !Number.isInteger(value.visit) ||
        value.visit < 0 ||
        (header.visits !== null && value.visit >= header.visits)
      )
        throw new InputError(
          `expected a shown or visit record with a visit number in 0..${(header.visits ?? Infinity) - 1}`,
          {
            file,
            line: i + 1,
          },
        );
      if (done.has(value.visit))
        throw new InputError(`visit ${value.visit} is recorded after it finished`, { file, line: i + 1 });
      if (value.kind === "visit") {
        shown.delete(value.visit);
        done.set(value.visit, value);
      } else {
        if (shown.has(value.visit)) supersededShown++;
        shown.set(value.visit, value);
      }
    });
  } else {
    fs.writeFileSync(file, JSON.stringify(header) + "\n");
  }
  const fd = fs.openSync(file, "a");
  const journal: OpenedJournal = {
    done,
    shown,
    supersededShown,
    append(record) {
      if (record.kind === "shown" && shown.has(record.visit)) journal.supersededShown++;
      fs.writeSync(fd, JSON.stringify(record) + "\n");
    },
    close() {
      fs.closeSync(fd);
    },
  };
  return journal;
}

/** Reads a journal's header and visits (for analysis and tests). */
export function readJournal(file: string): { header: JournalHeader; visits: VisitRecord[] } {
  if (!fs.existsSync(file)) throw new InputError("journal not found", { file });
  const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  const parsed = lines.map((line, i) => {
    try {
      return JSON.parse(line) as JournalHeader | ShownRecord | VisitRecord;
    } catch {
      if (i === lines.length - 1) return undefined; // a line cut short by a crash
      throw new InputError("expected one JSON object per line", { file, line: i + 1 });
    }
  });
  const [header, ...rest] = parsed;
  if (!header || header.kind !== "header")
    throw new InputError("expected the journal header", { file, line: 1 });
  const visits = rest.filter((r): r is VisitRecord => r?.kind === "visit").sort((a, b) => a.visit - b.visit);
  return { header, visits };
}
