/**
 * Launches headless Chromium under selenium-webdriver with the flags measured to work on this project's machines
 * (Debian 12, 2 cores): Debian's chromedriver and Chromium binaries given explicitly (so Selenium Manager
 * never runs), a fresh profile directory per browser (removed on quit), no outside network lookups. Shared by the
 * serving tests (the mock site in a real browser) and the browser simulation, so both launch it the same way.
 *
 * @example
 * const browser = await launchBrowser();
 * try {
 *   await browser.driver.get("http://127.0.0.1:8080/login");
 * } finally {
 *   await browser.quit();
 * }
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Builder, type WebDriver } from "selenium-webdriver";
import * as chrome from "selenium-webdriver/chrome";

/** Debian's chromedriver (package chromium-driver). */
export const CHROMEDRIVER_PATH = "/usr/bin/chromedriver";
/** The real Chromium binary; /usr/bin/chromium is a wrapper script that prints a warning and adds flags. */
export const CHROMIUM_BINARY_PATH = "/usr/lib/chromium/chromium";

/** Flags measured to work headless as root on 2 cores, with every outside DNS lookup refused. */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost, EXCLUDE 127.0.0.1",
];

export interface BrowserOptions {
  /** "eager" returns from `get()` once the DOM is parsed (~2.5x faster per visit); "normal" waits for load. */
  pageLoadStrategy?: "normal" | "eager";
  /** Window size in CSS pixels (also the screenshot size). */
  windowSize?: { width: number; height: number };
  /** Extra Chromium flags appended after `CHROMIUM_FLAGS`. */
  extraFlags?: readonly string[];
}

export interface Browser {
  driver: WebDriver;
  /** The temporary profile directory (removed by `quit`). */
  userDataDir: string;
  /** Quits Chromium and chromedriver and removes the profile directory; safe to call twice. */
  quit(): Promise<void>;
}

/** Starts one headless Chromium with its own fresh profile (~3 s on 2 cores). */
export async function launchBrowser(options: BrowserOptions = {}): Promise<Browser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-chromium-"));
  const size = options.windowSize ?? { width: 1280, height: 900 };
  const chromeOptions = new chrome.Options();
  chromeOptions.setChromeBinaryPath(CHROMIUM_BINARY_PATH);
  chromeOptions.addArguments(
    ...CHROMIUM_FLAGS,
    `--user-data-dir=${userDataDir}`,
    `--window-size=${size.width},${size.height}`,
    ...(options.extraFlags ?? []),
  );
  chromeOptions.setPageLoadStrategy(options.pageLoadStrategy ?? "normal");
  let driver: WebDriver;
  try {
    driver = await new Builder()
      .forBrowser("chrome")
      .setChromeService(new chrome.ServiceBuilder(CHROMEDRIVER_PATH))
      .setChromeOptions(chromeOptions)
      .build();
  } catch (error) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  let quitted = false;
  return {
    driver,
    userDataDir,
    async quit() {
      if (quitted) return;
      quitted = true;
      try {
        await driver.quit();
      } finally {
        fs.rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Saves a PNG screenshot of the current page to `file` (creating its folder). */
export async function saveScreenshot(driver: WebDriver, file: string): Promise<void> {
  const base64 = await driver.takeScreenshot();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.from(base64, "base64"));
}
