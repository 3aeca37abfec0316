// The comparison and diff pages of `kiln server`'s UI in headless Chromium:
// two time ranges of one service, one where `slow` burns the CPU and one
// where `fast` does, side by side and as one diff flame graph.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './helpers.mjs';
import { startServer } from './ui-server.mjs';
import { openUi, ready, until, screenshot } from './ui-pages.mjs';

let server;
let browser;
const minute = 60_000;
const t0 = Date.now();

/** Posts folded stacks to /ingest as one profile of `shop` covering [at, at+10s]. */
async function ingestAt(base, folded, at) {
  const from = Math.floor(at / 1000);
  const url = `${base}/ingest?name=shop&sampleRate=100&from=${from}&until=${from + 10}`;
  const r = await fetch(url, { method: 'POST', body: folded });
  if (r.status !== 200) throw new Error(`ingest: ${r.status} ${await r.text()}`);
}

before(async () => {
  server = await startServer();
  await ingestAt(server.base, 'main;work;slow 300\nmain;work;prime 50\n', t0 - 50 * minute);
  await ingestAt(server.base, 'main;work;fast 60\nmain;work;prime 50\n', t0 - 10 * minute);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Opens a UI path of the server. */
const open = (/** @type {string} */ path, opts = {}) => openUi(browser, `${server.base}${path}`, opts);

const red = (/** @type {string} */ rgb) => {
  const [r, g] = rgb.match(/\d+/g).map(Number);
  return r - g;
};

test('the before/after preset splits the range at a point and shows each side\u2019s hot function', async () => {
  const { page, context, errors } = await open('/compare?from=now-1h&until=now&view=both');
  // A whole minute, typed as `HH:MM`: Chromium shows a time whose seconds
  // are 0 without them, so typing `HH:MM:00` failed Playwright's check of
  // the value once a minute (`page.fill: Malformed value`).
  const at = Math.floor((t0 - 30 * minute) / minute) * minute;
  await page.selectOption('select[aria-label="Comparison preset"]', 'before-after');
  await page.fill('input[aria-label="Point in time"]', await page.evaluate((ms) => {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }, at));
  await page.click('.k-apply-preset');
  await ready(page);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('leftUntil'), url.searchParams.get('rightFrom'));
  assert.ok(Math.abs(Number(url.searchParams.get('rightFrom')) - at) < 1000, url.search);
  assert.equal(await page.inputValue('select[aria-label="Comparison preset"]'), 'before-after', 'the preset shown is the URL\u2019s');
  await page.waitForSelector('.k-side-right .k-table tbody tr');
  const left = await page.textContent('.k-side-left .k-table tbody');
  const right = await page.textContent('.k-side-right .k-table tbody');
  assert.ok(left.includes('slow') && !left.includes('fast'), left);
  assert.ok(right.includes('fast') && !right.includes('slow'), right);
  assert.match(await page.textContent('.k-compare-summary'), /Baseline .*comparison .*-/);
  const cut = await page.evaluate(() => [...document.querySelectorAll('.k-side .k-table td.k-num')].filter((c) => c.scrollWidth > c.clientWidth).map((c) => c.textContent));
  assert.deepEqual(cut, [], 'no value or share of a side’s table is cut');
  const widths = await page.evaluate(() => [...document.querySelectorAll('select[aria-label="Time range"]')].map((s) => s.getBoundingClientRect().width));
  assert.equal(widths.length, 3, 'the page’s range and each side’s');
  assert.ok(widths.every((w) => w >= widths[0] - 1), `each side’s range select as wide as its options need: ${widths}`);
  await screenshot(page, 'compare-light');
  assert.deepEqual(errors, []);
  await context.close();
});

test('diff colours the function that grew red and the one that shrank green, the table sorted by change', async () => {
  const split = String(t0 - 30 * minute);
  const q = `from=now-1h&until=now&leftFrom=${t0 - 60 * minute}&leftUntil=${split}&rightFrom=${split}&rightUntil=${t0}`;
  const { page, context, errors } = await open(`/compare?${q}`);
  await page.click('.k-other-page');
  await ready(page);
  assert.equal(new URL(page.url()).pathname, '/diff');
  assert.equal(new URL(page.url()).searchParams.get('rightFrom'), split, 'the sides travel to the diff');
  await until(page, () => window.kiln && window.kiln.nodeColor('fast'));
  const fast = await page.evaluate(() => window.kiln.nodeColor('fast'));
  const slow = await page.evaluate(() => window.kiln.nodeColor('slow'));
  assert.ok(red(fast) > 100, `fast grew: ${fast}`);
  assert.ok(red(slow) < -50, `slow shrank: ${slow}`);
  assert.match(await page.textContent('.k-legend'), /Faster.*Slower/);
  await page.waitForSelector('.k-table tbody tr');
  const order = await page.evaluate(() => window.kiln.tableOrder());
  assert.equal(order[0], 'fast', order.join());
  assert.equal(order.at(-1), 'slow', order.join());
  await screenshot(page, 'diff-light');

  await page.goBack();
  await ready(page);
  assert.equal(new URL(page.url()).pathname, '/compare');
  await page.waitForSelector('.k-side-right canvas');
  await page.goForward();
  await ready(page);
  assert.equal(new URL(page.url()).pathname, '/diff');
  await until(page, () => window.kiln && window.kiln.nodeColor('fast'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('comparison and diff pages in the dark theme', async () => {
  const split = String(t0 - 30 * minute);
  const q = `from=now-1h&until=now&leftFrom=${t0 - 60 * minute}&leftUntil=${split}&rightFrom=${split}&rightUntil=${t0}`;
  for (const path of ['compare', 'diff']) {
    const { page, context } = await open(`/${path}?${q}`, { dark: true });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await page.waitForSelector('canvas');
    await screenshot(page, `${path}-dark`);
    await context.close();
  }
});
