/**
 * The one interface every recommender in the project implements, and everything above the models layer (offline
 * evaluation, serving, simulation) uses. It speaks MovieLens ids, because that is what the website, the event
 * store and the simulated visitors know.
 */

/** A ranked list for one user. */
export interface Recommendation {
  /** MovieLens movie ids, best first, never one the user rated before the cutoff. */
  movieIds: number[];
  /** The model's score for each movie, same order (higher is better; scale is model-specific). */
  scores: number[];
  /** True when the user was unknown to the model and got the documented fallback (the popularity list). */
  fallback: boolean;
}

export interface Recommender {
  /** "baseline" or "challenger". */
  readonly name: string;
  /** Artifact version (changes whenever the model is retrained). */
  readonly version: string;
  /** Top-k for one MovieLens user id. Unknown users get the fallback, never an error. */
  recommend(userId: number, k: number): Recommendation;
  /** Top-k for many users (same result as calling `recommend` for each). */
  recommendBatch(userIds: readonly number[], k: number): Recommendation[];
}
