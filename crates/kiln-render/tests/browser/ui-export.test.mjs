// Exports of the UI's views in headless Chromium: every button of the
// explore view and of the diff view downloads a file that reads back: the
// pprof and folded exports through `kiln convert`, the flamebearer JSON as
// JSON, the PNG by its signature, and the HTML report opened offline,
// where it draws and requests nothing; "Copy link" copies the URL, which
// restores the view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, kilnBin, openReport, networkRequests } from './helpers.mjs';
import { startServer } from './ui-server.mjs';
import { openUi, ready, until } from './ui-pages.mjs';

let server;
let browser;
const out = mkdtempSync(join(tmpdir(), 'kiln-ui-export-'));
const minute = 60_000;
const t0 = Date.now();

async function ingestAt(base, folded, at) {
  const from = Math.floor(at / 1000);
  const r = await fetch(`${base}/ingest?name=shop&sampleRate=100&from=${from}&until=${from + 10}`, { method: 'POST', body: folded });
  if (r.status !== 200) throw new Error(`ingest: ${r.status} ${await r.text()}`);
}

before(async () => {
  server = await startServer();
  await ingestAt(server.base, 'main;work;slow 300\nmain;work;prime 50\nmain;gc 7\n', t0 - 50 * minute);
  await ingestAt(server.base, 'main;work;fast 60\nmain;work;prime 50\n', t0 - 10 * minute);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Clicks the export button `label` and returns the saved file's path. */
async function exported(page, label, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`.k-export:text-is("${label}")`)]);
  const path = join(out, name);
  await download.saveAs(path);
  return path;
}

/** Folded text as a map of stack to value(s), order ignored. */
function foldedMap(text) {
  return new Map(text.trim().split('\n').map((l) => {
    const at = l.indexOf(' ');
    return [l.slice(0, at), l.slice(at + 1)];
  }));
}

const convert = (/** @type {string} */ file) => execFileSync(kilnBin(), ['convert', file, '--to', 'folded'], { encoding: 'utf8' });

test('every export of the explore view reads back as what the page shows', async () => {
  const { page, context, errors } = await openUi(browser, `${server.base}/explore?service=shop&from=now-1h&until=now`);
  await until(page, () => window.kiln && window.kiln.nodeRect('slow'));
  const folded = foldedMap(readFileSync(await exported(page, 'Folded', 'shop.folded'), 'utf8'));
  assert.deepEqual(folded, foldedMap('main;work;slow 3000000000\nmain;work;prime 1000000000\nmain;work;fast 600000000\nmain;gc 70000000\n'));
  assert.deepEqual(foldedMap(convert(await exported(page, 'pprof', 'shop.pb.gz'))), folded, 'the pprof holds the same stacks');
  const json = JSON.parse(readFileSync(await exported(page, 'JSON', 'shop.json'), 'utf8'));
  assert.ok(json.flamebearer.names.includes('slow') && json.flamebearer.numTicks === 4670000000, JSON.stringify(json.flamebearer));
  assert.deepEqual(foldedMap(convert(join(out, 'shop.json'))), folded, 'the flamebearer JSON holds the same stacks');
  const png = readFileSync(await exported(page, 'PNG', 'shop.png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  const html = await exported(page, 'HTML', 'shop.html');
  const report = await openReport(browser, html);
  await report.context.setOffline(true);
  await report.page.reload();
  await until(report.page, () => window.kiln && window.kiln.marks.firstPaint > 0 && window.kiln.nodeRect('slow'));
  assert.deepEqual(networkRequests(report.seen, report.url), [], 'the report requests nothing');
  assert.deepEqual(report.seen.errors, []);
  await report.context.close();

  await page.click('.k-export:text-is("Copy link")');
  const copied = await until(page, () => document.body.dataset.copied);
  assert.equal(copied, page.url());
  const again = await openUi(browser, copied);
  await until(again.page, () => window.kiln && window.kiln.nodeRect('slow'));
  await again.context.close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('the diff view exports folded pairs, flamebearer JSON and an HTML diff report that draws offline', async () => {
  const split = String(t0 - 30 * minute);
  const q = `from=now-1h&until=now&leftFrom=${t0 - 60 * minute}&leftUntil=${split}&rightFrom=${split}&rightUntil=${t0}`;
  const { page, context } = await openUi(browser, `${server.base}/diff?${q}`);
  await ready(page);
  await until(page, () => window.kiln && window.kiln.nodeColor('fast'));
  assert.equal(await page.$('.k-export:text-is("pprof")'), null, 'pprof has no diff form');
  const folded = foldedMap(readFileSync(await exported(page, 'Folded', 'diff.folded'), 'utf8'));
  assert.equal(folded.get('main;work;slow'), '3000000000 0');
  assert.equal(folded.get('main;work;fast'), '0 600000000');
  const json = JSON.parse(readFileSync(await exported(page, 'JSON', 'diff.json'), 'utf8'));
  assert.equal(json.metadata.format, 'double');
  const report = await openReport(browser, await exported(page, 'HTML', 'diff.html'));
  await until(report.page, () => window.kiln && window.kiln.nodeColor('fast'));
  assert.match(await report.page.textContent('.k-legend'), /Faster.*Slower/);
  assert.deepEqual(networkRequests(report.seen, report.url), []);
  await report.context.close();
  await context.close();
});
