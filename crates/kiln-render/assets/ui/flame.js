// The report's application (flame graph, top table, sandwich, search,
// focus, collapse, exports) mounted on a flame graph from the querier.

import { start } from '../app.js';
import { el } from '../ui.js';

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
 * @param {{names: string[], levels: number[][], total: number, maxSelf: number}} fg
 * @param {FlameMeta} meta
 * @param {import('../app.js').StartOptions} options
 */
export function mountFlame(host, fg, meta, options) {
  unmountFlame();
  if (!fg.levels.length || !fg.total) {
    host.replaceChildren(el('p', 'k-busy', 'No samples for this selection and time range.'));
    return;
  }
  const box = el('div', 'k-flame');
  host.replaceChildren(box);
  const data = { format: 'single', meta: { ...meta, durationNanos: 0, sampleRate: 0, date: '' }, ...fg };
  current = start(box, data, options);
}

/** Disposes of the mounted flame graph's listeners and floating boxes. */
export function unmountFlame() {
  if (current) current.dispose();
  current = null;
}
