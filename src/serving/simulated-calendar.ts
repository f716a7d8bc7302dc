/**
 * The router's simulated calendar: the day the simulation says it is, and the phase that day falls in. Days
 * 0..preDays-1 are the pre-period (every request goes to child 0, the production model); from day `preDays` on,
 * the experiment (requests routed by `assignment.ts`). The simulation moves the day forward through
 * `POST /abrec/v1/simulated-day` (router.ts); the day never goes back, so every stored impression's day is at
 * least that of the impressions before it.
 */
import { InputError } from "../core/errors";
import type { CalendarPhase } from "./event-store";

/** The current simulated day of a router and its phase. */
export class SimulatedCalendar {
  private currentDay = 0;

  /**
   * @param preDays days of pre-period before the experiment, an integer >= 0 (0: the experiment from day 0).
   * @example
   * const calendar = new SimulatedCalendar(7);
   * calendar.phase(); // => "pre" (day 0)
   * calendar.setDay(7);
   * calendar.phase(); // => "experiment"
   */
  constructor(readonly preDays: number) {
    if (!Number.isSafeInteger(preDays) || preDays < 0)
      throw new InputError(`expected an integer >= 0, got ${JSON.stringify(preDays)}`, { field: "preDays" });
  }

  /** The current day, 0-based from the start of the pre-period. */
  get day(): number {
    return this.currentDay;
  }

  /**
   * Moves to `day`, which must be an integer no earlier than the current day (staying on it is allowed).
   * Throws an `InputError` naming the field "day" otherwise.
   *
   * @example
   * calendar.setDay(3); calendar.setDay(3); // => fine
   * calendar.setDay(2); // throws: field "day": expected a day >= 3 (the current day), got 2
   */
  setDay(day: number): void {
    if (!Number.isSafeInteger(day) || day < 0)
      throw new InputError(`expected an integer day >= 0, got ${JSON.stringify(day)}`, { field: "day" });
    if (day < this.currentDay)
      throw new InputError(`expected a day >= ${this.currentDay} (the current day), got ${day}`, {
        field: "day",
      });
    this.currentDay = day;
  }

  /** "pre" while the day is in the pre-period, else "experiment". */
  phase(): CalendarPhase {
    return this.currentDay < this.preDays ? "pre" : "experiment";
  }
}
