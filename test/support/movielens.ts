/** Small MovieLens-format fixtures the data tests write into temporary folders. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function tempDir(prefix = "abrec-data-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A tiny dataset whose split is known by hand: 10 ratings at timestamps 1e9 + 1..10, so testFraction 0.3 puts
 * the last 3 in the test period. User 5 rates only early, user 7 early and late, user 9 only late (cold); movie
 * 30 is rated only late (cold), movie 40 never.
 */
export function writeTinyDataset(): string {
  const dir = tempDir();
  const movies = [
    "movieId,title,genres",
    "10,A (1990),Drama",
    "20,B (2000),Comedy|Drama",
    "30,C,(no genres listed)",
  ];
  movies.push("40,Never Rated (2010),Horror");
  const ratings = ["userId,movieId,rating,timestamp"];
  const rows: [number, number, number, number][] = [
    [5, 10, 4, 1],
    [5, 20, 3, 2],
    [7, 10, 5, 3],
    [7, 20, 4.5, 4],
    [5, 10, 2, 5],
    [7, 10, 1, 6],
    [7, 20, 4, 7],
    [7, 30, 4, 8],
    [9, 30, 5, 9],
    [9, 10, 3.5, 10],
  ];
  for (const [u, m, r, t] of rows) ratings.push(`${u},${m},${r},${1_000_000_000 + t}`);
  fs.writeFileSync(path.join(dir, "movies.csv"), movies.join("\r\n") + "\r\n");
  fs.writeFileSync(path.join(dir, "ratings.csv"), ratings.join("\r\n") + "\r\n");
  return dir;
}
