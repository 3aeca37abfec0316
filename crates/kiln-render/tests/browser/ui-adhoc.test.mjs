// The adhoc page of `kiln server`'s UI in headless Chromium: a real
// `kiln adhoc` run saved into the server's adhoc directory, a Go pprof
// uploaded through the file picker, its share link opened in a fresh
// context, the two diffed and compared, and a broken file refused with a
// message while nothing stored is lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, kilnBin, fixtures } from './helpers.mjs';
import { startServer } from './ui-server.mjs';
import { openUi, ready, until, screenshot } from './ui-pages.mjs';

let server;
let browser;
let run = '';

/** Runs `kiln adhoc` on a busy shell loop with the server's data directory as its own. */
function adhocRun(dataDir) {
  const xdg = mkdtempSync(join(tmpdir(), 'kiln-xdg-'));
  symlinkSync(dataDir, join(xdg, 'kiln'));
  const out = mkdtempSync(join(tmpdir(), 'kiln-adhoc-out-'));
  const loop = 'i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done';
  execFileSync(kilnBin(), ['adhoc', '--output-dir', out, '--application-name', 'loop', '--', 'sh', '-c', loop], {
    env: { ...process.env, XDG_DATA_HOME: xdg }, stdio: 'pipe', timeout: 60000,
  });
  return readdirSync(join(dataDir, 'adhoc')).find((f) => f.startsWith('loop-'));
}

before(async () => {
  server = await startServer();
  mkdirSync(join(server.dataDir, 'adhoc'), { recursive: true });
  run = adhocRun(server.dataDir);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const open = (/** @type {string} */ path, opts = {}) => openUi(browser, `${server.base}${path}`, opts);
const goCpu = join(fixtures, 'go/cpu.pb.gz');

/** Uploads a file through the picker and waits for the page to open it. */
async function upload(page, file) {
  await page.setInputFiles('input[type=file]', file);
  await until(page, () => new URL(location.href).searchParams.get('profile'));
  await ready(page);
  return new URL(page.url()).searchParams.get('profile');
}

test('an uploaded pprof gets a content-derived share link that opens in a fresh context', async () => {
  assert.ok(run, 'kiln adhoc saved its run in the server\u2019s adhoc directory');
  const { page, context, errors } = await open('/adhoc');
  assert.ok((await page.textContent('.k-adhoc-table')).includes(run), 'the run is listed');
  const id = await upload(page, goCpu);
  assert.match(id, /^cpu-[0-9a-f]{16}-\d{4}(-\d\d){5}\.pb\.gz$/);
  await until(page, () => window.kiln && window.kiln.nodeRect('main.burn'));
  const link = await page.inputValue('.k-share-link');
  assert.equal(link, `${server.base}/adhoc?profile=${id}`);
  // CPU comes as flamebearer `samples` at a rate of 1e9: nanoseconds, shown as time.
  assert.match(await page.textContent('.k-facts'), /1\.09 s/, 'the total in the profile’s unit');
  await screenshot(page, 'adhoc-light');

  await page.goto(`${server.base}/adhoc`);
  await ready(page);
  assert.equal(await upload(page, goCpu), id, 'the same content keeps its id and is not stored twice');
  assert.match(await page.textContent('.k-upload-status'), /uploaded before/);
  assert.equal(readdirSync(join(server.dataDir, 'adhoc')).filter((f) => f.startsWith('cpu-')).length, 1);

  const fresh = await browser.newContext();
  const shared = await fresh.newPage();
  await shared.goto(link);
  await ready(shared);
  await until(shared, () => window.kiln && window.kiln.nodeRect('main.burn'));
  assert.equal(await shared.textContent('.k-title'), 'cpu-' + id.split('-')[1]);
  await fresh.close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('the upload diffed against the adhoc run and compared side by side; back and forward restore both', async () => {
  const { page, context, errors } = await open('/adhoc');
  const ids = await page.$$eval('.k-adhoc-table tbody tr', (rows) => rows.map((r) => r.dataset.id));
  const upload = ids.find((i) => i.startsWith('cpu-'));
  await page.check(`input[aria-label="Pick ${run}"]`);
  await page.check(`input[aria-label="Pick ${upload}"]`);
  await page.click('.k-diff-picked');
  await ready(page);
  const url = new URL(page.url());
  assert.deepEqual([url.searchParams.get('left'), url.searchParams.get('right'), url.searchParams.get('mode')], [run, upload, 'diff']);
  await until(page, () => window.kiln && window.kiln.nodeColor('main.burn'));
  const burn = await page.evaluate(() => window.kiln.nodeColor('main.burn'));
  const [r, g] = burn.match(/\d+/g).map(Number);
  assert.ok(r - g > 100, `main.burn is only in the upload, so it is red: ${burn}`);
  assert.match(await page.textContent('.k-legend'), /Faster.*Slower/);
  await screenshot(page, 'adhoc-diff-light');

  await page.check(`input[aria-label="Pick ${run}"]`);
  await page.check(`input[aria-label="Pick ${upload}"]`);
  await page.click('.k-compare-picked');
  await ready(page);
  await page.waitForSelector('.k-side-left canvas');
  await page.waitForSelector('.k-side-right canvas');
  assert.equal(new URL(page.url()).searchParams.get('mode'), 'compare');
  await page.goBack();
  await ready(page);
  assert.equal(new URL(page.url()).searchParams.get('mode'), 'diff');
  await page.waitForSelector('.k-legend');
  await page.goForward();
  await ready(page);
  await page.waitForSelector('.k-side-right canvas');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a broken file dropped on the page names its format and what is wrong, and nothing stored is lost', async () => {
  const { page, context } = await open('/adhoc');
  const before = readdirSync(join(server.dataDir, 'adhoc')).sort();
  const drop = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['main;parse 10\nmain;render ten\n'], 'broken.folded'));
    return dt;
  });
  await page.dispatchEvent('.k-drop', 'drop', { dataTransfer: drop });
  await page.waitForSelector('.k-upload-error:not([hidden])');
  const message = await page.textContent('.k-upload-error');
  assert.match(message, /broken\.folded was not stored: .*folded at line 2: .*not an integer/);
  assert.deepEqual(readdirSync(join(server.dataDir, 'adhoc')).sort(), before);
  assert.equal(await page.$$eval('.k-adhoc-table tbody tr', (rows) => rows.length), before.length);
  await screenshot(page, 'adhoc-error-light');
  await context.close();
});

/** The leaf of the heaviest stack of a file, by `kiln convert --to folded`. */
function hottest(file) {
  const lines = execFileSync(kilnBin(), ['convert', file, '--to', 'folded'], { encoding: 'utf8', maxBuffer: 1 << 28 }).trim().split('\n');
  const best = lines.map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]).sort((a, b) => b[1] - a[1])[0];
  return best[0].split(';').at(-1);
}

test('every format the drop zone names uploads and draws its hottest function', async () => {
  const flamebearer = join(tmpdir(), 'go-heap.flamebearer.json');
  execFileSync(kilnBin(), ['convert', join(fixtures, 'go/heap.pb.gz'), '--to', 'flamebearer', '-o', flamebearer]);
  const files = [
    join(fixtures, 'node/wall.pb.gz'), join(fixtures, 'perf/perf.inferno.folded'), join(fixtures, 'py-spy/hot.speedscope.json'),
    flamebearer, join(fixtures, 'perf/perf.script.txt'), join(fixtures, 'jfr/hot.jfr'),
  ];
  const { page, context, errors } = await open('/adhoc');
  for (const file of files) {
    await page.goto(`${server.base}/adhoc`);
    await ready(page);
    await upload(page, file);
    const hot = hottest(file);
    await until(page, (name) => window.kiln && window.kiln.nodeRect(name), hot);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('a hostile file name and function name are shown as text and run nothing', async () => {
  const { page, context, errors } = await open('/adhoc');
  const hostile = '<img src=x onerror="window.pwned=1">';
  const drop = await page.evaluateHandle((name) => {
    const dt = new DataTransfer();
    dt.items.add(new File([`main;${name} 10\nmain;ok 5\n`], `${name}.folded`));
    return dt;
  }, hostile);
  await page.dispatchEvent('.k-drop', 'drop', { dataTransfer: drop });
  await until(page, (name) => window.kiln && window.kiln.nodeRect(name), hostile);
  await page.waitForSelector('.k-table tbody tr');
  assert.ok((await page.textContent('.k-table tbody')).includes(hostile), 'the name is text in the table');
  assert.match(await page.textContent('.k-title'), /^_img_src_x_onerror__window\.pwned_1__-[0-9a-f]{16}$/);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.$('img[src=x]'), null);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the adhoc page in the dark theme', async () => {
  const id = readdirSync(join(server.dataDir, 'adhoc')).find((f) => f.startsWith('cpu-'));
  const { page, context } = await open(`/adhoc?profile=${id}`, { dark: true });
  await page.waitForSelector('canvas');
  await screenshot(page, 'adhoc-dark');
  await page.goto(`${server.base}/adhoc?left=${run}&right=${id}&mode=diff`);
  await ready(page);
  await page.waitForSelector('canvas');
  await screenshot(page, 'adhoc-diff-dark');
  await context.close();
  assert.ok(readFileSync(join(server.dataDir, 'adhoc', id)).length > 0);
});
