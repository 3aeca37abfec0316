// The web UI under hostile names and failures: a function and a service
// named `<img src=x onerror=...>` are shown as text and run nothing; no
// request leaves the server; a query error shows the server's message next
// to the selector, and an unreachable server says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './helpers.mjs';
import { fedServer, HOSTILE_FUNCTION, HOSTILE_SERVICE, HOSTILE_VALUE } from './ui-server.mjs';
import { uiPage, open, step, until, params, shots } from './ui-helpers.mjs';

let server;
let browser;

before(async () => {
  server = await fedServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Nothing ran: no global set by an onerror, no <img> injected, no dialog. */
async function ranNothing(page, seen) {
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator('img').count(), 0);
  assert.deepEqual(seen.dialogs, []);
}

test('a hostile function name is drawn as text and runs nothing', async () => {
  const { page, context, seen } = await uiPage(browser);
  await open(page, `${server.base}/explore?service=hostile-fn`);
  assert.equal(await page.evaluate(() => window.kiln.tableOrder()[0]), HOSTILE_FUNCTION);
  assert.ok(await page.locator('.k-table td', { hasText: HOSTILE_FUNCTION }).count() >= 1, 'shown in the table as text');
  await page.fill('.k-search input', 'onerror');
  assert.equal(await page.evaluate(() => window.kiln.search.nodes), 1);
  await shots(page, 'hostile-function');
  await ranNothing(page, seen);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('a hostile service name is listed, picked and explored as text', async () => {
  const { page, context, seen } = await uiPage(browser);
  await open(page, `${server.base}/`);
  const link = page.locator('a.k-service-link', { hasText: 'onerror' });
  assert.equal(await link.textContent(), HOSTILE_SERVICE);
  await step(page, () => link.click());
  assert.equal(params(page).get('service'), HOSTILE_SERVICE);
  assert.equal(await page.locator('select[aria-label="Service"]').inputValue(), HOSTILE_SERVICE);
  assert.equal(await page.locator('.k-title').textContent(), HOSTILE_SERVICE);
  assert.equal(await page.evaluate(() => window.kiln.tableOrder()[0]), 'main.step', 'its own profile is shown');
  await step(page, () => page.click('.k-nav a:has-text("Tag explorer")'));
  await shots(page, 'hostile-service-tags');
  await ranNothing(page, seen);
  await context.close();
});

test('a hostile label value is completed, grouped and narrowed to as text', async () => {
  const { page, context, seen } = await uiPage(browser);
  await open(page, `${server.base}/tags?service=many-pods&groupBy=pod`);
  assert.equal(await page.locator('.k-legend-item', { hasText: 'onerror' }).textContent(), HOSTILE_VALUE);
  await step(page, () => page.locator('.k-tag-table td', { hasText: 'onerror' }).click());
  assert.equal(params(page).get('query'), `{pod="${HOSTILE_VALUE}"}`);
  assert.equal(await page.locator('.k-tag-table tr[data-value]').count(), 1);
  const input = page.locator('input[aria-label="Label selector"]');
  await input.fill('{pod="<');
  await input.press('End');
  await input.type('i');
  await page.locator('.k-suggest li').first().waitFor();
  assert.deepEqual(await page.locator('.k-suggest li').allTextContents(), [HOSTILE_VALUE]);
  await shots(page, 'hostile-label-value');
  await ranNothing(page, seen);
  await context.close();
});

test('the UI fetches only from its server, under a CSP without inline script', async () => {
  const { page, context, seen } = await uiPage(browser);
  const resp = await page.goto(`${server.base}/tags?service=go-app`);
  const csp = resp.headers()['content-security-policy'];
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /unsafe/);
  await until(page, () => document.body.dataset.state === 'ready');
  await open(page, `${server.base}/explore?service=go-app`);
  const elsewhere = seen.requests.filter((u) => !u.startsWith(`${server.base}/`) && !u.startsWith('data:'));
  assert.deepEqual(elsewhere, []);
  assert.ok(seen.requests.some((u) => u.endsWith('/querier.v1.QuerierService/SelectMergeStacktraces')));
  await context.close();
});

test('a query error shows the server message next to the selector', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, `${server.base}/explore?service=go-app&query=${encodeURIComponent('{env=~"("}')}`);
  const error = page.locator('.k-error');
  await error.waitFor();
  const text = await error.textContent();
  // The timeline and the flame graph ask at once: either refusal may be the one shown.
  assert.match(text, /^(SelectSeries|SelectMergeStacktraces): invalid selector .*regular expression/, text);
  assert.equal(await page.locator('input[aria-label="Label selector"]').inputValue(), '{env=~"("}', 'the selector is kept to fix');
  await shots(page, 'explore-query-error');
  await context.close();
});

test('an unreachable server is reported as such', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, `${server.base}/explore?service=go-app`);
  await page.route('**/querier.v1.QuerierService/**', (r) => r.abort('connectionrefused'));
  await step(page, () => page.locator('select[aria-label="Time range"]').selectOption('now-15m'));
  const text = await page.locator('.k-error').textContent();
  assert.match(text, /^The Kiln server is unreachable \(Series\)/, text);
  await shots(page, 'unreachable');
  await context.close();
});
