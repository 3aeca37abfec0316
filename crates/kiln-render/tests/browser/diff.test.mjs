// A diff report: baseline and comparison aligned, slower frames red, faster
// green, a legend, normalised and absolute modes, diff columns in the table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openReport, networkRequests, shot, workDir } from './helpers.mjs';

let browser;
let report;
before(async () => {
  browser = await launch();
  const base = join(workDir, 'base.folded');
  const comp = join(workDir, 'comp.folded');
  writeFileSync(base, 'main;work;slow 100\nmain;work;fast 100\nmain;idle 50\n');
  writeFileSync(comp, 'main;work;slow 300\nmain;work;fast 20\nmain;idle 50\nmain;fresh 30\n');
  report = join(workDir, 'diff.html');
  const bin = process.env.KILN_DIFF_BIN;
  if (!bin) throw new Error('set KILN_DIFF_BIN to the diff_report example binary (scripts/test.sh does)');
  execFileSync(bin, [base, comp, report]);
});
after(async () => { await browser.close(); });

/** @param {string} rgb */
function channels(rgb) {
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(rgb);
  assert.ok(m, `not an rgb colour: ${rgb}`);
  return m.slice(1).map(Number);
}

test('slower frames are red, faster frames green, by relative change', async () => {
  const { page, context, seen, url } = await openReport(browser, report);
  const color = (n) => page.evaluate((name) => window.kiln.nodeColor(name), n);
  const [sr, sg] = channels(await color('slow'));
  const [fr, fg] = channels(await color('fast'));
  const [nr, ng] = channels(await color('fresh'));
  assert.ok(sr > 200 && sg < 120, 'slow got slower: red');
  assert.ok(fg > fr + 60, 'fast got faster: green');
  assert.ok(nr > 200 && ng < 120, 'a new frame is red');
  assert.deepEqual(networkRequests(seen, url), []);
  assert.deepEqual(seen.errors, []);
  assert.match(await page.locator('.k-legend').innerText(), /Faster.*Slower/s);
  await page.waitForFunction(() => window.kiln.tableOrder().length > 0);
  const heads = await page.locator('.k-table th').allInnerTexts();
  assert.deepEqual(heads.map((h) => h.replace(/[↑↓]/g, '').trim()), ['Symbol', 'Baseline', 'Comparison', 'Diff']);
  assert.equal((await page.evaluate(() => window.kiln.tableOrder()))[0], 'fresh', 'sorted by change');
  await shot(page, 'diff');
  await context.close();
});

test('absolute mode compares raw values instead of shares', async () => {
  const { page, context } = await openReport(browser, report);
  // idle is 50 on both sides: unchanged in absolute terms, a smaller share
  // of the larger comparison in normalised terms.
  const normalised = channels(await page.evaluate(() => window.kiln.nodeColor('idle')));
  assert.ok(normalised[1] > normalised[0], 'normalised: idle is a smaller share, green');
  await page.locator('label', { hasText: 'Diff' }).locator('select').selectOption('absolute');
  const absolute = channels(await page.evaluate(() => window.kiln.nodeColor('idle')));
  assert.ok(Math.abs(absolute[0] - absolute[1]) < 10, `absolute: idle unchanged, grey (${absolute})`);
  await page.locator('label', { hasText: 'Colours' }).locator('select').selectOption('colorblind');
  const [r, , b] = channels(await page.evaluate(() => window.kiln.nodeColor('slow')));
  assert.ok(r > b, 'colour-blind palette: slower is orange');
  await shot(page, 'diff-colorblind');
  await context.close();
});

test('the diff tooltip shows baseline, comparison and change', async () => {
  const { page, context } = await openReport(browser, report);
  const r = await page.evaluate(() => window.kiln.nodeRect('slow'));
  await page.mouse.move(r.x + r.w / 2, r.y + r.h / 2);
  const text = await page.locator('.k-tooltip').innerText();
  assert.match(text, /Baseline\s+100/);
  assert.match(text, /Comparison\s+300/);
  assert.match(text, /Change\s+\+/);
  await context.close();
});
