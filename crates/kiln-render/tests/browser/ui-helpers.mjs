// Shared steps of the UI tests: open a page of the server's UI, wait until
// it has drawn, and write screenshots of it in light and dark.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Screenshots of every page, light and dark, outside the clone. */
export const uiShots = process.env.KILN_UI_SCREENSHOTS || join(homedir(), '.cache/kiln/ui-screens');
mkdirSync(uiShots, { recursive: true });

/**
 * A new page that records requests, errors and dialogs. Its time zone is
 * five and a half hours from UTC, so local and UTC times differ.
 * @param {import('playwright-core').Browser} browser
 */
export async function uiPage(browser, { width = 1400, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, timezoneId: 'Asia/Kolkata' });
  const page = await context.newPage();
  const seen = { requests: /** @type {string[]} */ ([]), errors: /** @type {string[]} */ ([]), dialogs: /** @type {string[]} */ ([]) };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()));
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    d.dismiss();
  });
  return { page, context, seen };
}

/**
 * Polls `fn` in the page until it returns something truthy. (Playwright's
 * waitForFunction evaluates a string, which the UI's CSP forbids.)
 */
export async function until(page, fn, arg, timeout = 20000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await page.evaluate(fn, arg).catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** Waits until the UI has drawn the page of the current URL. */
export async function drawn(page) {
  await until(page, () => document.body.dataset.state === 'ready');
}

/** Goes to `url` and waits for the page to be drawn. */
export async function open(page, url) {
  await page.goto(url);
  await drawn(page);
}

/** Runs `action` (which changes the URL) and waits for the new page. */
export async function step(page, action) {
  const before = page.url();
  await action();
  await until(page, (u) => location.href !== u, before);
  await drawn(page);
}

/** The current URL's parameters. */
export function params(page) {
  return new URL(page.url()).searchParams;
}

/** Screenshots of the page in the light and the dark theme. */
export async function shots(page, name) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await until(page, (s) => document.documentElement.dataset.theme === s, scheme);
    await page.screenshot({ path: join(uiShots, `${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
