/**
 * Runs a traffic simulation: N visits, each a visitor of the test population who is shown a slate by the
 * system under test (the router over HTTP, the mock site in a browser, or the models in process), reacts to it
 * with the click model, and clicks (or not). The transport decides how a slate is fetched and a click is made;
 * everything else (the draws, the click decisions, the journal that makes runs resumable, progress, the summary)
 * is the same for every transport.
 *
 * Who visits: either the simulated calendar (./calendar: day by day, each user at their own rate, the pre-period
 * first; the transport tells the router each new day before its first visit, once the previous day's visits have
 * all finished), or N visitors drawn uniformly from the population (no days).
 *
 * Reproducibility: from the seed, one forked stream draws the N uniform visitors up front (the calendar has its
 * own seeds) and a second draws exactly `drawsPerVisit` uniforms per visit in visit order, so visit i meets the
 * same visitor and makes the same decision on the same slate in every run with that seed, interrupted or not.
 * Which variant serves it is up to the router.
 */
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import { createProgress } from "../core/progress";
import {
  drawVisitUniforms,
  expectedSlateCtr,
  simulateVisitWithUniforms,
  validateParameters,
  type ClickModelParameters,
} from "./click-model";
import { calendarVisits, describeCalendar, type VisitRates, type VisitSchedule } from "./calendar";
import { openJournal, visitId, type VisitRecord } from "./journal";
import {
  populationFingerprint,
  relevancePattern,
  sampleVisitors,
  type TestPopulation,
  type VisitorSampling,
} from "./population";

/** One visit as planned before it is made. */
export interface PlannedVisit {
  /** 0-based visit number. */
  visit: number;
  visitId: string;
  /** The MovieLens user making the visit. */
  userId: number;
  /** The simulated day, or null without a calendar. */
  day: number | null;
}

/** What the visitor was shown. */
export interface ShownSlate {
  variant: string;
  requestId: string;
  /** Movie ids, top first. */
  movieIds: number[];
}

/** How visits reach the system under test. */
export interface VisitTransport {
  /** "http", "browser" or "in-process" (recorded in the journal). */
  readonly kind: string;
  /** The URL (or description) of the system under test. */
  readonly target: string;
  /** Shows the visitor their slate (requests a prediction, or signs in and loads the home page). */
  show(visit: PlannedVisit): Promise<ShownSlate>;
  /** Carries out the visit's outcome: click the movie at `clickedPosition`, or nothing when it is -1. */
  finish(visit: PlannedVisit, shown: ShownSlate, clickedPosition: number): Promise<void>;
  /**
   * True when a slate shown by an interrupted run can still be acted on (HTTP: the feedback names its request id),
   * so a resumed run finishes that visit on it. False for a browser, whose page is gone: the visit is shown again
   * and the earlier impression stays without a click (counted in `abandonedImpressions`).
   */
  readonly reusesShownSlates: boolean;
  /**
   * Tells the system under test that simulated day `day` has begun (the router's simulated calendar), before the
   * day's first visit and after every visit of earlier days finished. Required for a calendar run.
   */
  startDay?(day: number): Promise<void>;
  /** Releases what the transport holds (browser, connections). */
  close(): Promise<void>;
}

export interface SimulationOptions {
  population: TestPopulation;
  parameters: ClickModelParameters;
  /** Planned visits of visitors drawn uniformly (a resumed run keeps the same number); ignored with `calendar`. */
  visits?: number;
  /**
   * Visits follow this calendar through day `throughDay` (inclusive). A run may be extended: the same journal
   * called again with a later `throughDay` keeps the earlier days' visits and adds the new days'.
   */
  calendar?: { rates: VisitRates; schedule: VisitSchedule; throughDay: number };
  seed: number;
  transport: VisitTransport;
  /** The journal (JSON lines); an existing one for the same run is resumed. */
  journalFile: string;
  /** Visits in flight at once (1 for a browser). */
  concurrency?: number;
  /** Stops dispatching new visits once this many have been made in this call (tests of resumption). */
  maxNewVisits?: number;
  /** Aborting stops dispatching new visits; visits in flight finish and are journalled. */
  signal?: AbortSignal;
  quiet?: boolean;
}

/** Measured and expected CTR of one variant. */
export interface VariantSummary {
  variant: string;
  visits: number;
  clicks: number;
  /** clicks / visits. */
  ctr: number;
  /** Mean over this variant's visits of the exact expected CTR of the slate each visitor saw. */
  expectedCtr: number;
}

export interface SimulationSummary {
  seed: number;
  plannedVisits: number;
  /** Visits in the journal (earlier runs and this one). */
  completedVisits: number;
  /** Visits made by this call. */
  newVisits: number;
  /** True when every planned visit is in the journal. */
  complete: boolean;
  /**
   * Impressions the simulation caused but never finished: shown by an interrupted run and then shown again
   * (browser) or still unfinished. Each is an impression without a click in the event store.
   */
  abandonedImpressions: number;
  sampling: VisitorSampling;
  transport: string;
  target: string;
  journalFile: string;
  /** Variants sorted by name. */
  variants: VariantSummary[];
  elapsedMs: number;
  /** New visits per second of wall time in this call. */
  visitsPerSecond: number;
}

/** Per-variant visits, clicks, CTR and mean expected CTR of journalled visits. */
export function summarizeVisits(records: Iterable<VisitRecord>): VariantSummary[] {
  const byVariant = new Map<string, { visits: number; clicks: number; expected: number }>();
  for (const record of records) {
    const entry = byVariant.get(record.variant) ?? { visits: 0, clicks: 0, expected: 0 };
    entry.visits++;
    if (record.clickedPosition >= 0) entry.clicks++;
    entry.expected += record.expectedCtr;
    byVariant.set(record.variant, entry);
  }
  return [...byVariant.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([variant, e]) => ({
      variant,
      visits: e.visits,
      clicks: e.clicks,
      ctr: e.clicks / e.visits,
      expectedCtr: e.expected / e.visits,
    }));
}

/** Running visits and clicks per variant, for the progress line (O(1) per visit). */
class Tally {
  private readonly counts = new Map<string, { visits: number; clicks: number }>();
  add(variant: string, clicked: boolean): void {
    const entry = this.counts.get(variant) ?? { visits: 0, clicks: 0 };
    entry.visits++;
    if (clicked) entry.clicks++;
    this.counts.set(variant, entry);
  }
  /** `{ baseline: "7.1% of 512", ... }`: CTR per variant for the progress bar. */
  values(): Record<string, string> {
    return Object.fromEntries(
      [...this.counts.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([variant, c]) => [variant, `${((100 * c.clicks) / c.visits).toFixed(1)}% of ${c.visits}`]),
    );
  }
}

/**
 * Makes the planned visits that are not yet in the journal and returns the summary over all journalled visits.
 * Visitors are drawn with `sampleVisitors` (with replacement when the population is smaller than `visits`).
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const { population, parameters, seed, transport, calendar } = options;
  validateParameters(parameters);
  const root = new Random(seed);
  const visitorStream = root.fork();
  const clickStream = root.fork();
  let userIds: ArrayLike<number>;
  let days: ArrayLike<number> | undefined;
  let sampling: VisitorSampling;
  if (calendar) {
    if (!transport.startDay)
      throw new InputError(`the ${transport.kind} transport cannot follow a simulated calendar`, {
        field: "transport",
      });
    ({ userIds, days } = calendarVisits(calendar.schedule, calendar.throughDay));
    sampling = "calendar";
  } else {
    if (options.visits === undefined)
      throw new InputError("expected a number of visits or a calendar", { field: "visits" });
    ({ userIds, sampling } = sampleVisitors(population, options.visits, visitorStream));
  }
  const visits = userIds.length;
  const journal = openJournal(options.journalFile, {
    kind: "header",
    format: 2,
    seed,
    visits: calendar ? null : visits,
    calendar: calendar ? describeCalendar(calendar.rates, calendar.schedule) : null,
    transport: transport.kind,
    target: transport.target,
    parameters,
    populationSize: population.userIds.length,
    populationFingerprint: populationFingerprint(population),
    sampling,
  });
  // A calendar journal extended beyond this call's last day holds later visits too: count only the planned ones.
  const plannedDone = () => [...journal.done.values()].filter((record) => record.visit < visits);
  const countDone = () => (journal.done.size <= visits ? journal.done.size : plannedDone().length);
  const started = Date.now();
  const progress = createProgress({
    label: `simulate (${transport.kind})`,
    total: visits,
    unit: "visits",
    quiet: options.quiet,
  });
  let newVisits = 0;
  try {
    // Lazily yields the visits still to make, replaying the draws of those already made.
    function* pending(): Generator<{ planned: PlannedVisit; uniforms: Float64Array }> {
      for (let visit = 0; visit < visits; visit++) {
        const uniforms = drawVisitUniforms(clickStream, parameters);
        if (journal.done.has(visit)) continue;
        yield {
          planned: {
            visit,
            visitId: visitId(seed, visit),
            userId: userIds[visit],
            day: days ? days[visit] : null,
          },
          uniforms,
        };
      }
    }
    const queue = pending();
    let lookahead = queue.next();
    const limit = options.maxNewVisits ?? Infinity;
    let dispatched = 0;
    let failed = false;
    const stopped = () => failed || options.signal?.aborted === true || dispatched >= limit;
    const visitLoop = async (day: number | null) => {
      // Only this day's visits: the next day starts once all of them have finished.
      for (; !stopped() && !lookahead.done && lookahead.value.planned.day === day;) {
        const { planned, uniforms } = lookahead.value;
        lookahead = queue.next();
        dispatched++;
        const earlier = transport.reusesShownSlates ? journal.shown.get(planned.visit) : undefined;
        const shown: ShownSlate = earlier ?? (await transport.show(planned));
        if (!earlier)
          journal.append({
            kind: "shown",
            visit: planned.visit,
            visitId: planned.visitId,
            userId: planned.userId,
            day: planned.day,
            ...shown,
          });
        const pattern = relevancePattern(population, planned.userId, shown.movieIds);
        const clickedPosition = simulateVisitWithUniforms(pattern, parameters, uniforms);
        await transport.finish(planned, shown, clickedPosition);
        const record: VisitRecord = {
          kind: "visit",
          visit: planned.visit,
          visitId: planned.visitId,
          userId: planned.userId,
          day: planned.day,
          variant: shown.variant,
          requestId: shown.requestId,
          movieIds: shown.movieIds,
          clickedPosition,
          expectedCtr: expectedSlateCtr(pattern, parameters),
          finishedAtMs: Date.now(),
        };
        journal.append(record);
        journal.shown.delete(planned.visit);
        journal.done.set(planned.visit, record);
        newVisits++;
        tally.add(record.variant, clickedPosition >= 0);
        progress.update(countDone(), { ...(day === null ? {} : { day: String(day) }), ...tally.values() });
      }
    };
    const worker = async (day: number | null) => {
      try {
        await visitLoop(day);
      } catch (error) {
        failed = true; // the other workers stop dispatching; visits already in flight finish
        throw error;
      }
    };
    const tally = new Tally();
    for (const record of plannedDone()) tally.add(record.variant, record.clickedPosition >= 0);
    progress.update(countDone(), tally.values());
    while (!lookahead.done && !stopped()) {
      const { day } = lookahead.value.planned;
      if (day !== null) await transport.startDay!(day);
      const workers = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, () => worker(day));
      const results = await Promise.allSettled(workers);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (rejected) throw rejected.reason;
    }
  } finally {
    progress.stop();
    journal.close();
  }
  const elapsedMs = Date.now() - started;
  return {
    seed,
    plannedVisits: visits,
    completedVisits: countDone(),
    newVisits,
    complete: countDone() === visits,
    abandonedImpressions: journal.supersededShown + journal.shown.size,
    sampling,
    transport: transport.kind,
    target: transport.target,
    journalFile: options.journalFile,
    variants: summarizeVisits(plannedDone()),
    elapsedMs,
    visitsPerSecond: elapsedMs > 0 ? (1000 * newVisits) / elapsedMs : 0,
  };
}
