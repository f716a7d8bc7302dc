import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { By } from "selenium-webdriver";
import { launchBrowser } from "../../src/core/browser";
import { visitSite } from "../../src/deployment/screenshots";
import { SITE_ATTRIBUTES, SITE_SELECTORS } from "../../mock-site/contract";
import { startTestServing } from "../support/serving";

test("in headless Chromium: sign in, 10 escaped cards, a click stored once at its position, experiment page", async () => {
  const { server, dir } = await startTestServing();
  const browser = await launchBrowser();
  try {
    // An unknown user gets the fallback list, movies 1..10, which hold the titles that need escaping.
    const visit = await visitSite(browser, server.url, path.join(dir, "shots"), 424242, 2);
    assert.equal(visit.cardTitles.length, 10);
    assert.equal(visit.cardTitles[0], "Amélie (Fabuleux destin d'Amélie Poulain, Le)");
    assert.equal(visit.cardTitles[2], 'Tom & Jerry: "The Movie" <script>window.pwned=1</script>');
    assert.equal(visit.clickedPosition, 2);
    assert.equal(visit.clickedMovieId, 3);
    assert.equal(await browser.driver.executeScript("return window.pwned === undefined"), true);
    const stored = server.store!.requestIds().find((row) => row.requestId === visit.requestId);
    assert.deepEqual(stored, { requestId: visit.requestId, variant: visit.variant, reward: 1 });
    const counts = server.store!.counts().variants.find((row) => row.variant === visit.variant)!;
    assert.equal(counts.clicks, 1);
    const row = await browser.driver.findElement(
      By.css(`#experiment-results tr[data-variant="${visit.variant}"]`),
    );
    assert.equal(await row.findElement(By.css(".clicks")).getText(), "1");
    assert.equal(await row.findElement(By.css(".impressions")).getText(), "1");
    for (const file of Object.values(visit.screenshots))
      assert.deepEqual([...fs.readFileSync(file).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], file);

    // Opening the same click link again (a reload, a double click) shows the movie but adds no click.
    await browser.driver.get(`${server.url}/click?rid=${visit.requestId}&movie=3&pos=2`);
    const page = await browser.driver.findElement(By.css(SITE_SELECTORS.moviePage));
    assert.equal(await page.getAttribute(SITE_ATTRIBUTES.movieId), "3");
    assert.equal(server.store!.tableSizes().feedback, 1);
  } finally {
    await browser.quit();
    await server.close();
  }
});
