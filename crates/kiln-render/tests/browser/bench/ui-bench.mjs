// The web UI benchmark: a loopback `kiln server` holding HOURS of one
// service at one profile every 10 s (each a folded profile of about NODES
// call-tree nodes, from gen-folded.mjs), opened in headless Chromium.
//
//   KILN_BIN=.../kiln node ui-bench.mjs [HOURS] [NODES] [RUNS]
//
// Measures, median of RUNS: navigation to the drawn explore page (the
// `kiln-ui-drawn` mark: timeline and interactive flame graph), a timeline
// drag to the redrawn page (`kiln-ui-navigate` to `kiln-ui-drawn`), the
// bytes of the first load (assets, then the querier's answers); and beside
// them the standalone report of the same profile's first paint. Prints a
// markdown table.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openReport, workDir, kilnBin } from '../helpers.mjs';
import { startServer } from '../ui-server.mjs';
import { until } from '../ui-helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const hours = Number(process.argv[2] || 1);
const nodes = Number(process.argv[3] || 16000);
const runs = Number(process.argv[4] || 9);

const foldedPath = join(workDir, 'ui-bench.folded');
const folded = execFileSync('node', [join(here, 'gen-folded.mjs'), String(nodes)], { maxBuffer: 1 << 30 });
writeFileSync(foldedPath, folded);

/** Posts one profile every 10 s over the last `hours`, four at a time. */
async function fill(base) {
  const end = Math.floor(Date.now() / 1000) - 20;
  const times = [];
  for (let t = end - hours * 3600; t < end; t += 10) times.push(t);
  const post = async (t) => {
    const r = await fetch(`${base}/ingest?name=bench.cpu&from=${t}&until=${t + 10}&sampleRate=100`, { method: 'POST', body: folded });
    if (r.status !== 200) throw new Error(`ingest: ${r.status} ${await r.text()}`);
  };
  for (let i = 0; i < times.length; i += 4) await Promise.all(times.slice(i, i + 4).map(post));
  return times.length;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mark = (page, name) => page.evaluate((n) => performance.getEntriesByName(n).at(-1)?.startTime ?? NaN, name);

async function openExplore(browser, base) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/explore?service=bench&from=now-${hours}h&until=now&view=flamegraph&maxNodes=16384`);
  await until(page, () => document.body.dataset.state === 'ready' && window.kiln && window.kiln.marks.firstPaint > 0, undefined, 120000);
  return { page, context };
}

async function drag(page) {
  const box = await page.locator('.k-timeline svg').boundingBox();
  const [a, b] = [box.x + box.width * 0.3, box.x + box.width * 0.6];
  await page.mouse.move(a, box.y + 60);
  await page.mouse.down();
  await page.mouse.move(b, box.y + 60);
  const before = page.url();
  await page.mouse.up();
  await until(page, (u) => location.href !== u && document.body.dataset.state === 'ready', before, 120000);
  return (await mark(page, 'kiln-ui-drawn')) - (await mark(page, 'kiln-ui-navigate'));
}

async function firstLoadBytes(page) {
  return page.evaluate(() => {
    const nav = /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType('navigation')[0]);
    const res = /** @type {PerformanceResourceTiming[]} */ (performance.getEntriesByType('resource'));
    const api = res.filter((r) => r.name.includes('QuerierService'));
    const assets = res.filter((r) => !r.name.includes('QuerierService'));
    const sum = (xs) => xs.reduce((s, r) => s + r.transferSize, 0);
    return { assets: nav.transferSize + sum(assets), api: sum(api) };
  });
}

const server = await startServer({ KILN_REJECT_OLDER_THAN: '0', KILN_MAX_PROFILE_SIZE_BYTES: String(64 << 20) });
const browser = await launch();
try {
  const profiles = await fill(server.base);
  const load = [];
  const redraw = [];
  let bytes = null;
  for (let i = 0; i < runs; i++) {
    const { page, context } = await openExplore(browser, server.base);
    load.push(await mark(page, 'kiln-ui-drawn'));
    bytes ??= await firstLoadBytes(page);
    redraw.push(await drag(page));
    await context.close();
  }
  const report = join(workDir, 'ui-bench.html');
  execFileSync(kilnBin(), ['convert', foldedPath, '--to', 'html', '-o', report]);
  const paints = [];
  for (let i = 0; i < runs; i++) {
    const { page, context } = await openReport(browser, report);
    paints.push(await page.evaluate(() => window.kiln.marks.firstPaint));
    await context.close();
  }
  const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
  console.log(`${profiles} profiles over ${hours} h, ${nodes} nodes each, median of ${runs}\n`);
  console.log('| measure | web UI | standalone report |\n|---|---|---|');
  console.log(`| navigation to drawn flame graph | ${median(load).toFixed(0)} ms | ${median(paints).toFixed(0)} ms (first paint) |`);
  console.log(`| timeline drag to redrawn flame graph | ${median(redraw).toFixed(0)} ms | n/a |`);
  console.log(`| first load: assets | ${kb(bytes.assets)} | ${kb(readFileSync(report).length)} (the file) |`);
  console.log(`| first load: querier answers | ${kb(bytes.api)} | n/a |`);
} finally {
  await browser.close();
  server.stop();
}
