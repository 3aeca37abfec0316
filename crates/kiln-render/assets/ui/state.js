// The state of every view lives in the URL: the path names the page, the
// query string holds the rest (service, profile type, selector, range,
// view, ...). Pages change it through `navigate`, which pushes a history
// entry (or replaces one) and tells the shell to draw again; back, forward,
// reload and a pasted link all go through `route()`.

/** The page each path shows. */
const PATHS = /** @type {Record<string, string>} */ ({
  '/': 'overview',
  '/explore': 'explore',
  '/tags': 'tags',
  '/compare': 'compare',
  '/diff': 'diff',
  '/adhoc': 'adhoc',
});

/** Parameters kept when moving from one page to another. */
const SHARED = ['service', 'type', 'query', 'from', 'until', 'tz'];

/**
 * @typedef {Object} Route
 * @property {string} page
 * @property {URLSearchParams} params
 */

/** @returns {Route} the page and parameters of the current location */
export function route() {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  return { page: PATHS[path] || 'notfound', params: new URLSearchParams(location.search) };
}

/**
 * The URL of `page` with `params` (empty values left out).
 * @param {string} page
 * @param {Record<string, string | null | undefined>} params
 * @returns {string}
 */
export function hrefOf(page, params) {
  const path = Object.keys(PATHS).find((p) => PATHS[p] === page) || '/';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * The shared parameters of the current URL, to carry to another page.
 * @returns {Record<string, string>}
 */
export function sharedParams() {
  const cur = route().params;
  /** @type {Record<string, string>} */
  const out = {};
  for (const k of SHARED) if (cur.get(k)) out[k] = /** @type {string} */ (cur.get(k));
  return out;
}

/**
 * Goes to `page` with the current shared parameters changed by `patch`
 * (a null value removes a parameter); other parameters are dropped when
 * the page changes and kept when it does not. `quiet` records a change the
 * page already shows (the report's view) without drawing again.
 * @param {string} page
 * @param {Record<string, string | null>} patch
 * @param {{replace?: boolean, quiet?: boolean}} [how]
 */
export function navigate(page, patch, how = {}) {
  const cur = route();
  /** @type {Record<string, string | null>} */
  const params = page === cur.page ? Object.fromEntries(cur.params) : sharedParams();
  Object.assign(params, patch);
  const url = hrefOf(page, params);
  if (url === location.pathname + location.search) return;
  if (how.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  if (how.quiet) return;
  performance.mark('kiln-ui-navigate');
  window.dispatchEvent(new Event('kiln:navigate'));
}

/**
 * Changes parameters of the current page.
 * @param {Record<string, string | null>} patch
 * @param {{replace?: boolean, quiet?: boolean}} [how]
 */
export function update(patch, how) {
  navigate(route().page, patch, how);
}
