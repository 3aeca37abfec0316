// The web UI benchmark (issue #11's Proof), run by hand, not by the tests:
//
//   KILN_BIN=$CARGO_TARGET_DIR/release/kiln node ui-bench.mjs [HOURS] [RUNS]
//
// A release `kiln server` on loopback is fed HOURS (24) of one service at
// one profile every 10 s, each posted to /ingest with its own timestamps:
// every profile holds 500 stacks drawn (seeded) from a ~16k-node call tree
// (gen-folded.mjs 16384), so the merge of the whole range is a ~16k-node
// flame graph. In headless Chromium, median of RUNS (9), it measures:
// navigation to an interactive flame graph of the whole range (Explore,
// maxNodes 16384: `window.kiln.marks.firstPaint`, ms since navigation,
// once the shell has drawn the timeline and the graph), a timeline drag to
// the redrawn graph (pointerup to the new graph's first paint), and the
// bytes transferred by a first load (navigation and resource timing,
// empty cache); then the same for the standalone report of the merged
// profile (`kiln convert --to html --max-nodes 16384`, file://). Prints a
// markdown table.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openReport, kilnBin } from '../helpers.mjs';
import { openUi, until } from '../ui-pages.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const hours = Number(process.argv[2] || 24);
const runs = Number(process.argv[3] || 9);
const work = mkdtempSync(join(tmpdir(), 'kiln-ui-bench-'));
const pool = execFileSync('node', [join(here, 'gen-folded.mjs'), '16384'], { maxBuffer: 1 << 28, encoding: 'utf8' })
  .trim().split('\n').map((l) => l.slice(0, l.lastIndexOf(' ')));

let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

/** One profile's folded text, its stacks added into `sums`. */
function profile(sums) {
  const lines = [];
  for (let i = 0; i < 500; i++) {
    const stack = pool[Math.floor(rand() * pool.length)];
    const v = 1 + Math.floor(rand() * 20);
    sums.set(stack, (sums.get(stack) || 0) + v);
    lines.push(`${stack} ${v}`);
  }
  return lines.join('\n');
}

async function startServer() {
  const port = 40000 + Math.floor(Math.random() * 20000);
  const env = { ...process.env, KILN_REJECT_OLDER_THAN: `${hours + 1}h` };
  const child = spawn(kilnBin(), ['server', '--listen', `127.0.0.1:${port}`, '--data-dir', join(work, 'data')], { env, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; (await fetch(`${base}/ready`).then((r) => r.status, () => 0)) !== 200; i++) {
    if (i > 300) throw new Error('kiln server did not get ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, stop: () => child.kill('SIGTERM') };
}

/** Posts every profile, 16 at a time; returns the summed stacks. */
async function ingest(base, now) {
  const sums = new Map();
  const count = hours * 360;
  const bodies = Array.from({ length: count }, (_, i) => [Math.floor(now / 1000) - (count - i) * 10, profile(sums)]);
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const [from, body] = bodies[next++];
      const r = await fetch(`${base}/ingest?name=bench&sampleRate=100&from=${from}&until=${from + 10}`, { method: 'POST', body });
      if (r.status !== 200) throw new Error(`ingest: ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { sums, count };
}

const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (/** @type {number[]} */ xs) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
const kb = (/** @type {number} */ b) => `${(b / 1024).toFixed(0)} KB`;

/** Bytes a page transferred: [everything, the API answers (fetches) alone]. */
const transferred = (page) => page.evaluate(() => {
  const all = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'));
  const sum = (/** @type {any[]} */ es) => es.reduce((n, e) => n + e.transferSize, 0);
  return [sum(all), sum(all.filter((e) => /** @type {any} */ (e).initiatorType === 'fetch'))];
});

/**
 * Where a first load's time went, ms since navigation: the page's HTML in,
 * the last module in, each API call's start and end, the first paint.
 */
const path = (page) => page.evaluate(() => {
  const [nav] = performance.getEntriesByType('navigation');
  const res = /** @type {PerformanceResourceTiming[]} */ (performance.getEntriesByType('resource'));
  const call = (/** @type {string} */ m) => res.find((e) => e.name.endsWith(`/${m}`));
  const at = (/** @type {number | undefined} */ t) => Math.round(t || 0);
  const out = { html: at(/** @type {PerformanceNavigationTiming} */ (nav).responseEnd), modules: at(Math.max(...res.filter((e) => e.name.endsWith('.js')).map((e) => e.responseEnd))) };
  for (const m of ['Series', 'SelectSeries', 'SelectMergeStacktraces']) out[m] = `${at(call(m)?.startTime)}-${at(call(m)?.responseEnd)}`;
  return { ...out, paint: at(window.kiln.marks.firstPaint) };
});

/** Drags across the middle fifth of the timeline; ms from pointerup to the new graph's first paint. */
async function drag(page) {
  const box = await page.locator('.k-timeline svg').boundingBox();
  const y = box.y + box.height / 2;
  await page.evaluate(() => {
    window.kilnUp = 0;
    document.addEventListener('pointerup', () => (window.kilnUp = performance.now()), { capture: true, once: true });
  });
  const before = await page.evaluate(() => window.kiln);
  await page.mouse.move(box.x + box.width * 0.4, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
  await page.mouse.up();
  return until(page, () => window.kiln && window.kiln.marks.firstPaint > window.kilnUp && window.kiln.marks.firstPaint - window.kilnUp, before);
}

/** Nodes of the whole range's flame graph at maxNodes 16384, as the querier answers it. */
async function graphNodes(base, now) {
  const body = {
    profile_typeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', label_selector: '{service_name="bench"}',
    start: now - hours * 3600e3 - 60e3, end: Date.now(), max_nodes: 16384,
  };
  const r = await fetch(`${base}/querier.v1.QuerierService/SelectMergeStacktraces`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  }).then((x) => x.json());
  return r.flamegraph.levels.reduce((n, l) => n + (l.values || []).length / 4, 0);
}

const server = await startServer();
const t0 = Date.now();
const { sums, count } = await ingest(server.base, t0);
const ingestSeconds = (Date.now() - t0) / 1000;
const all = join(work, 'merged.folded');
writeFileSync(all, [...sums].map(([s, v]) => `${s} ${v}`).join('\n'));
const report = join(work, 'merged.html');
execFileSync(kilnBin(), ['convert', all, '--to', 'html', '--max-nodes', '16384', '-o', report]);

const browser = await launch();
const url = `${server.base}/explore?service=bench&from=now-${hours}h&until=now&maxNodes=16384&view=flamegraph`;
const warm = await openUi(browser, url);
await until(warm.page, () => window.kiln && window.kiln.marks.firstPaint);
await warm.context.close();
const nodes = await graphNodes(server.base, t0);
const [loads, drags, bytes, reports, paths] = [[], [], [], [], []];
for (let i = 0; i < runs; i++) {
  const { page, context } = await openUi(browser, url);
  loads.push(await until(page, () => window.kiln && window.kiln.marks.firstPaint));
  bytes.push(await transferred(page));
  paths.push(await path(page));
  drags.push(await drag(page));
  await context.close();
  const r = await openReport(browser, report);
  reports.push(await r.page.evaluate(() => window.kiln.marks.firstPaint));
  await r.context.close();
}
await browser.close();
server.stop();

console.log(`| ${hours} h of one service, one profile every 10 s (${count} profiles, ${sums.size} distinct stacks), ingested in ${ingestSeconds.toFixed(0)} s | median of ${runs} |`);
console.log('| --- | --- |');
console.log(`| UI: navigation to an interactive flame graph of the whole range (maxNodes 16384: ${nodes} nodes) | ${ms(loads)} |`);
console.log(`| UI: timeline drag to the redrawn flame graph | ${ms(drags)} |`);
console.log(`| UI: bytes transferred on first load (page, assets, API answers) | ${kb(median(bytes.map((b) => b[0])))} |`);
console.log(`| UI: of which API answers (catalog, timeline, flame graph) | ${kb(median(bytes.map((b) => b[1])))} |`);
console.log(`| standalone report of the merged profile: first paint | ${ms(reports)} |`);
console.log(`| standalone report: file size | ${kb(statSync(report).size)} |`);
console.log('\nFirst loads, ms since navigation (HTML in, last module in, each call\'s start-end, first paint), by navigation time:');
for (const [i, p] of [...paths.entries()].sort((a, b) => loads[a[0]] - loads[b[0]])) console.log(`  ${loads[i].toFixed(0)} ms: ${JSON.stringify(p)}`);
