// Shared setup of the browser tests: Debian's Chromium driven by
// playwright-core, reports generated with the real `kiln` binary.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../../../..');
export const fixtures = join(repo, 'crates/kiln-model/tests/fixtures');
export const workDir = mkdtempSync(join(tmpdir(), 'kiln-render-'));
/** Screenshots land here (printed so a person can look at them). */
export const shotDir = process.env.KILN_SCREENSHOTS || join(workDir, 'screenshots');
mkdirSync(shotDir, { recursive: true });

/** The kiln binary under test. */
export function kilnBin() {
  const bin = process.env.KILN_BIN;
  if (!bin) throw new Error('set KILN_BIN to the kiln binary (scripts/test.sh does)');
  return bin;
}

/** Runs `kiln convert INPUT --to html -o OUT` and returns OUT. */
export function htmlReport(input, name, extra = []) {
  const out = join(workDir, `${name}.html`);
  execFileSync(kilnBin(), ['convert', input, '--to', 'html', '-o', out, ...extra], { stdio: 'pipe' });
  return out;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    // playwright-core gives every launch a fresh temporary --user-data-dir
    // (it refuses one passed in args).
  });
}

/**
 * Opens a report from file:// and records every request, console error,
 * page error and dialog, for the test to assert on.
 */
export async function openReport(browser, file, { width = 1400, height = 900, dpr = 1 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: dpr });
  const page = await context.newPage();
  const seen = { requests: [], errors: [], dialogs: [] };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()));
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    d.dismiss();
  });
  const url = pathToFileURL(file).href;
  await page.goto(url);
  await page.waitForFunction(() => window.kiln && window.kiln.marks.firstPaint > 0);
  return { page, context, seen, url };
}

/** Requests other than the report itself and data:/blob: URLs. */
export function networkRequests(seen, url) {
  return seen.requests.filter((u) => u !== url && !u.startsWith('data:') && !u.startsWith('blob:'));
}

export async function shot(page, name) {
  const path = join(shotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Clicks the centre of the widest node named `name`. */
export async function clickNode(page, name, which = 'main', button = 'left') {
  const r = await page.evaluate(([n, w]) => window.kiln.nodeRect(n, w), [name, which]);
  if (!r) throw new Error(`node ${name} is not drawn in ${which}`);
  await page.mouse.click(r.x + Math.min(r.w / 2, 60), r.y + r.h / 2, { button });
  return r;
}
