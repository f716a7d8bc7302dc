/**
 * A small deterministic `Recommender` for the serving tests while they must not depend on trained models: users
 * 1..nUsers are known and get a user-specific ranking of the catalog; other users get the popularity fallback.
 * Two instances with different names stand in for the baseline and the challenger.
 */
import type { Recommendation, Recommender } from "../../src/models/recommender";

export class ListRecommender implements Recommender {
  constructor(
    readonly name: string,
    readonly version: string,
    /** Candidate movie ids; the fallback list is this order. */
    private readonly movieIds: readonly number[],
    private readonly nUsers: number,
    /** Shifts the ranking so two models give different lists. */
    private readonly offset = 0,
  ) {}

  recommend(userId: number, k: number): Recommendation {
    const known = Number.isInteger(userId) && userId >= 1 && userId <= this.nUsers;
    const start = known ? (userId * 7 + this.offset) % this.movieIds.length : 0;
    const movieIds: number[] = [];
    for (let i = 0; i < Math.min(k, this.movieIds.length); i++)
      movieIds.push(this.movieIds[(start + i) % this.movieIds.length]);
    return { movieIds, scores: movieIds.map((_, i) => 1 - i / 100), fallback: !known };
  }

  recommendBatch(userIds: readonly number[], k: number): Recommendation[] {
    return userIds.map((userId) => this.recommend(userId, k));
  }
}

/** Movie ids 1..n. */
export function movieIdRange(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** A baseline and a challenger over the same 50 movies for users 1..610 (as many as ml-latest-small). */
export function testModels(): [ListRecommender, ListRecommender] {
  return [
    new ListRecommender("baseline", "test-b1", movieIdRange(50), 610, 0),
    new ListRecommender("challenger", "test-c1", movieIdRange(50), 610, 3),
  ];
}
