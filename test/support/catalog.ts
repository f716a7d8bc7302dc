/**
 * A small movie catalog for the site tests, shaped like the data layer's `movies`, with real MovieLens titles
 * that need escaping (ampersands, quotes, apostrophes, non-ASCII) plus one hostile title, for ids 1..50.
 */
import type { Movie } from "../../src/data/types";

const TRICKY_TITLES: [string, number | null, string[]][] = [
  ["Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)", 2001, ["Comedy", "Romance"]],
  ["Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb (1964)", 1964, ["Comedy", "War"]],
  ['Tom & Jerry: "The Movie" <script>window.pwned=1</script> (1992)', 1992, ["Animation", "Children"]],
  ["Wallace & Gromit: The Wrong Trousers (1993)", 1993, ["Animation", "Children", "Comedy", "Crime"]],
  ["City of Lost Children, The (Cité des enfants perdus, La) (1995)", 1995, ["Adventure", "Drama"]],
];

export function testCatalog(n = 50): Movie[] {
  return Array.from({ length: n }, (_, i) => {
    const [title, year, genres] = TRICKY_TITLES[i] ?? [`Movie number ${i + 1} (2000)`, 2000, ["Drama"]];
    return { movieIndex: i, movieId: i + 1, title, year, genres };
  });
}
