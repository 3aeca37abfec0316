// The web UI of a `kiln server` with authentication on: the page asks for
// a credential instead of failing, refuses a wrong one saying so, shows
// the services with a read token (or a user and password), keeps the
// credential in sessionStorage only (never in the URL or localStorage),
// keeps the session across a reload, forgets it on sign out, lets a
// credential scoped to two tenants pick one of them from a list the server
// gives, and completes a credential of any tenant from the tenants used
// lately.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launch, kilnBin } from './helpers.mjs';
import { startServer, ingestGo, ingestFolded } from './ui-server.mjs';
import { uiPage, open, drawn, until, shots } from './ui-helpers.mjs';

let server;
let browser;
/** @type {Record<string, string>} */
const tokens = {};
const PASSWORD = 'correct horse battery staple';

/** Runs `kiln token create ARGS`; returns the secret it prints and the configuration block. */
function tokenCreate(args, stdin) {
  const out = execFileSync(kilnBin(), ['token', 'create', ...args], { input: stdin, encoding: 'utf8' });
  const [shown, entry] = out.split(/Add to the server's configuration file[^\n]*\n\n/);
  return { secret: shown.trim().split('\n').pop(), entry };
}

before(async () => {
  // Fed without auth, then started again on the same data with auth on.
  const feeder = await startServer();
  for (let i = 0; i < 3; i++) await ingestGo(feeder.base, 'go-app{env=prod}', 60 + i * 120);
  await ingestFolded(feeder.base, 'default-only.cpu', 'main;work 10\n');
  const r = await fetch(`${feeder.base}/ingest?name=team-b-app.cpu&sampleRate=100`, { method: 'POST', body: 'main;billing 30\n', headers: { 'X-Scope-OrgID': 'team-b' } });
  assert.equal(r.status, 200, await r.text());
  await feeder.stop();
  const made = [
    ['reader', tokenCreate(['--tenant', 'anonymous', '--role', 'read', '--name', 'reader'])],
    ['multi', tokenCreate(['--tenant', 'anonymous', '--tenant', 'team-b', '--role', 'read', '--name', 'multi'])],
    ['basic', tokenCreate(['--tenant', 'anonymous', '--role', 'read', '--user', 'ui-user', '--password-stdin'], PASSWORD)],
    ['any', tokenCreate(['--tenant', '*', '--role', 'read', '--name', 'any'])],
  ];
  for (const [name, t] of made) tokens[name] = t.secret;
  server = await startServer({ KILN_AUTH_ENABLED: 'true' }, { dataDir: feeder.dataDir, config: made.map(([, t]) => t.entry).join('\n') });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The services the overview lists. */
const services = (page) => page.locator('tr[data-service]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service')));

/** Fills the sign-in form and waits for the page drawn after it. */
async function signIn(page, { token = '', user = '', password = '', tenant = '' }) {
  await page.fill('.k-signin input[name=token]', token);
  await page.fill('.k-signin input[name=user]', user);
  await page.fill('.k-signin input[name=password]', password);
  await page.fill('.k-signin input[name=tenant]', tenant);
  await page.evaluate(() => document.querySelector('.k-signin')?.setAttribute('data-submitted', ''));
  await page.click('.k-signin-submit');
  await until(page, () => !document.querySelector('.k-signin[data-submitted]'));
  await drawn(page);
}

/** Everything the page's storage and URL hold, as one string. */
const stored = (page) => page.evaluate(() => ({ url: location.href, local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) }));

test('without a credential the page asks for one and shows no data', async () => {
  const { page, context, seen } = await uiPage(browser);
  await open(page, `${server.base}/`);
  assert.equal(await page.locator('.k-signin').count(), 1, 'the sign-in form');
  assert.equal(await page.locator('tr[data-service]').count(), 0);
  assert.equal(await page.locator('.k-signin .k-error').isVisible(), false, 'no refusal yet');
  await shots(page, 'signin');
  assert.deepEqual(seen.errors.filter((e) => !e.includes('401')), []);
  await context.close();
});

test('a wrong token is refused with the server\'s message and forgotten', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, `${server.base}/`);
  await signIn(page, { token: 'kiln_not-a-token' });
  const note = page.locator('.k-signin .k-error');
  assert.ok(await note.isVisible());
  assert.match(await note.textContent(), /refused these credentials/);
  assert.equal(await page.locator('tr[data-service]').count(), 0);
  assert.equal((await stored(page)).session, '{}', 'the refused token is not kept');
  await shots(page, 'signin-refused');
  await context.close();
});

test('a read token shows the services, stays out of the URL and localStorage, survives a reload and is forgotten on sign out', async () => {
  const { page, context } = await uiPage(browser);
  const sent = /** @type {string[]} */ ([]);
  page.on('request', (r) => r.method() === 'POST' && sent.push(r.headers().authorization || 'none'));
  await open(page, `${server.base}/`);
  await signIn(page, { token: tokens.reader });
  assert.deepEqual((await services(page)).sort(), ['default-only', 'go-app']);
  assert.ok(sent.length > 0 && sent.slice(-2).every((a) => a === `Bearer ${tokens.reader}`), sent.join());
  let s = await stored(page);
  assert.ok(!s.url.includes(tokens.reader) && !s.local.includes(tokens.reader), JSON.stringify(s));
  assert.ok(s.session.includes(tokens.reader));
  await page.reload();
  await drawn(page);
  assert.ok((await services(page)).includes('go-app'), 'still signed in after a reload');
  await page.click('.k-signout');
  await until(page, () => !!document.querySelector('.k-signin'));
  s = await stored(page);
  assert.ok(!s.session.includes(tokens.reader) && !s.url.includes(tokens.reader), JSON.stringify(s));
  await page.reload();
  await drawn(page);
  assert.equal(await page.locator('.k-signin').count(), 1, 'signed out for good');
  await context.close();
});

test('a user and password sign in with Basic auth', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, `${server.base}/`);
  await signIn(page, { user: 'ui-user', password: PASSWORD });
  assert.ok((await services(page)).includes('go-app'));
  assert.ok(!(await stored(page)).local.includes('Basic'));
  await context.close();
});

test('a credential of two tenants picks one from the list the server gives, and sees that tenant only', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, `${server.base}/`);
  await signIn(page, { token: tokens.multi, tenant: 'team-c' });
  const error = page.locator('.k-error[role=alert]').first();
  await until(page, () => /may not use tenant "team-c"/.test(document.querySelector('.k-error[role=alert]')?.textContent || ''));
  const picker = page.locator('select.k-tenant');
  await picker.waitFor();
  const options = await picker.locator('option').evaluateAll((os) => os.map((o) => /** @type {HTMLOptionElement} */ (o).value));
  assert.deepEqual(options, ['', 'anonymous', 'team-b'], 'the credential\'s tenants, none picked yet');
  await picker.selectOption('team-b');
  await until(page, () => document.querySelectorAll('tr[data-service]').length > 0);
  assert.deepEqual(await services(page), ['team-b-app']);
  assert.equal(await error.isVisible(), false);
  assert.equal(await page.locator('select.k-tenant').inputValue(), 'team-b');
  await shots(page, 'signed-in-tenant');
  await page.locator('select.k-tenant').selectOption('anonymous');
  await until(page, () => [...document.querySelectorAll('tr[data-service]')].some((r) => r.getAttribute('data-service') === 'go-app'));
  assert.ok(!(await services(page)).includes('team-b-app'));
  await context.close();
});

test('a credential of any tenant types one, completed from the tenants used lately', async () => {
  const { page, context } = await uiPage(browser);
  await open(page, `${server.base}/`);
  await signIn(page, { token: tokens.any, tenant: 'team-b' });
  assert.deepEqual(await services(page), ['team-b-app']);
  const input = page.locator('input.k-tenant');
  assert.equal(await input.inputValue(), 'team-b', 'free text: the server lists no tenants for "*"');
  await input.fill('anonymous');
  await input.dispatchEvent('change');
  await until(page, () => [...document.querySelectorAll('tr[data-service]')].some((r) => r.getAttribute('data-service') === 'go-app'));
  const recent = await page.locator('input.k-tenant').evaluate((i) => [.../** @type {HTMLInputElement} */ (i).list?.options || []].map((o) => o.value));
  assert.deepEqual(recent, ['anonymous', 'team-b'], 'newest first');
  assert.ok(!(await stored(page)).local.includes(tokens.any), 'the tenant names are kept, never the token');
  await context.close();
});
