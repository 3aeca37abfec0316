// The web UI's entry point: reads the URL, loads the catalog of services
// and profile types, draws the shell and the page. Every navigation
// (links, back, forward, `navigate`) draws again from the URL alone.
//
// The page registry: a page is one module in `pages/` exporting
// `render(host, ctx)`; `pickers` says whether it uses the service, profile
// type and selector pickers of the shell. A page's queries start before
// the catalog loads (queries.js; for the first page, in early.js).

import { el } from '../ui.js';
import { route, update } from './state.js';
import { drawShell, applyTheme } from './shell.js';
import { selectorOf, ApiError } from './api.js';
import { CPU, contextOf, askAhead, takeEarly, catalogQuery } from './queries.js';
import { session, signInPage, forget } from './auth.js';
import { unmountFlame } from './flame.js';
import { render as overview } from './pages/overview.js';
import { render as explore } from './pages/explore.js';
import { render as tags } from './pages/tags.js';
import { render as compare } from './pages/compare.js';
import { render as diff } from './pages/diff.js';
import { render as adhoc } from './pages/adhoc.js';

/** @type {Record<string, {render: (host: HTMLElement, ctx: import('./shell.js').Context) => Promise<void>, pickers: boolean, range?: boolean}>} */
const PAGES = {
  overview: { render: overview, pickers: false },
  explore: { render: explore, pickers: true },
  tags: { render: tags, pickers: true },
  compare: { render: compare, pickers: true },
  diff: { render: diff, pickers: true },
  adhoc: { render: adhoc, pickers: false, range: false },
};

/**
 * Profile type ids of each service over the range, from the querier's Series.
 * @param {import('./time.js').Range} range
 * @returns {Promise<Map<string, string[]>>}
 */
async function loadCatalog(range) {
  const r = await catalogQuery(range);
  /** @type {Map<string, Set<string>>} */
  const types = new Map();
  for (const set of r.labelsSet || []) {
    const get = (/** @type {string} */ n) => (set.labels || []).find((/** @type {any} */ l) => l.name === n)?.value || '';
    const s = get('service_name');
    if (!types.has(s)) types.set(s, new Set());
    if (get('__profile_type__')) types.get(s)?.add(get('__profile_type__'));
  }
  return new Map([...types].map(([s, t]) => [s, [...t].sort((a, b) => Number(b === CPU) - Number(a === CPU) || a.localeCompare(b))]));
}

/**
 * Draws the page of the current URL; `body[data-state]` and the
 * `kiln-ui-drawn` performance mark say when it is done.
 */
async function draw() {
  const root = /** @type {HTMLElement} */ (document.getElementById('kiln-ui'));
  document.body.dataset.state = 'loading';
  await drawPage(root);
  document.body.dataset.state = 'ready';
  performance.mark('kiln-ui-drawn');
}

/**
 * The shell and the page of the current URL.
 * @param {HTMLElement} root
 */
async function drawPage(root) {
  const r = route();
  const page = PAGES[r.page];
  unmountFlame();
  if (!page) {
    root.replaceChildren(el('p', 'k-error', `No page at ${location.pathname}.`));
    return;
  }
  const early = takeEarly();
  const ctx = early || contextOf(r);
  askAhead(ctx, !!early);
  let failure = null;
  try {
    ctx.catalog.types = await loadCatalog(ctx.range);
  } catch (e) {
    failure = e;
  }
  if (needsSignIn(failure)) {
    root.replaceChildren(signInAfter(/** @type {ApiError} */ (failure)));
    return;
  }
  if (page.pickers && !failure) pickDefaults(ctx, r.params);
  ctx.selector = selectorOf(ctx.service, ctx.matchers);
  const host = drawShell(root, ctx, { pickers: page.pickers, range: page.range });
  if (failure) {
    ctx.showError(failure);
    return;
  }
  try {
    await page.render(host, ctx);
  } catch (e) {
    if (needsSignIn(e)) root.replaceChildren(signInAfter(/** @type {ApiError} */ (e)));
    else ctx.showError(e);
  }
}

/** Whether the server asked for credentials (auth is on and none, or a wrong one, was sent). @param {unknown} e */
function needsSignIn(e) {
  return e instanceof ApiError && e.status === 401;
}

/**
 * The sign-in page after a 401; a credential the server refused is forgotten.
 * @param {ApiError} e
 */
function signInAfter(e) {
  const refused = session() ? e.reason : '';
  if (refused) forget();
  return signInPage(refused);
}

/**
 * Fills in the service and profile type; when the URL lacks them, writes
 * the defaults into it (replacing the entry, without a second draw).
 * @param {import('./shell.js').Context} ctx
 * @param {URLSearchParams} params
 */
function pickDefaults(ctx, params) {
  const services = [...ctx.catalog.types.keys()].sort();
  ctx.service = params.get('service') || services[0] || '';
  const types = ctx.catalog.types.get(ctx.service) || [];
  ctx.type = params.get('type') || types[0] || CPU;
  if (ctx.service && (!params.get('service') || !params.get('type'))) {
    update({ service: ctx.service, type: ctx.type }, { replace: true, quiet: true });
    ctx.route = route();
  }
}

/** Draws once more when nothing newer asked for a draw meanwhile. */
let drawing = Promise.resolve();
function redraw() {
  drawing = drawing.then(draw, draw);
}

applyTheme();
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
window.addEventListener('popstate', redraw);
window.addEventListener('kiln:navigate', redraw);
redraw();
