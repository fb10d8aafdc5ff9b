/**
 * Debian's Chromium driven by playwright-core, for the browser tests. One browser per test file; every page records
 * console errors and failed requests (a Content-Security-Policy violation is a console error), which the tests assert
 * are absent. A missing Chromium fails the run with the command that installs it: these tests never skip.
 */
import { existsSync, mkdirSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = new URL("../../test-results/screenshots/", import.meta.url);

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}; the browser tests need it. Install it with ` +
        "`apt-get update && apt-get install -y chromium` (as root), then run the tests again.",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    // Without the last two, Chromium tries to reach the internet for components and field trials.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and failed requests seen so far. */
  problems: string[];
}

export async function openPage(browser: Browser | BrowserContext, width = 1280, height = 900): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width, height } });
  return watch(page);
}

export function watch(page: Page): WatchedPage {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  page.setDefaultTimeout(10_000);
  return { page, problems };
}

/**
 * The page's own globals, for code run inside the page with page.evaluate (the tests are type-checked without the
 * DOM library, so they name only what they use). Read them through `globalThis as unknown as InPage`.
 */
export interface InPage {
  document: { documentElement: { scrollWidth: number }; activeElement: unknown; title: string };
  innerWidth: number;
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  __pwned?: string;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}

/** True when nothing on the page is wider than the viewport (no sideways scrolling of the page itself). */
export async function fitsViewport(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const g = globalThis as unknown as InPage;
    return g.document.documentElement.scrollWidth <= g.innerWidth;
  });
}
