/**
 * Visits every page of the mock site in headless Chromium the way a user does (sign in through the form, read the
 * cards, click one, open the experiment page) and saves a PNG screenshot of each. Used by the browser test (into
 * a temporary folder) and by scripts/site-screenshots.ts (into results/screenshots/).
 */
import * as path from "node:path";
import { By, until } from "selenium-webdriver";
import { type Browser, saveScreenshot } from "../core/browser";
import { SITE_ATTRIBUTES, SITE_ROUTES, SITE_SELECTORS } from "../../mock-site/contract";

export interface SiteVisit {
  requestId: string;
  variant: string;
  /** Title texts of the cards, in position order, as the browser renders them. */
  cardTitles: string[];
  /** Movie ids of the cards, in position order. */
  cardMovieIds: number[];
  clickedMovieId: number;
  clickedPosition: number;
  /** Screenshot files, by page name. */
  screenshots: Record<"sign-in" | "home" | "movie" | "experiment", string>;
}

const WAIT_MS = 10_000;

/** Signs in as `userId`, clicks the card at `position`, and screenshots each page into `outDir`. */
export async function visitSite(
  browser: Browser,
  baseUrl: string,
  outDir: string,
  userId: number,
  position = 0,
): Promise<SiteVisit> {
  const driver = browser.driver;
  const shot = (name: string) => path.join(outDir, `${name}.png`);
  await driver.manage().deleteAllCookies();
  await driver.get(`${baseUrl}${SITE_ROUTES.signInForm}`);
  const input = await driver.wait(until.elementLocated(By.css(SITE_SELECTORS.signInUserId)), WAIT_MS);
  await input.sendKeys(String(userId));
  await saveScreenshot(driver, shot("sign-in"));
  await driver.findElement(By.css(SITE_SELECTORS.signInButton)).click();
  const list = await driver.wait(until.elementLocated(By.css(SITE_SELECTORS.recommendationList)), WAIT_MS);
  const requestId = (await list.getAttribute(SITE_ATTRIBUTES.requestId)) ?? "";
  const variant = (await list.getAttribute(SITE_ATTRIBUTES.variant)) ?? "";
  const cards = await driver.findElements(By.css(SITE_SELECTORS.movieCard));
  const cardTitles = await Promise.all(
    cards.map((card) => card.findElement(By.css(SITE_SELECTORS.cardTitle)).getText()),
  );
  const cardMovieIds = await Promise.all(
    cards.map(async (card) => Number(await card.getAttribute(SITE_ATTRIBUTES.movieId))),
  );
  await saveScreenshot(driver, shot("home"));
  const card = cards[position];
  const clickedMovieId = Number(await card.getAttribute(SITE_ATTRIBUTES.movieId));
  const clickedPosition = Number(await card.getAttribute(SITE_ATTRIBUTES.position));
  await card.click();
  await driver.wait(until.elementLocated(By.css(SITE_SELECTORS.moviePage)), WAIT_MS);
  await saveScreenshot(driver, shot("movie"));
  await driver.get(`${baseUrl}${SITE_ROUTES.experiment}`);
  await driver.wait(until.elementLocated(By.css(SITE_SELECTORS.experimentResults)), WAIT_MS);
  await saveScreenshot(driver, shot("experiment"));
  return {
    requestId,
    variant,
    cardTitles,
    cardMovieIds,
    clickedMovieId,
    clickedPosition,
    screenshots: {
      "sign-in": shot("sign-in"),
      home: shot("home"),
      movie: shot("movie"),
      experiment: shot("experiment"),
    },
  };
}
