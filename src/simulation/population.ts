/**
 * Who the simulated visitors are: the test population (MovieLens users with at least one positive rating in the
 * test period who are also known to the models, i.e. have ratings before the cutoff) and seeded draws of visitors
 * from it.
 *
 * Two ways visitors arrive. On the simulated calendar (./calendar, what `abrec experiment` runs) every user of the
 * population visits day by day at their own rate, the router randomises users (sticky) and the analysis is per user
 * (CTR per impression by the delta method); a model's ground truth weights each user by their visit rate. Drawn
 * uniformly (`sampleVisitors`, `abrec simulate --visits N`, the benches): each visit draws one user, without
 * replacement when the planned visits are at most the population, else with replacement (a user may visit several
 * times); visits are then i.i.d. draws of (user, click), the router should randomise each request, and each arm's
 * expected CTR is the mean of its slates' expected CTRs over the population (./click-model
 * `expectedPopulationCtr`).
 */
import * as crypto from "node:crypto";
import type { PreparedDataset } from "../data/types";
import { knownUsers } from "../models/known-users";
import type { Recommender } from "../models/recommender";
import { InputError } from "../core/errors";
import type { Random } from "../core/random";
import type { RelevancePattern } from "./click-model";

/** The users a simulated visit can be, with the movies each finds relevant. */
export interface TestPopulation {
  /** MovieLens user ids, ascending. */
  userIds: number[];
  /** For each user id, the MovieLens ids of the movies they rated >= `positiveThreshold` in the test period. */
  relevant: Map<number, Set<number>>;
  positiveThreshold: number;
}

/**
 * How visitors were drawn, for the run record and the docs: uniformly from the population (without replacement
 * when there are enough users, else with), or by the simulated calendar (./calendar: each user at their own rate).
 */
export type VisitorSampling = "without-replacement" | "with-replacement" | "calendar";

/**
 * The test population of a prepared dataset: users with >= 1 test-period rating >= `positiveThreshold` (the
 * manifest's, 4 for MovieLens) who are known to the models (`knownUsers`: >= 1 training rating), so they get the
 * models' own slates, not the unknown-user fallback.
 */
export function testPopulation(dataset: PreparedDataset, positiveThreshold?: number): TestPopulation {
  const threshold = positiveThreshold ?? dataset.manifest.positiveThreshold;
  const known = new Uint8Array(dataset.userIds.length);
  for (const userIndex of knownUsers(dataset).userIndex) known[userIndex] = 1;
  const relevant = new Map<number, Set<number>>();
  const { test } = dataset;
  for (let i = 0; i < test.length; i++) {
    if (test.rating[i] < threshold) continue;
    const userIndex = test.userIndex[i];
    if (!known[userIndex]) continue;
    const userId = dataset.userIds[userIndex];
    let movies = relevant.get(userId);
    if (!movies) relevant.set(userId, (movies = new Set()));
    movies.add(dataset.movies[test.movieIndex[i]].movieId);
  }
  if (relevant.size === 0)
    throw new InputError(
      `no user has both training ratings and a test-period rating >= ${threshold}: the test population is empty`,
      { field: "testPopulation" },
    );
  return { userIds: [...relevant.keys()].sort((a, b) => a - b), relevant, positiveThreshold: threshold };
}

/** The relevance pattern of a slate (movie ids, top first) for one user: 1 where the user finds the movie relevant. */
export function relevancePattern(
  population: TestPopulation,
  userId: number,
  movieIds: readonly number[],
): RelevancePattern {
  const relevant = population.relevant.get(userId);
  if (!relevant) throw new InputError(`user ${userId} is not in the test population`, { field: "userId" });
  return Uint8Array.from(movieIds, (movieId) => (relevant.has(movieId) ? 1 : 0));
}

/** A model's slates for the whole population, as relevance patterns in `population.userIds` order. */
export function modelRelevancePatterns(
  population: TestPopulation,
  recommender: Recommender,
  slateLength: number,
): RelevancePattern[] {
  const recommendations = recommender.recommendBatch(population.userIds, slateLength);
  return recommendations.map((rec, i) => relevancePattern(population, population.userIds[i], rec.movieIds));
}

/**
 * Whether `visits` visitors can be distinct users of a population of `populationSize`: without replacement when
 * visits <= populationSize, else with replacement.
 */
export function visitorSampling(visits: number, populationSize: number): VisitorSampling {
  return visits <= populationSize ? "without-replacement" : "with-replacement";
}

/**
 * Draws `visits` visitors (MovieLens user ids) uniformly from the population, seeded: without replacement
 * (a partial Fisher-Yates shuffle) when there are enough users, else with replacement.
 *
 * @example
 * sampleVisitors(population, 2248, new Random(1)) // => 2248 user ids; with replacement for ml-latest-small
 */
export function sampleVisitors(
  population: TestPopulation,
  visits: number,
  random: Random,
): { userIds: number[]; sampling: VisitorSampling } {
  if (!Number.isInteger(visits) || visits < 0)
    throw new InputError(`expected a non-negative integer number of visits, got ${visits}`, {
      field: "visits",
    });
  const users = population.userIds;
  const sampling = visitorSampling(visits, users.length);
  if (sampling === "with-replacement")
    return { userIds: Array.from({ length: visits }, () => users[random.int(users.length)]), sampling };
  const pool = users.slice();
  for (let i = 0; i < visits; i++) {
    const j = i + random.int(pool.length - i);
    const tmp = pool[i];
    pool[i] = pool[j];
    pool[j] = tmp;
  }
  return { userIds: pool.slice(0, visits), sampling };
}

/**
 * SHA-256 of the population (user ids with their sorted relevant movie ids), recorded in the journal so that a
 * run is only resumed against the same population.
 */
export function populationFingerprint(population: TestPopulation): string {
  const hash = crypto.createHash("sha256");
  hash.update(`threshold ${population.positiveThreshold}\n`);
  for (const userId of population.userIds)
    hash.update(
      `${userId}:${[...(population.relevant.get(userId) ?? [])].sort((a, b) => a - b).join(",")}\n`,
    );
  return hash.digest("hex");
}
