/** Example recommendations with movie titles, for notebooks and reports. */
import type { PreparedDataset } from "../data/types";
import type { Recommender } from "../models/recommender";

/** One row per (user, rank): each model's title at that rank. */
export function exampleRecommendations(
  dataset: PreparedDataset,
  models: readonly Recommender[],
  userIds: readonly number[],
  k = 5,
): Record<string, string | number>[] {
  const titles = new Map(dataset.movies.map((movie) => [movie.movieId, movie.title]));
  const rows: Record<string, string | number>[] = [];
  for (const userId of userIds) {
    const lists = models.map((model) => model.recommend(userId, k));
    for (let rank = 0; rank < k; rank++) {
      const row: Record<string, string | number> = { userId, rank: rank + 1 };
      models.forEach((model, m) => {
        const id = lists[m].movieIds[rank];
        row[model.name] = id === undefined ? "" : (titles.get(id) ?? String(id));
      });
      rows.push(row);
    }
  }
  return rows;
}

/** A Markdown table of rows (keys of the first row as columns). */
export function markdownTable(rows: readonly Record<string, string | number>[]): string {
  if (rows.length === 0) return "";
  const columns = Object.keys(rows[0]);
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [
    line(columns),
    line(columns.map(() => "---")),
    ...rows.map((row) => line(columns.map((c) => row[c]))),
  ].join("\n");
}
