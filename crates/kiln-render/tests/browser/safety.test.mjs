// Hostile function names render as text and execute nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openReport, networkRequests, shot, htmlReport, workDir } from './helpers.mjs';

const NASTY = [
  '<script>window.pwned=1, alert(1)</script>',
  '</script><script>window.pwned=2</script>',
  '"><img src=x onerror="window.pwned=3">',
  "it's a 'quoted' \"name\" & <b>bold</b>",
  '<!-- comment --> ]]> \u2028 \u2029',
  'emoji 🔥🐍 λ→∑ 漢字',
  'right-to-left \u202eevil\u202c עברית العربية',
  `huge ${'x'.repeat(10 * 1024)}`,
];

let browser;
let report;
before(async () => {
  browser = await launch();
  const folded = join(workDir, 'nasty.folded');
  writeFileSync(folded, NASTY.map((n, i) => `root;${n} ${10 + i}`).join('\n') + '\n');
  report = htmlReport(folded, 'nasty');
});
after(async () => { await browser.close(); });

test('the data is escaped in the file: no name can close the data element', () => {
  const html = readFileSync(report, 'utf8');
  const data = html.slice(html.indexOf('id="kiln-data">'), html.indexOf('</script>', html.indexOf('id="kiln-data">')));
  assert.ok(!/[<>&\u2028\u2029]/.test(data.slice('id="kiln-data">'.length)), 'raw <, >, & or U+2028/9 in the data');
  assert.ok(!/https?:\/\//.test(html), 'the file holds no http URL');
});

test('hostile names render as text and execute nothing', async () => {
  const { page, context, seen, url } = await openReport(browser, report);
  await page.waitForFunction(() => window.kiln.tableOrder().length > 0);
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(networkRequests(seen, url), []);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator('script').count(), 2, 'only the data and the app script');
  assert.equal(await page.locator('img, b').count(), 0, 'no markup from names');
  const order = await page.evaluate(() => window.kiln.tableOrder());
  assert.deepEqual([...order].sort(), [...NASTY, 'root'].sort(), 'every name survives intact');
  const cells = await page.locator('.k-table td:first-child').allTextContents();
  for (const n of NASTY) assert.ok(cells.includes(n), `table shows ${n.slice(0, 40)} as text`);
  for (const n of NASTY) {
    const r = await page.evaluate((name) => window.kiln.nodeRect(name), n);
    await page.mouse.move(r.x + Math.min(r.w / 2, 30), r.y + r.h / 2);
    const title = await page.locator('.k-tooltip-title').textContent();
    assert.equal(title, n);
  }
  await page.locator('.k-search input').fill('<script>');
  assert.equal((await page.evaluate(() => window.kiln.search)).functions, 2, 'two names contain <script>');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await shot(page, 'nasty');
  await context.close();
});
