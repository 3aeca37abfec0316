// The report's application (flame graph, top table, sandwich, search,
// focus, collapse, exports) mounted on a flame graph from the querier.

import { start } from '../app.js';
import { el } from '../ui.js';
import { uiExports } from './exports.js';

/**
 * @typedef {Object} FlameMeta
 * @property {string} title
 * @property {string} subject
 * @property {string} profileType
 * @property {string} unit
 */

/** The app mounted last, disposed of when another replaces it. */
let current = /** @type {{dispose: () => void} | null} */ (null);

/**
 * Shows a flame graph in `host`, replacing what was there.
 * @param {HTMLElement} host
 * @param {{names: string[], levels: number[][], total: number, maxSelf: number, format?: string}} fg
 * @param {FlameMeta} meta
 * @param {import('../app.js').StartOptions} options
 */
export function mountFlame(host, fg, meta, options) {
  unmountFlame();
  current = startIn(host, fg, meta, options);
}

/**
 * The report's app on `fg` in `host`, or a note when there is nothing to draw.
 * @param {HTMLElement} host
 * @param {{names: string[], levels: number[][], total: number, maxSelf: number, format?: string}} fg
 * @param {FlameMeta} meta
 * @param {import('../app.js').StartOptions} options
 */
function startIn(host, fg, meta, options) {
  if (!fg.levels.length || !fg.total) {
    host.replaceChildren(el('p', 'k-busy', 'No samples for this selection and time range.'));
    return null;
  }
  const box = el('div', 'k-flame');
  host.replaceChildren(box);
  const data = { format: 'single', meta: { ...meta, durationNanos: 0, sampleRate: 0, date: '' }, ...fg };
  return start(box, data, { exports: uiExports(fg.format === 'double'), ...options });
}

/** Disposes of the mounted flame graph's listeners and floating boxes. */
export function unmountFlame() {
  if (current) current.dispose();
  current = null;
  for (const app of beside.splice(0)) app.dispose();
}

/** Apps mounted beside the current one (the two sides of a comparison). */
const beside = /** @type {Array<{dispose: () => void}>} */ ([]);

/**
 * Shows a flame graph in `host` beside the mounted ones; all are disposed of together.
 * @param {HTMLElement} host
 * @param {{names: string[], levels: number[][], total: number, maxSelf: number}} fg
 * @param {FlameMeta} meta
 * @param {import('../app.js').StartOptions} options
 */
export function mountBeside(host, fg, meta, options) {
  const app = startIn(host, fg, meta, options);
  if (app) beside.push(app);
}
