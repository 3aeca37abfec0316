// Shared steps of the UI page tests (compare, diff, adhoc, export): open a
// path of a running `kiln server` in a fresh context, wait for the shell
// to draw, poll the page, and where screenshots go.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';

/** Screenshots of the pages, outside the clone, for a person to look at. */
export const screens = process.env.KILN_UI_SCREENS || join(homedir(), '.cache/kiln/ui-screens');
mkdirSync(screens, { recursive: true });

/**
 * Opens `base + path` in a new context and waits until the page is drawn.
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 */
export async function openUi(browser, url, { dark = false, width = 1400, height = 900, offline = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme: dark ? 'dark' : 'light', acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  if (offline) await context.setOffline(true);
  await page.goto(url);
  await ready(page);
  return { page, context, errors };
}

/** Waits for the shell to finish drawing the current URL. */
export async function ready(page) {
  await page.waitForSelector('body[data-state="ready"]');
}

/**
 * Waits until `fn(arg)` in the page is truthy and returns it (polling
 * `evaluate`: the UI's CSP forbids the eval behind waitForFunction).
 */
export async function until(page, fn, arg) {
  for (let i = 0; i < 100; i++) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${fn}`);
}

/** A full-page screenshot named `name` in the screenshot folder. */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(screens, `${name}.png`), fullPage: true });
}
