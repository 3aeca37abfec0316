// A single-profile report from each real fixture: opens offline, draws,
// zooms, searches, sorts, opens the sandwich, and never touches the network.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openReport, networkRequests, shot, htmlReport, clickNode, fixtures } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

const reports = {
  go: () => htmlReport(`${fixtures}/go/cpu.pb.gz`, 'go-cpu'),
  pyspy: () => htmlReport(`${fixtures}/py-spy/hot.speedscope.json`, 'pyspy'),
  perf: () => htmlReport(`${fixtures}/perf/perf.script.txt`, 'perf'),
};

for (const [name, make] of Object.entries(reports)) {
  test(`${name} report opens from file:// with no network request and no error`, async () => {
    const { page, context, seen, url } = await openReport(browser, make());
    await page.waitForFunction(() => window.kiln.tableOrder().length > 0);
    assert.deepEqual(networkRequests(seen, url), []);
    assert.deepEqual(seen.errors, []);
    assert.equal(await page.evaluate(() => window.kiln.view), 'both');
    const shotPath = await shot(page, `${name}-both`);
    console.log(`screenshot: ${shotPath}`);
    await context.close();
  });
}

test('go report header says what was profiled', async () => {
  const { page, context } = await openReport(browser, reports.go());
  const header = await page.locator('.k-header').innerText();
  for (const want of ['cpu.pb.gz', 'cpu:cpu:nanoseconds:cpu:nanoseconds', 'DURATION', '100 Hz', 'UTC']) {
    assert.ok(header.includes(want), `header lacks ${want}: ${header}`);
  }
  await context.close();
});

test('clicking a frame zooms to it, the breadcrumb follows, reset zooms out', async () => {
  const { page, context } = await openReport(browser, reports.go());
  const before = await page.evaluate(() => window.kiln.nodeRect('main.step'));
  await clickNode(page, 'main.step');
  assert.equal(await page.evaluate(() => window.kiln.zoomed), 'main.step');
  const zoomed = await page.evaluate(() => window.kiln.nodeRect('main.step'));
  assert.ok(zoomed.w > before.w, 'the zoomed frame fills the width');
  const crumbs = await page.locator('.k-crumb').allInnerTexts();
  assert.equal(crumbs[0], 'total');
  assert.equal(crumbs[crumbs.length - 1], 'main.step');
  await shot(page, 'go-zoomed');
  await page.getByRole('button', { name: 'Reset view' }).click();
  assert.equal(await page.evaluate(() => window.kiln.zoomed), 'total');
  await context.close();
});

test('hovering a frame shows its name, total, self and share in the profile unit', async () => {
  const { page, context } = await openReport(browser, reports.go());
  const r = await page.evaluate(() => window.kiln.nodeRect('main.burn'));
  await page.mouse.move(r.x + 20, r.y + r.h / 2);
  const tip = page.locator('.k-tooltip');
  await tip.waitFor({ state: 'visible' });
  const text = await tip.innerText();
  assert.match(text, /main\.burn/);
  assert.match(text, /Total\s+[\d.]+ (ms|s) \([\d.]+%\)/);
  assert.match(text, /Self/);
  await shot(page, 'go-tooltip');
  await context.close();
});

test('search highlights matching frames and reports their share of the total', async () => {
  const { page, context } = await openReport(browser, reports.perf());
  await page.locator('.k-search input').fill('burn');
  const s = await page.evaluate(() => window.kiln.search);
  assert.equal(s.functions, 1);
  assert.ok(s.share > 0.8 && s.share < 0.9, `burn is ~86% of the perf profile, got ${s.share}`);
  assert.match(await page.locator('.k-search-info').innerText(), /of total/);
  const faded = await page.evaluate(() => window.kiln.nodeColor('idle_work'));
  assert.equal(faded, '#eceef1', 'non-matching frames are faded');
  assert.deepEqual(await page.evaluate(() => window.kiln.tableOrder()), ['burn'], 'the table is filtered too');
  await shot(page, 'perf-search');
  await page.locator('.k-search input').fill('/^(spin|burn)$/');
  assert.equal((await page.evaluate(() => window.kiln.search)).functions, 2, 'regular expressions work');
  await context.close();
});

test('the table sorts by any column and a row click highlights the function', async () => {
  const { page, context } = await openReport(browser, reports.perf());
  await page.waitForFunction(() => window.kiln.tableOrder().length > 0);
  assert.equal((await page.evaluate(() => window.kiln.tableOrder()))[0], 'burn', 'sorted by self by default');
  await page.locator('th', { hasText: 'Total' }).click();
  const byTotal = await page.evaluate(() => window.kiln.tableOrder());
  assert.equal(byTotal[0], 'prog');
  await page.locator('th', { hasText: 'Symbol' }).click();
  const byName = await page.evaluate(() => window.kiln.tableOrder());
  assert.deepEqual(byName, [...byName].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  await page.locator('tr[data-name]', { hasText: 'idle_work' }).click();
  assert.equal(await page.evaluate(() => window.kiln.highlighted), 'idle_work');
  assert.equal(await page.evaluate(() => window.kiln.nodeColor('burn')), '#eceef1');
  assert.notEqual(await page.evaluate(() => window.kiln.nodeColor('idle_work')), '#eceef1');
  await context.close();
});

test('the sandwich shows callers above and callees below a function', async () => {
  const { page, context } = await openReport(browser, reports.perf());
  await clickNode(page, 'spin', 'main', 'right');
  await page.getByRole('menuitem', { name: 'Open in sandwich view' }).click();
  assert.equal(await page.evaluate(() => window.kiln.view), 'sandwich');
  const s = await page.evaluate(() => window.kiln.sandwich());
  assert.equal(s.name, 'spin');
  assert.deepEqual(s.callers, ['main']);
  assert.deepEqual(s.callees, ['burn']);
  const callers = await page.evaluate(() => window.kiln.nodeRect('spin', 'callers'));
  const callees = await page.evaluate(() => window.kiln.nodeRect('spin', 'callees'));
  assert.ok(callers.y < callees.y, 'callers are drawn above callees');
  await shot(page, 'perf-sandwich');
  await context.close();
});

test('focus and collapse nodes above derive a graph, and reset restores it', async () => {
  const { page, context } = await openReport(browser, reports.go());
  await clickNode(page, 'main.step', 'main', 'right');
  await page.getByRole('menuitem', { name: 'Collapse nodes above' }).click();
  assert.equal(await page.evaluate(() => window.kiln.zoomed), 'main.step', 'the frame is the new root');
  assert.equal(await page.evaluate(() => window.kiln.nodeRect('runtime.main')), null);
  await page.getByRole('button', { name: 'Reset view' }).click();
  await clickNode(page, 'main.warm', 'main', 'right');
  await page.getByRole('menuitem', { name: 'Focus on this function' }).click();
  assert.deepEqual(await page.evaluate(() => window.kiln.derived), { kind: 'Focus', name: 'main.warm' });
  const warm = await page.evaluate(() => window.kiln.nodeRect('main.warm'));
  const root = await page.evaluate(() => window.kiln.nodeRect('total'));
  assert.ok(Math.abs(warm.w - root.w) < 1, 'only stacks through main.warm are left');
  await clickNode(page, 'main.warm', 'main', 'right');
  await page.getByRole('menuitem', { name: 'Copy function name' }).click();
  assert.equal(await page.evaluate(() => window.kiln.copied), 'main.warm');
  await context.close();
});

test('frames of one package share a colour; the colour-blind palette changes them', async () => {
  const { page, context } = await openReport(browser, reports.go());
  const c = await page.evaluate(() => ['main.main', 'main.burn', 'runtime.main'].map((n) => window.kiln.nodeColor(n)));
  assert.equal(c[0], c[1]);
  assert.notEqual(c[0], c[2]);
  await page.locator('select').nth(2).selectOption('colorblind');
  assert.equal(await page.evaluate(() => window.kiln.palette), 'colorblind');
  const cb = await page.evaluate(() => window.kiln.nodeColor('main.main'));
  assert.notEqual(cb, c[0]);
  await shot(page, 'go-colorblind');
  await context.close();
});

test('keyboard: arrows move a selection, Enter zooms, Escape resets', async () => {
  const { page, context } = await openReport(browser, reports.perf());
  await page.locator('.k-graph-pane canvas').focus();
  for (let k = 0; k < 4; k++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => window.kiln.zoomed), 'spin');
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => window.kiln.zoomed), 'total');
  await context.close();
});

test('keyboard: ] zooms in along the widest path, [ zooms back out', async () => {
  const { page, context } = await openReport(browser, reports.go());
  const path = [];
  for (let k = 0; k < 3; k++) {
    await page.keyboard.press(']');
    path.push(await page.evaluate(() => window.kiln.zoomed));
  }
  assert.deepEqual(path, ['runtime.main', 'main.main', 'main.write']);
  await page.keyboard.press('[');
  assert.equal(await page.evaluate(() => window.kiln.zoomed), 'main.main');
  for (let k = 0; k < 4; k++) await page.keyboard.press('[');
  assert.equal(await page.evaluate(() => window.kiln.zoomed), 'total', 'zooming out stops at the root');
  await context.close();
});

test('the canvas is drawn at the device pixel ratio', async () => {
  const { page, context } = await openReport(browser, reports.go(), { dpr: 2 });
  const size = await page.evaluate(() => {
    const c = document.querySelector('.k-graph-pane canvas');
    return { w: c.width, h: c.height, cssW: c.getBoundingClientRect().width, cssH: c.getBoundingClientRect().height };
  });
  assert.equal(size.w, Math.round(size.cssW * 2));
  assert.equal(size.h, Math.round(size.cssH * 2));
  await shot(page, 'go-dpr2');
  await context.close();
});

test('export buttons download PNG, folded and flamebearer JSON without the network', async () => {
  const { page, context, seen, url } = await openReport(browser, reports.perf());
  const get = async (label) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: label }).click()]);
    return dl;
  };
  const png = await get('PNG');
  assert.match(png.suggestedFilename(), /\.png$/);
  const folded = await (await get('Folded')).createReadStream();
  let text = '';
  for await (const chunk of folded) text += chunk;
  assert.match(text, /^prog;__libc_start_call_main;main;spin;burn 237$/m);
  const json = await get('JSON');
  let body = '';
  for await (const chunk of await json.createReadStream()) body += chunk;
  const fb = JSON.parse(body);
  assert.equal(fb.metadata.format, 'single');
  assert.equal(fb.flamebearer.numTicks, 279);
  assert.deepEqual(networkRequests(seen, url), []);
  await context.close();
});
