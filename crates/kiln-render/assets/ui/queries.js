// The queries a page makes from its URL alone, so that they can start
// before the page's modules have loaded (`early.js`) and while the shell
// waits for the catalog of services (`main.js`): the page's own calls
// later take these answers (`ahead` in api.js). Small on purpose: it and
// what it imports are all `early.js` waits for.

import { route } from './state.js';
import { rangeOf, stepOf } from './time.js';
import { querier, selectorOf, ahead, selectSeries, mergeStacktraces } from './api.js';

/** The profile type a service is shown with first, when it has it. */
export const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
/** Explore's max-nodes choices. */
export const MAX_NODES = ['1024', '4096', '8192', '16384', '65536'];

/**
 * The context of a draw of the URL `r`, before the catalog is in: no
 * service or type picked yet.
 * @param {import('./state.js').Route} r
 * @returns {import('./shell.js').Context}
 */
export function contextOf(r) {
  const range = rangeOf(r.params);
  const tz = r.params.get('tz') === 'utc' ? 'utc' : 'local';
  const matchers = r.params.get('query') || '';
  return { route: r, range, tz, service: '', type: '', matchers, selector: '', catalog: { types: new Map() }, showError: () => {} };
}

/**
 * The time window of the timeline point at `t`: SelectSeries sums the
 * profiles of `(t - step, t]` into it.
 * @param {number} t
 * @param {number} step seconds
 */
export function bucket(t, step) {
  return { start: t - step * 1000 + 1, end: t };
}

/**
 * Explore's two queries: the timeline's total and the flame graph (of the
 * range, or of the opened profile).
 * @param {import('./shell.js').Context} ctx
 */
export function exploreQueries(ctx) {
  const p = ctx.route.params;
  const maxNodes = MAX_NODES.includes(p.get('maxNodes') || '') ? /** @type {string} */ (p.get('maxNodes')) : '8192';
  const step = stepOf(ctx.range, 120);
  const at = Number(p.get('at') || NaN);
  const id = p.get('profile');
  const w = id ? bucket(at || ctx.range.start, step) : ctx.range;
  return {
    maxNodes, step, at, id,
    series: () => selectSeries({ type: ctx.type, selector: ctx.selector, start: ctx.range.start, end: ctx.range.end, step }),
    graph: () => mergeStacktraces({
      type: ctx.type, selector: ctx.selector, start: w.start, end: w.end, maxNodes: Number(maxNodes), profileIds: id ? [id] : [],
    }),
  };
}

/**
 * The catalog every page loads first: the services and their profile types
 * over the range (the querier's Series).
 * @param {import('./time.js').Range} range
 */
export function catalogQuery(range) {
  return querier('Series', { labelNames: ['service_name', '__profile_type__'], start: range.start, end: range.end });
}

/** What each page asks for, given its service and profile type. */
const ASK = /** @type {Record<string, (ctx: import('./shell.js').Context) => void>} */ ({
  explore: (ctx) => {
    const q = exploreQueries(ctx);
    q.series();
    q.graph();
  },
});

/**
 * Starts the catalog's query and, when the URL names the service, the
 * page's own. A URL without a profile type most likely gets CPU once the
 * catalog is in (a wrong guess is an answer no one takes). `again`: the
 * context `early.js` asked with, whose answers are reused.
 * @param {import('./shell.js').Context} ctx
 * @param {boolean} [again]
 */
export function askAhead(ctx, again = false) {
  const service = ctx.route.params.get('service');
  const ask = ASK[ctx.route.page];
  ahead(() => {
    catalogQuery(ctx.range);
    if (!ask || !service) return;
    ask({ ...ctx, service, type: ctx.route.params.get('type') || CPU, selector: selectorOf(service, ctx.matchers) });
  }, again);
}

/** The context `early.js` asked with, for the first draw of the same URL. */
let early = /** @type {{href: string, ctx: import('./shell.js').Context} | null} */ (null);
/** Whether the UI has begun drawing: then it asks for itself. */
let drawing = false;

/**
 * Asks for the current URL's queries; its context waits for `takeEarly`.
 * Nothing when the UI already draws (early.js is `async`, so it may run
 * after main.js).
 */
export function startEarly() {
  if (drawing) return;
  const ctx = contextOf(route());
  early = { href: location.href, ctx };
  askAhead(ctx);
}

/**
 * The context `startEarly` made, once, when the URL is still the same (its
 * range then ends at the same "now", so its queries are the same).
 * @returns {import('./shell.js').Context | null}
 */
export function takeEarly() {
  drawing = true;
  const e = early;
  early = null;
  return e && e.href === location.href ? e.ctx : null;
}
