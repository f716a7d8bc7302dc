/**
 * Visits through the mock movie site in a real (headless) Chromium, driven by selenium-webdriver. One reused
 * driver, the lean flow measured fastest on 2 cores (measured on a 2-core machine: ~0.27 s per visit with page-load
 * strategy "eager"):
 *
 * 1. `GET /login?user=<userId>`: signs the visitor in (the new cookie replaces the previous visitor's) and lands on
 *    the home page, which shows their recommendations (the site records the impression);
 * 2. reads the cards from the rendered page through the contract's selectors (`mock-site/contract.ts`): the list's
 *    request id and variant, each card's movie id and position (one script round trip, not one per card);
 * 3. applies the click model (in ./run) and, for a click, clicks the card element with a real WebDriver click and
 *    waits for the movie page, which appears once the site has recorded the click.
 *
 * A visit shown by an interrupted run is shown again (the browser that had its page is gone); the earlier
 * impression stays in the event store without a click, at most one per interruption with one browser.
 */
import { By, until, type WebDriver } from "selenium-webdriver";
import { SITE_ATTRIBUTES, SITE_ROUTES, SITE_SELECTORS } from "../../mock-site/contract";
import { setSimulatedDay } from "../serving/router";
import { parseBaseUrl } from "./http";
import type { PlannedVisit, ShownSlate, VisitTransport } from "./visit-loop";

export interface BrowserTransportOptions {
  /** A WebDriver session (launch it with `launchBrowser({ pageLoadStrategy: "eager" })`). */
  driver: WebDriver;
  /** The mock site's base URL, e.g. http://127.0.0.1:8080. */
  siteUrl: string;
  /**
   * The router whose simulated calendar the days are told to (`startDay`); default the site's URL (role all
   * serves both on one port).
   */
  routerUrl?: string;
  /** Longest wait for a page element. */
  timeoutMs?: number;
  /** Called by `close()` (e.g. the browser's `quit`). */
  onClose?: () => Promise<void>;
}

/** What the page script returns: the rendered list, or null when it is not on the page. */
interface RenderedSlate {
  requestId: string | null;
  variant: string | null;
  cards: { movieId: string | null; position: string | null }[];
}

/** Runs in the page: reads the recommendation list and its cards through the contract's selectors. */
const READ_CARDS_SCRIPT = `
const [listSelector, cardSelector, attr] = arguments;
const list = document.querySelector(listSelector);
if (!list) return null;
return {
  requestId: list.getAttribute(attr.requestId),
  variant: list.getAttribute(attr.variant),
  cards: Array.from(document.querySelectorAll(cardSelector), (card) => ({
    movieId: card.getAttribute(attr.movieId),
    position: card.getAttribute(attr.position),
  })),
};`;

/** Validates what the page showed and orders the cards by position. */
export function slateFromPage(rendered: RenderedSlate | null, page: string): ShownSlate {
  if (!rendered) throw new Error(`no ${SITE_SELECTORS.recommendationList} on ${page}`);
  const { requestId, variant } = rendered;
  if (!requestId || !variant)
    throw new Error(
      `${SITE_SELECTORS.recommendationList} on ${page} lacks ${SITE_ATTRIBUTES.requestId} or ${SITE_ATTRIBUTES.variant}`,
    );
  const cards = rendered.cards.map((card) => ({
    movieId: Number(card.movieId),
    position: Number(card.position),
  }));
  cards.sort((a, b) => a.position - b.position);
  cards.forEach((card, i) => {
    if (card.position !== i || !Number.isSafeInteger(card.movieId) || card.movieId <= 0)
      throw new Error(`card ${i} on ${page} has position ${card.position} and movie id ${card.movieId}`);
  });
  return { requestId, variant, movieIds: cards.map((card) => card.movieId) };
}

/** The browser transport over one reused WebDriver session. */
export function browserTransport(options: BrowserTransportOptions): VisitTransport {
  const { driver } = options;
  const base = parseBaseUrl(options.siteUrl, "site");
  const timeoutMs = options.timeoutMs ?? 15_000;
  const url = (route: string, query: Record<string, string | number> = {}) => {
    const target = new URL(route, base);
    for (const [key, value] of Object.entries(query)) target.searchParams.set(key, String(value));
    return target.href;
  };
  return {
    kind: "browser",
    target: base.href,
    reusesShownSlates: false,
    async show(visit: PlannedVisit): Promise<ShownSlate> {
      const page = url(SITE_ROUTES.signIn, { user: visit.userId });
      await driver.get(page);
      const read = () =>
        driver.executeScript<RenderedSlate | null>(
          READ_CARDS_SCRIPT,
          SITE_SELECTORS.recommendationList,
          SITE_SELECTORS.movieCard,
          SITE_ATTRIBUTES,
        );
      let rendered = await read();
      if (!rendered) {
        await driver.wait(until.elementLocated(By.css(SITE_SELECTORS.recommendationList)), timeoutMs);
        rendered = await read();
      }
      return slateFromPage(rendered, `${await driver.getCurrentUrl()} (user ${visit.userId})`);
    },
    async finish(_visit: PlannedVisit, shown: ShownSlate, clickedPosition: number): Promise<void> {
      if (clickedPosition < 0) return;
      const card = await driver.findElement(
        By.css(`${SITE_SELECTORS.movieCard}[${SITE_ATTRIBUTES.position}="${clickedPosition}"]`),
      );
      await card.click();
      await driver.wait(until.elementLocated(By.css(SITE_SELECTORS.moviePage)), timeoutMs);
    },
    async startDay(day: number): Promise<void> {
      await setSimulatedDay(options.routerUrl ?? base.href, day);
    },
    async close() {
      await options.onClose?.();
    },
  };
}
