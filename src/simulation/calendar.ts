/**
 * The simulated calendar: which users visit on which simulated day. A pre-period (everyone on the baseline, the
 * production model) comes first, then the experiment days. The default run (src/pipeline/experiment.ts) draws
 * the rates once, simulates the pre-period, sizes the experiment from it, and simulates the experiment days.
 *
 * Visit model: each user u has a daily visit probability r_u ~ Beta(a, b), drawn once, with mean
 * `meanVisitsPerDay` = a / (a + b) and `rateConcentration` = a + b (a = mean * concentration, b = (1 - mean) *
 * concentration). A small concentration spreads the rates: the default Beta(1, 2) (mean 1/3, concentration 3) has
 * its density 2 (1 - x) highest at 0, so most users come rarely and a few come most days (median rate 0.29, 5/9 of
 * users below the mean, and the top 10% of users by rate hold 23.7% of the expected visits). On each day each user
 * visits with probability r_u, independently (a Bernoulli per user-day), and the day's visitors come in a seeded
 * random order. Over 14 days 1 - E[(1 - r)^14] = 7/8 of the users visit at least once (Beta(0.5, 1), tried first,
 * left 23% of ml-latest-small's 592 users unseen in a 14-day experiment: docs/simulation.md, History).
 *
 * Draws follow the users in ascending id order, never the order a caller's Map or Set happened to give, so the same
 * users, settings and seed give the same rates and schedule however the ids were collected.
 *
 * @example
 * const rates = visitRates([1, 2, 3], {}, new Random(7));
 * const schedule = visitSchedule({ ...rates, preDays: 14, experimentDays: 13, seed: 7 });
 * schedule.visitorsByDay[0]; // => Int32Array of the ids visiting on day 0, in their order of arrival
 * schedule.phase(14);        // => "experiment"
 */
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import type { CalendarPhase } from "../serving/event-store";

export interface VisitRateSettings {
  /** Mean of the users' daily visit probabilities, visits per user per day, in (0, 1). Default 1/3. */
  readonly meanVisitsPerDay?: number;
  /** a + b of the Beta(a, b) of the rates, > 0; smaller is more heterogeneous. Default 3 (Beta(1, 2)). */
  readonly rateConcentration?: number;
}

export const DEFAULT_VISIT_RATE_SETTINGS: Required<VisitRateSettings> = {
  meanVisitsPerDay: 1 / 3,
  rateConcentration: 3,
};

/** The users' drawn rates with everything needed to reproduce them (for run records). */
export interface VisitRates {
  /** Ascending user ids. */
  readonly userIds: Int32Array;
  /** Daily visit probability of `userIds[i]`, in [0, 1]. */
  readonly rates: Float64Array;
  readonly settings: Required<VisitRateSettings>;
  /** The Beta(alpha, beta) the rates were drawn from. */
  readonly distribution: { readonly alpha: number; readonly beta: number };
  /** Seed of the `Random` the rates were drawn with. */
  readonly seed: number;
}

export interface VisitScheduleOptions {
  readonly userIds: ArrayLike<number>;
  /** Daily visit probability of each user, aligned with `userIds`. */
  readonly rates: ArrayLike<number>;
  /** Days of pre-period (everyone on the baseline), a non-negative integer. */
  readonly preDays: number;
  /** Days of experiment after the pre-period, a positive integer. */
  readonly experimentDays: number;
  readonly seed: number;
}

export interface VisitSchedule {
  readonly preDays: number;
  readonly experimentDays: number;
  /** preDays + experimentDays. */
  readonly totalDays: number;
  readonly seed: number;
  /** For each simulated day (0-based, pre-period first), the ids of that day's visitors in their order of arrival. */
  readonly visitorsByDay: readonly Int32Array[];
  /** "pre" for days 0..preDays-1, "experiment" for the rest. */
  phase(day: number): CalendarPhase;
}

/** The ids as an ascending Int32Array of distinct non-negative integers, or an InputError naming `field`. */
function sortedUserIds(userIds: ArrayLike<number>, field: string): { ids: Int32Array; order: number[] } {
  for (let i = 0; i < userIds.length; i++) {
    const id = userIds[i];
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff)
      throw new InputError(`expected non-negative 32-bit integer user ids, got ${id} at index ${i}`, {
        field,
      });
  }
  const order = Array.from({ length: userIds.length }, (_, i) => i).sort((i, j) => userIds[i] - userIds[j]);
  const ids = Int32Array.from(order, (i) => userIds[i]);
  for (let i = 1; i < ids.length; i++)
    if (ids[i] === ids[i - 1])
      throw new InputError(`expected distinct user ids, got ${ids[i]} twice`, { field });
  return { ids, order };
}

function requireInteger(value: number, field: string, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum)
    throw new InputError(`expected an integer >= ${minimum}, got ${value}`, { field });
  return value;
}

/** Each user's daily visit probability, drawn from Beta(a, b) in ascending id order (see the module comment). */
export function visitRates(
  userIds: ArrayLike<number>,
  settings: VisitRateSettings,
  random: Random,
): VisitRates {
  const resolved = { ...DEFAULT_VISIT_RATE_SETTINGS, ...settings };
  const mean = resolved.meanVisitsPerDay;
  if (!(mean > 0 && mean < 1))
    throw new InputError(`expected a mean visit probability per day in (0, 1), got ${mean}`, {
      field: "meanVisitsPerDay",
    });
  const concentration = resolved.rateConcentration;
  if (!(concentration > 0 && Number.isFinite(concentration)))
    throw new InputError(`expected a finite Beta concentration a + b > 0, got ${concentration}`, {
      field: "rateConcentration",
    });
  const alpha = mean * concentration;
  const beta = (1 - mean) * concentration;
  const { ids } = sortedUserIds(userIds, "userIds");
  const rates = Float64Array.from(ids, () => random.beta(alpha, beta));
  return { userIds: ids, rates, settings: resolved, distribution: { alpha, beta }, seed: random.seed };
}

/** Who visits on each simulated day: a Bernoulli(r_u) per user-day, the day's visitors shuffled (seeded). */
export function visitSchedule(options: VisitScheduleOptions): VisitSchedule {
  const { userIds, rates, seed } = options;
  const preDays = requireInteger(options.preDays, "preDays", 0);
  const experimentDays = requireInteger(options.experimentDays, "experimentDays", 1);
  if (!Number.isInteger(seed))
    throw new InputError(`expected an integer seed, got ${seed}`, { field: "seed" });
  if (rates.length !== userIds.length)
    throw new InputError(`expected one rate per user (${userIds.length}), got ${rates.length}`, {
      field: "rates",
    });
  const { ids, order } = sortedUserIds(userIds, "userIds");
  const sortedRates = Float64Array.from(order, (i) => rates[i]);
  sortedRates.forEach((rate, i) => {
    if (!(rate >= 0 && rate <= 1))
      throw new InputError(`expected a probability in [0, 1] for user ${ids[i]}, got ${rate}`, {
        field: "rates",
      });
  });
  const totalDays = preDays + experimentDays;
  const random = new Random(seed);
  const visitorsByDay: Int32Array[] = [];
  for (let day = 0; day < totalDays; day++) {
    const visitors: number[] = [];
    for (let i = 0; i < ids.length; i++) if (random.bernoulli(sortedRates[i])) visitors.push(ids[i]);
    visitorsByDay.push(Int32Array.from(random.shuffle(visitors)));
  }
  return {
    preDays,
    experimentDays,
    totalDays,
    seed,
    visitorsByDay,
    phase(day: number): CalendarPhase {
      if (!Number.isInteger(day) || day < 0 || day >= totalDays)
        throw new InputError(`expected a day in 0..${totalDays - 1}, got ${day}`, { field: "day" });
      return day < preDays ? "pre" : "experiment";
    },
  };
}

/** What identifies a calendar in run records and journals: a resumed run must draw the same one. */
export interface CalendarDescription {
  readonly preDays: number;
  readonly scheduleSeed: number;
  readonly rateSeed: number;
  readonly rateSettings: Required<VisitRateSettings>;
  readonly rateDistribution: { readonly alpha: number; readonly beta: number };
}

/** The calendar's description (see `CalendarDescription`). */
export function describeCalendar(rates: VisitRates, schedule: VisitSchedule): CalendarDescription {
  return {
    preDays: schedule.preDays,
    scheduleSeed: schedule.seed,
    rateSeed: rates.seed,
    rateSettings: rates.settings,
    rateDistribution: rates.distribution,
  };
}

/**
 * The visits of days 0..`throughDay` in order (day by day, each day's visitors in their order of arrival): the
 * visitor and day of each. Earlier days do not depend on how many days follow, so a run that first simulates the
 * pre-period and then the experiment numbers its visits as one that simulates all days at once.
 *
 * @example
 * const { userIds, days } = calendarVisits(schedule, schedule.preDays - 1); // the pre-period's visits
 */
export function calendarVisits(
  schedule: VisitSchedule,
  throughDay: number,
): { userIds: Int32Array; days: Int32Array } {
  if (!Number.isInteger(throughDay) || throughDay < 0 || throughDay >= schedule.totalDays)
    throw new InputError(`expected a day in 0..${schedule.totalDays - 1}, got ${throughDay}`, {
      field: "throughDay",
    });
  let total = 0;
  for (let day = 0; day <= throughDay; day++) total += schedule.visitorsByDay[day].length;
  const userIds = new Int32Array(total);
  const days = new Int32Array(total);
  let offset = 0;
  for (let day = 0; day <= throughDay; day++) {
    const visitors = schedule.visitorsByDay[day];
    userIds.set(visitors, offset);
    days.fill(day, offset, offset + visitors.length);
    offset += visitors.length;
  }
  return { userIds, days };
}

export interface SeededCalendarOptions {
  readonly preDays: number;
  readonly experimentDays: number;
  readonly visitRates?: VisitRateSettings;
  /** The run's seed; the rates and the schedule draw from their own seeds derived from it. */
  readonly seed: number;
}

/**
 * The calendar of a run seeded `seed`: the rates drawn with seed + 1 and the schedule with seed + 2, so that the
 * calendar's draws never shift the run's other streams (visitors, clicks, routing). The one place those seeds are
 * derived: `abrec experiment` and `abrec simulate --days` draw the same calendar for the same seed.
 *
 * @example
 * const { rates, schedule } = seededCalendar(population.userIds, { preDays: 7, experimentDays: 14, seed: 1 });
 */
export function seededCalendar(
  userIds: ArrayLike<number>,
  options: SeededCalendarOptions,
): { rates: VisitRates; schedule: VisitSchedule } {
  const rates = visitRates(userIds, options.visitRates ?? {}, new Random(options.seed + 1));
  const schedule = visitSchedule({
    ...rates,
    preDays: options.preDays,
    experimentDays: options.experimentDays,
    seed: options.seed + 2,
  });
  return { rates, schedule };
}
