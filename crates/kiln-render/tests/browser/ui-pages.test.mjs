// The web UI of a real `kiln server`, as a user walks through it: the
// services overview, explore (flame graph, timeline drag, selector
// completion, exemplars), the tag explorer, and history. Every step is
// asserted on what the page shows and on the URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './helpers.mjs';
import { fedServer, startServer } from './ui-server.mjs';
import { uiPage, open, step, drawn, until, params, shots } from './ui-helpers.mjs';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
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

/** Explore of go-app over the last hour. */
const exploreGo = () => `${server.base}/explore?service=go-app&type=${encodeURIComponent(CPU)}&from=now-1h&until=now`;

/** The text of the merged/profile total line above the flame graph. */
const totalText = (page) => page.locator('.k-graph-host .k-busy').first().textContent();

test('the landing page lists every service and opens one in explore', async () => {
  const { page, context, seen } = await uiPage(browser);
  await open(page, `${server.base}/`);
  const services = await page.locator('tr[data-service]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service')));
  assert.ok(services.includes('go-app') && services.includes('kiln-sdk-python'), services.join());
  const seenCell = await page.locator('tr[data-service="go-app"] td').nth(2).textContent();
  assert.match(seenCell, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(await page.locator('tr[data-service="go-app"] .k-spark path').count(), 1, 'a CPU sparkline');
  await shots(page, 'overview');
  await page.fill('.k-filter', 'python');
  assert.equal(await page.locator('tr[data-service]:visible').count(), 1);
  await page.fill('.k-filter', '');
  await step(page, () => page.click('tr[data-service="go-app"] a.k-type-chip:has-text("process_cpu:samples")'));
  assert.equal(params(page).get('type'), 'process_cpu:samples:count:cpu:nanoseconds', 'a type chip opens that type');
  await step(page, () => page.goBack());
  await step(page, () => page.click('tr[data-service="go-app"] a.k-service-link'));
  assert.equal(new URL(page.url()).pathname, '/explore');
  assert.equal(params(page).get('service'), 'go-app');
  assert.equal(params(page).get('type'), CPU);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('explore shows the hot function of the Python SDK and of the Go program', async () => {
  const { page, context, seen } = await uiPage(browser);
  await open(page, `${server.base}/explore?service=kiln-sdk-python`);
  assert.equal(params(page).get('type'), CPU, 'the default profile type is written into the URL');
  const names = await page.evaluate(() => window.kiln.tableOrder());
  assert.ok(names.some((n) => n.includes('burn_cpu_in_python')), names.join());
  await shots(page, 'explore-python');
  await open(page, exploreGo());
  assert.equal(await page.evaluate(() => window.kiln.tableOrder()[0]), 'main.step', 'the hottest self time');
  assert.ok(await page.evaluate(() => window.kiln.nodeRect('main.step')), 'drawn in the flame graph');
  const loads = seen.requests.length;
  await page.click('.k-seg[data-view="table"]');
  assert.equal(params(page).get('view'), 'table');
  assert.equal(seen.requests.length, loads, 'a view switch asks the server nothing');
  await step(page, () => page.locator('.k-explore-bar select').selectOption('1024'));
  assert.equal(params(page).get('maxNodes'), '1024');
  assert.equal(await page.evaluate(() => window.kiln.view), 'table', 'the view survives the reload of the graph');
  await shots(page, 'explore-go-table');
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('explore asks for its catalog, timeline and flame graph at once, once each, with every module preloaded', async () => {
  const { page, context, seen } = await uiPage(browser);
  const events = /** @type {string[]} */ ([]);
  const method = (/** @type {string} */ url) => url.split('/').pop();
  page.on('request', (r) => r.method() === 'POST' && events.push(`ask ${method(r.url())}`));
  page.on('response', (r) => r.request().method() === 'POST' && events.push(`answer ${method(r.url())}`));
  await open(page, exploreGo());
  assert.ok(await page.evaluate(() => window.kiln.nodeRect('main.step')), 'the graph is drawn');
  const asked = events.filter((e) => e.startsWith('ask '));
  assert.deepEqual(asked.filter((e) => e !== 'ask LabelNames').sort(), ['ask SelectMergeStacktraces', 'ask SelectSeries', 'ask Series'], events.join());
  const catalogIn = events.indexOf('answer Series');
  assert.ok(events.indexOf('ask SelectMergeStacktraces') < catalogIn, `the merge waits for no catalog: ${events.join()}`);
  assert.ok(events.indexOf('ask SelectSeries') < catalogIn, `nor does the timeline: ${events.join()}`);
  const modules = await page.evaluate(() => {
    const preloaded = [...document.querySelectorAll('link[rel=modulepreload]')].map((l) => /** @type {HTMLLinkElement} */ (l).href);
    const loaded = performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.js'));
    return { preloaded, loaded };
  });
  const notPreloaded = modules.loaded.filter((m) => !/\/ui\/(early|main)\.js$/.test(m) && !modules.preloaded.includes(m));
  assert.deepEqual(notPreloaded, [], 'every module the page loads was preloaded');
  assert.ok(modules.preloaded.length >= 20, modules.preloaded.join());
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('dragging on the timeline selects a sub-range and redraws the flame graph', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, exploreGo());
  const whole = await totalText(page);
  const box = await page.locator('.k-timeline svg').boundingBox();
  const now = Date.now();
  const [x0, x1] = await page.evaluate(([a, b]) => [window.kilnUi.timeline.xOf(a), window.kilnUi.timeline.xOf(b)], [now - 20 * 60e3, now - 9 * 60e3]);
  await step(page, async () => {
    await page.mouse.move(box.x + x0, box.y + 60);
    await page.mouse.down();
    await page.mouse.move(box.x + (x0 + x1) / 2, box.y + 60);
    await page.mouse.move(box.x + x1, box.y + 60);
    await page.mouse.up();
  });
  const from = Number(params(page).get('from'));
  const until = Number(params(page).get('until'));
  assert.ok(Math.abs(from - (now - 20 * 60e3)) < 60e3 && Math.abs(until - (now - 9 * 60e3)) < 60e3, `${from} ${until}`);
  assert.equal(await page.locator('select[aria-label="Time range"]').inputValue(), 'custom');
  assert.equal(await page.locator('input[aria-label="From"]').isVisible(), true);
  const part = await totalText(page);
  assert.notEqual(part, whole, 'the flame graph covers the selected range only');
  assert.match(part, /^Merged over \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \u2192 /);
  await shots(page, 'explore-dragged');
  const utc = new Date(from).toISOString().slice(0, 19);
  const local = new Date(from + 5.5 * 3600e3).toISOString().slice(0, 19);
  assert.equal(await page.locator('input[aria-label="From"]').inputValue(), local, 'absolute times read in local time');
  await step(page, () => page.locator('select[aria-label="Time zone"]').selectOption('utc'));
  assert.equal(params(page).get('tz'), 'utc');
  assert.equal(await page.locator('input[aria-label="From"]').inputValue(), utc, 'absolute times read in UTC');
  assert.match(await totalText(page), / UTC: /);
  await context.close();
});

test('the label selector completes names and values and narrows the query', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, exploreGo());
  const whole = await totalText(page);
  const input = page.locator('input[aria-label="Label selector"]');
  await input.click();
  await input.type('{');
  await page.locator('.k-suggest li', { hasText: 'env' }).waitFor();
  const names = await page.locator('.k-suggest li').allTextContents();
  assert.ok(names.includes('env') && names.includes('region') && !names.some((n) => n.startsWith('__')), names.join());
  await page.locator('.k-suggest li', { hasText: 'env' }).click();
  assert.equal(await input.inputValue(), '{env="');
  await page.locator('.k-suggest li', { hasText: 'prod' }).waitFor();
  assert.deepEqual((await page.locator('.k-suggest li').allTextContents()).sort(), ['prod', 'staging']);
  await shots(page, 'explore-completion');
  await page.locator('.k-suggest li', { hasText: 'prod' }).click();
  assert.equal(await input.inputValue(), '{env="prod"}');
  await step(page, () => input.press('Enter'));
  assert.equal(params(page).get('query'), '{env="prod"}');
  assert.notEqual(await totalText(page), whole, 'only prod profiles are merged');
  await context.close();
});

test('the tag explorer draws one series per value and narrows to a clicked value', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, `${server.base}/tags?service=go-app&type=${encodeURIComponent(CPU)}&groupBy=env`);
  const values = await page.locator('.k-tag-table tr[data-value]').evaluateAll((r) => r.map((e) => e.getAttribute('data-value')));
  assert.deepEqual(values.sort(), ['prod', 'staging']);
  assert.equal(await page.locator('.k-timeline path.k-series').count(), 2, 'one series per value');
  assert.deepEqual((await page.locator('.k-legend-item').allTextContents()).sort(), ['prod', 'staging']);
  const shares = await page.locator('.k-tag-table tbody td:nth-child(3)').allTextContents();
  assert.deepEqual(shares, ['50.0%', '50.0%']);
  await shots(page, 'tags');
  await step(page, () => page.click('.k-tag-table tr[data-value="staging"]'));
  assert.equal(params(page).get('query'), '{env="staging"}');
  assert.equal(params(page).get('groupBy'), 'env');
  assert.deepEqual(await page.locator('.k-tag-table tr[data-value]').evaluateAll((r) => r.map((e) => e.getAttribute('data-value'))), ['staging']);
  await context.close();
});

test('the tag explorer draws the top values and sums the rest into other', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, `${server.base}/tags?service=many-pods&type=${encodeURIComponent(CPU)}&groupBy=pod`);
  assert.equal(await page.locator('.k-tag-table tr[data-value]').count(), 11, 'every value in the table');
  assert.equal(await page.locator('.k-timeline path.k-series').count(), 9, 'eight values and other');
  const legend = await page.locator('.k-legend-item').allTextContents();
  assert.equal(legend[8], 'other');
  const first = await page.locator('.k-tag-table tbody tr').first().getAttribute('data-value');
  assert.ok(['p2', 'p5', 'p8'].includes(first), `the largest value comes first, got ${first}`);
  await shots(page, 'tags-many');
  await context.close();
});

test('clicking a timeline point lists its profiles and opens one', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, exploreGo());
  const box = await page.locator('.k-timeline svg').boundingBox();
  const x = await page.evaluate(() => {
    const t = window.kilnUi.timeline;
    const p = t.lines[0].points.find((q) => q.v > 0);
    return t.xOf(p.t);
  });
  await step(page, () => page.mouse.click(box.x + x, box.y + 80));
  assert.ok(Number(params(page).get('at')) > 0);
  const rows = page.locator('.k-exemplars tbody tr');
  assert.ok((await rows.count()) >= 1);
  const labels = await rows.first().locator('td').nth(1).textContent();
  assert.match(labels, /env=(prod|staging)/);
  await shots(page, 'explore-exemplars');
  const id = await rows.first().getAttribute('data-profile');
  await step(page, () => rows.first().click());
  assert.equal(params(page).get('profile'), id);
  assert.match(await totalText(page), /^This profile: 1\.09 s$/);
  assert.equal(await page.locator('.k-title').textContent(), `Profile ${id}`);
  assert.ok(await page.evaluate(() => window.kiln.nodeRect('main.step')));
  assert.equal(await page.evaluate(() => window.kiln.view), 'both');
  await page.waitForSelector('.k-table tbody tr');
  const cut = await page.evaluate(() => [...document.querySelectorAll('.k-table td.k-num')].filter((c) => c.scrollWidth > c.clientWidth).map((c) => c.textContent));
  assert.deepEqual(cut, [], 'no value or share of the table beside the graph is cut');
  assert.equal(await page.locator('.k-graph-host .k-title').isVisible(), false, 'the shell names the service: the report’s title is not repeated');
  assert.equal(await page.locator('.k-graph-host .k-facts').isVisible(), false);
  await shots(page, 'explore-exemplar-profile');
  await context.close();
});

test('the theme switch overrides the system scheme and is kept across reloads', async () => {
  const { page, context } = await uiPage(browser);
  await page.emulateMedia({ colorScheme: 'light' });
  await open(page, exploreGo());
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  await page.locator('select[aria-label="Theme"]').selectOption('dark');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(17, 19, 24)');
  await page.reload();
  await drawn(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.locator('select[aria-label="Theme"]').selectOption('auto');
  await page.emulateMedia({ colorScheme: 'dark' });
  await until(page, () => document.documentElement.dataset.theme === 'dark');
  await context.close();
});

test('back, forward and reload restore each view', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, `${server.base}/`);
  await step(page, () => page.click('tr[data-service="go-app"] a.k-service-link'));
  const explore = page.url();
  await step(page, () => page.click('.k-nav a:has-text("Tag explorer")'));
  assert.equal(new URL(page.url()).pathname, '/tags');
  assert.equal(params(page).get('service'), 'go-app', 'the service is carried to the next page');
  await step(page, () => page.goBack());
  assert.equal(page.url(), explore);
  assert.ok(await page.evaluate(() => window.kiln.nodeRect('main.step')));
  await step(page, () => page.goBack());
  assert.equal(new URL(page.url()).pathname, '/');
  assert.ok(await page.locator('tr[data-service="go-app"]').isVisible());
  await step(page, () => page.goForward());
  assert.equal(page.url(), explore);
  await page.reload();
  await drawn(page);
  assert.equal(page.url(), explore);
  assert.equal(await page.locator('select[aria-label="Service"]').inputValue(), 'go-app');
  await context.close();
});

test('an empty server shows how to send a first profile', async () => {
  const empty = await startServer();
  const { page, context } = await uiPage(browser);
  try {
    await open(page, `${empty.base}/`);
    const help = await page.locator('.k-empty').textContent();
    assert.ok(help.includes(`curl -X POST`) && help.includes(`${empty.base}/ingest?name=demo.cpu`), help);
    assert.ok(help.includes(`server_address="${empty.base}"`), help);
    await shots(page, 'overview-empty');
  } finally {
    await context.close();
    empty.stop();
  }
});
