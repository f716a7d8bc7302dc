import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { By } from "selenium-webdriver";
import { launchBrowser, saveScreenshot } from "../../src/core/browser";

test("launchBrowser opens a local page in headless Chromium, screenshots it and cleans its profile", async () => {
  const server = http.createServer((_req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end('<!doctype html><title>t</title><p id="greeting">Amélie &amp; co</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const browser = await launchBrowser({ pageLoadStrategy: "eager" });
  try {
    await browser.driver.get(`http://127.0.0.1:${port}/`);
    assert.equal(await browser.driver.findElement(By.id("greeting")).getText(), "Amélie & co");
    const shot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-shot-")), "page.png");
    await saveScreenshot(browser.driver, shot);
    // PNG signature: 89 50 4E 47.
    assert.deepEqual([...fs.readFileSync(shot).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.ok(fs.existsSync(browser.userDataDir));
  } finally {
    await browser.quit();
    server.close();
  }
  assert.equal(fs.existsSync(browser.userDataDir), false);
});
