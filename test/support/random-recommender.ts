/** A recommender that ranks movies at random (seeded): the floor any real model must beat on held-out data. */
import type { Recommendation, Recommender } from "../../src/models/recommender";
import { Random } from "../../src/core/random";

export function randomRecommender(movieIds: readonly number[], seed: number): Recommender {
  const rng = new Random(seed);
  const recommend = (_userId: number, k: number): Recommendation => {
    const ids = rng.shuffle([...movieIds]).slice(0, k);
    return { movieIds: ids, scores: ids.map(() => 0), fallback: false };
  };
  return {
    name: "random",
    version: "0",
    recommend,
    recommendBatch: (users, k) => users.map((u) => recommend(u, k)),
  };
}
