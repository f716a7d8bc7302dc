/**
 * The mock site's HTML, as plain functions from data to an HTML string. Every value that comes from data (movie
 * titles with `&`, quotes and non-ASCII, user input echoed back) goes through `escapeHtml`. The structure follows
 * mock-site/contract.ts (ids and data attributes the browser simulation reads).
 */
import type { Movie } from "../src/data/types";
import type { EventCounts } from "../src/serving/event-store";
import { SITE_ATTRIBUTES, SITE_ROUTES } from "./contract";
import { wilsonInterval } from "../src/stats/intervals";

/**
 * Escapes text for HTML element content and double- or single-quoted attribute values.
 *
 * @example
 * escapeHtml(`Tom & Jerry's "Big" <Day>`); // => "Tom &amp; Jerry&#39;s &quot;Big&quot; &lt;Day&gt;"
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export const SITE_CSS = `
body { font-family: "DejaVu Sans", sans-serif; margin: 0; background: #f4f4f6; color: #1d1d24; }
header { background: #20232a; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: center; }
header a { color: #9cdcfe; text-decoration: none; }
header .brand { font-weight: bold; font-size: 20px; color: #ff6b6b; }
main { padding: 24px; }
#recommendations { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(5, 1fr); gap: 16px; }
#recommendations a { display: block; background: #fff; border-radius: 8px; padding: 12px; min-height: 110px;
  color: inherit; text-decoration: none; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
#recommendations a:hover { box-shadow: 0 2px 8px rgba(0,0,0,.3); }
.title { font-weight: bold; display: block; }
.year { color: #666; }
.genres { display: block; margin-top: 8px; font-size: 12px; color: #555; }
table { border-collapse: collapse; background: #fff; }
td, th { border: 1px solid #ccc; padding: 6px 12px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.error { color: #b00020; }
`;

function layout(
  title: string,
  body: string,
  options: { userId?: number; refreshSeconds?: number } = {},
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ""}
<title>${escapeHtml(title)} · Funflix</title>
<link rel="stylesheet" href="/site.css">
</head>
<body>
<header><span class="brand">Funflix</span><a href="${SITE_ROUTES.home}">Home</a><a href="${SITE_ROUTES.experiment}">Experiment</a>
${options.userId !== undefined ? `<span id="signed-in-as">Signed in as user ${options.userId}</span>` : `<a href="${SITE_ROUTES.signInForm}">Sign in</a>`}
</header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The sign-in form (`#user-id`, `#sign-in`); `error` is shown above it. */
export function signInPage(error?: string, value = ""): string {
  return layout(
    "Sign in",
    `<h1>Sign in</h1>
${error ? `<p class="error" id="sign-in-error">${escapeHtml(error)}</p>` : ""}
<form method="get" action="${SITE_ROUTES.signIn}">
<label for="user-id">MovieLens user id</label>
<input id="user-id" name="user" type="number" min="1" step="1" required value="${escapeHtml(value)}">
<button id="sign-in" type="submit">Sign in</button>
</form>`,
  );
}

export interface Card {
  movieId: number;
  position: number;
  movie: Movie | undefined;
}

/** The home page: the recommendations as cards linking to the click route. */
export function homePage(
  userId: number,
  requestId: string,
  variant: string,
  fallback: boolean,
  cards: Card[],
): string {
  const items = cards
    .map(({ movieId, position, movie }) => {
      const href = `${SITE_ROUTES.click}?rid=${encodeURIComponent(requestId)}&movie=${movieId}&pos=${position}`;
      const title = movie ? movie.title.replace(/\s*\(\d{4}\)\s*$/, "") : `Movie ${movieId}`;
      const year = movie?.year ? ` <span class="year">(${movie.year})</span>` : "";
      const genres = movie && movie.genres.length > 0 ? movie.genres.join(" · ") : "no genres listed";
      return `<li><a href="${escapeHtml(href)}" ${SITE_ATTRIBUTES.movieId}="${movieId}" ${SITE_ATTRIBUTES.position}="${position}">
<span class="title">${escapeHtml(title)}</span>${year}
<span class="genres">${escapeHtml(genres)}</span></a></li>`;
    })
    .join("\n");
  return layout(
    "Home",
    `<h1>Recommended for you</h1>
${fallback ? `<p id="fallback-note">New here? These are our most popular movies.</p>` : ""}
<ol id="recommendations" ${SITE_ATTRIBUTES.requestId}="${escapeHtml(requestId)}" ${SITE_ATTRIBUTES.variant}="${escapeHtml(variant)}">
${items}
</ol>`,
    { userId },
  );
}

/** A movie's page (`#movie-page` with `data-movie-id`). */
export function moviePage(movie: Movie, userId: number | undefined): string {
  const genres = movie.genres.length > 0 ? movie.genres.join(", ") : "no genres listed";
  return layout(
    movie.title,
    `<article id="movie-page" ${SITE_ATTRIBUTES.movieId}="${movie.movieId}">
<h1>${escapeHtml(movie.title)}</h1>
<p>Year: ${movie.year ?? "unknown"}</p>
<p>Genres: ${escapeHtml(genres)}</p>
<p><a href="${SITE_ROUTES.home}">Back to your recommendations</a></p>
</article>`,
    { userId },
  );
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** Live counts and CTR per variant with 95% Wilson intervals, refreshed every 5 seconds. */
export function experimentPage(counts: EventCounts, userId?: number): string {
  const rows = counts.variants
    .map((row) => {
      const ctr =
        row.impressions > 0 ? wilsonInterval({ units: row.impressions, clicks: row.clicks }) : undefined;
      const conversion =
        row.users > 0 ? wilsonInterval({ units: row.users, clicks: row.clickedUsers }) : undefined;
      const cell = (x: number, n: number, interval: { lower: number; upper: number } | undefined) =>
        interval ? `${percent(x / n)} [${percent(interval.lower)}, ${percent(interval.upper)}]` : "–";
      return `<tr data-variant="${escapeHtml(row.variant)}">
<td>${escapeHtml(row.variant)}</td><td class="users">${row.users}</td><td class="impressions">${row.impressions}</td>
<td class="clicks">${row.clicks}</td><td class="ctr">${cell(row.clicks, row.impressions, ctr)}</td>
<td class="clicked-users">${row.clickedUsers}</td><td class="conversion">${cell(row.clickedUsers, row.users, conversion)}</td></tr>`;
    })
    .join("\n");
  const settings = Object.entries(counts.settings)
    .map(([key, value]) => `${escapeHtml(key)}=${escapeHtml(value)}`)
    .join(", ");
  return layout(
    "Experiment",
    `<h1>Experiment: live results</h1>
<p>Settings: ${settings || "none recorded yet"}. Users seen by several variants: ${counts.usersInSeveralVariants}.</p>
<table id="experiment-results">
<thead><tr><th>variant</th><th>users</th><th>impressions</th><th>clicks</th><th>CTR per impression [95% Wilson]</th>
<th>users who clicked</th><th>share of users who clicked [95% Wilson]</th></tr></thead>
<tbody>
${rows || `<tr><td colspan="7">no impressions yet</td></tr>`}
</tbody>
</table>`,
    { refreshSeconds: 5, userId },
  );
}

/** An error page with HTTP status text. */
export function errorPage(title: string, message: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1><p class="error" id="error-message">${escapeHtml(message)}</p>`,
  );
}
