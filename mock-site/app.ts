/**
 * The mock movie website (Express 5), minimal but real: sign in as a MovieLens user id (a signed cookie), a home
 * page with the 10 recommendations the router serves, a click route that records the click through the router's
 * feedback endpoint and opens the movie's page, and a live `/experiment` page (counts from the router's event store). Routes and DOM follow
 * mock-site/contract.ts. Helmet's security headers, a URL length limit, validation of every parameter.
 */
import * as crypto from "node:crypto";
import express from "express";
import cookieParser from "cookie-parser";
import helmet from "helmet";
import type { Movie } from "../src/data/types";
import type { RouterClient } from "../src/serving/router";
import { DEFAULT_K, feedbackRequest, responseMovieIds } from "../src/serving/seldon";
import { InputError } from "../src/core/errors";
import { SITE_ROUTES } from "./contract";
import { SITE_CSS, errorPage, experimentPage, homePage, moviePage, signInPage } from "./pages";

/** Name of the signed cookie holding the signed-in MovieLens user id. */
export const USER_COOKIE = "abrec_user";
/** Number of cards on the home page: the default slate of the Seldon API. */
export const RECOMMENDATIONS_SHOWN = DEFAULT_K;
/** Longest URL (path and query) accepted; longer gets 414. */
export const MAX_URL_LENGTH = 2048;

export interface SiteOptions {
  router: RouterClient;
  /** The catalog for titles, years and genres (the data layer's `movies`). */
  movies: readonly Movie[];
  /** Secret signing the user cookie; a random one per process when omitted (sign-ins then end with the process). */
  cookieSecret?: string;
}

/** Parses a positive integer id from a query or path parameter, or throws `InputError` naming it. */
function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== "string" || !/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 2 ** 31 - 1)
    throw new InputError(`expected a positive integer id, got ${JSON.stringify(value ?? null)}`, { field });
  return Number(value);
}

export function createSiteApp(options: SiteOptions): express.Router {
  const movies = new Map(options.movies.map((movie) => [movie.movieId, movie]));
  const secret = options.cookieSecret ?? crypto.randomBytes(32).toString("hex");
  const site = express.Router();
  site.use(helmet());
  site.use((req, res, next) => {
    if (req.originalUrl.length > MAX_URL_LENGTH) {
      res
        .status(414)
        .type("html")
        .send(errorPage("URL too long", `at most ${MAX_URL_LENGTH} characters`));
      return;
    }
    next();
  });
  site.use(cookieParser(secret));

  const signedInUser = (req: express.Request): number | undefined => {
    const value = (req.signedCookies as Record<string, unknown>)[USER_COOKIE];
    return typeof value === "string" && /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : undefined;
  };

  site.get("/site.css", (_req, res) => {
    res.type("text/css").send(SITE_CSS);
  });

  site.get(SITE_ROUTES.signIn, (req, res) => {
    if (req.query.user === undefined) {
      res.type("html").send(signInPage());
      return;
    }
    let userId: number;
    try {
      userId = positiveInteger(req.query.user, "user");
    } catch (error) {
      res
        .status(400)
        .type("html")
        .send(signInPage((error as Error).message, String(req.query.user)));
      return;
    }
    res.cookie(USER_COOKIE, String(userId), { signed: true, httpOnly: true, sameSite: "lax", path: "/" });
    res.redirect(303, SITE_ROUTES.home);
  });

  site.get(SITE_ROUTES.home, async (req, res) => {
    const userId = signedInUser(req);
    if (userId === undefined) {
      res.redirect(303, SITE_ROUTES.signInForm);
      return;
    }
    const response = await options.router.recommend(userId, RECOMMENDATIONS_SHOWN);
    const movieIds = responseMovieIds(response);
    const tags = response.meta?.tags ?? {};
    res.set("cache-control", "no-store");
    res.type("html").send(
      homePage(
        userId,
        String(response.meta?.puid),
        String(tags.model_name),
        tags.fallback === true,
        movieIds.map((movieId, position) => ({ movieId, position, movie: movies.get(movieId) })),
      ),
    );
  });

  site.get(SITE_ROUTES.click, async (req, res) => {
    if (signedInUser(req) === undefined) {
      res.redirect(303, SITE_ROUTES.signInForm);
      return;
    }
    const requestId = req.query.rid;
    if (typeof requestId !== "string" || !/^[0-9a-f-]{36}$/.test(requestId))
      throw new InputError("expected the request id of the recommendations shown", { field: "rid" });
    const movieId = positiveInteger(req.query.movie, "movie");
    const position = req.query.pos === "0" ? 0 : positiveInteger(req.query.pos, "pos");
    await options.router.feedback(feedbackRequest({ meta: { puid: requestId } }, 1, movieId, position));
    res.redirect(303, `${SITE_ROUTES.movie}/${movieId}`);
  });

  site.get(`${SITE_ROUTES.movie}/:movieId`, (req, res) => {
    const movieId = positiveInteger(req.params.movieId, "movieId");
    const movie = movies.get(movieId);
    if (!movie) {
      res
        .status(404)
        .type("html")
        .send(errorPage("Not found", `no movie with id ${movieId}`));
      return;
    }
    res.type("html").send(moviePage(movie, signedInUser(req)));
  });

  site.get(SITE_ROUTES.experiment, async (req, res) => {
    res.set("cache-control", "no-store");
    res.type("html").send(experimentPage(await options.router.counts(), signedInUser(req)));
  });

  const handleErrors: express.ErrorRequestHandler = (error: Error, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof InputError) {
      res.status(400).type("html").send(errorPage("Bad request", error.message));
      return;
    }
    process.stderr.write(`abrec site: ${error.stack ?? error.message}\n`);
    res.status(500).type("html").send(errorPage("Something went wrong", "internal error"));
  };
  site.use(handleErrors);
  return site;
}
