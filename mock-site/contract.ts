/**
 * The mock site's routes and page structure that the browser simulation and the tests rely on. The site renders
 * these; the simulation reads the rendered page through them (never the API). Changing one side means changing
 * this file, so both stay in step.
 */
export const SITE_ROUTES = {
  /** GET: sign-in form (`#user-id` input, `#sign-in` button). */
  signInForm: "/login",
  /** GET `?user=<MovieLens userId>`: signs in (signed cookie, replaces any previous one) and redirects 303 to home. */
  signIn: "/login",
  /** GET: the home page with the 10 recommendations for the signed-in user (an impression is recorded). */
  home: "/",
  /** GET `/click?rid=<requestId>&movie=<movieId>&pos=<position>`: records the click, then redirects 303 to the movie. */
  click: "/click",
  /** GET `/movies/<movieId>`: the movie's page. */
  movie: "/movies",
  /** GET: live impressions, clicks and CTR per variant with intervals. */
  experiment: "/experiment",
} as const;

export const SITE_SELECTORS = {
  signInUserId: "#user-id",
  signInButton: "#sign-in",
  /** The `<ol>` of recommendations; attributes `data-request-id` and `data-variant` (the serving model). */
  recommendationList: "#recommendations",
  /** Each card is an `<a>` inside the list with `data-movie-id`, `data-position` (0-based) and `href` to the click route. */
  movieCard: "#recommendations [data-movie-id]",
  /** Inside each card: the movie's title without its year. */
  cardTitle: ".title",
  /** On the movie page: an element with `data-movie-id`, shown once the click has been recorded. */
  moviePage: "#movie-page",
  /** On the experiment page: the table of impressions, clicks and CTR per variant. */
  experimentResults: "#experiment-results",
} as const;

export const SITE_ATTRIBUTES = {
  requestId: "data-request-id",
  variant: "data-variant",
  movieId: "data-movie-id",
  position: "data-position",
} as const;
