// The report header: what was profiled and how, and the export buttons.

import { formatValue, formatDuration } from './format.js';
import { el, button } from './ui.js';

/**
 * @typedef {Object} ReportMeta
 * @property {string} title
 * @property {string} subject
 * @property {string} profileType
 * @property {string} unit
 * @property {number} durationNanos
 * @property {number} sampleRate
 * @property {string} date
 */

/**
 * The facts shown under the title, skipping unknown ones.
 * @param {any} data
 * @returns {Array<[string, string]>}
 */
function facts(data) {
  /** @type {ReportMeta} */
  const m = data.meta;
  /** @type {Array<[string, string]>} */
  const out = [];
  if (m.profileType) out.push(['Profile type', m.profileType]);
  if (data.format === 'double') {
    out.push(['Baseline', formatValue(data.leftTicks, m.unit)]);
    out.push(['Comparison', formatValue(data.rightTicks, m.unit)]);
  } else {
    out.push(['Total', formatValue(data.total, m.unit)]);
  }
  if (m.durationNanos > 0) out.push(['Duration', formatDuration(m.durationNanos)]);
  if (m.sampleRate > 0) out.push(['Sample rate', `${m.sampleRate} Hz`]);
  if (m.date) out.push(['Date', m.date.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC')]);
  return out;
}

/**
 * Builds the header.
 * @param {any} data
 * @param {Array<[string, () => void]>} exports label and action of each export button
 * @returns {HTMLElement}
 */
export function buildHeader(data, exports) {
  const header = el('header', 'k-header');
  const left = el('div', 'k-heading');
  const brand = el('div', 'k-brand', 'Kiln');
  brand.setAttribute('aria-hidden', 'true');
  const title = el('h1', 'k-title', data.meta.title || (data.format === 'double' ? 'Diff flame graph' : 'Flame graph'));
  left.append(brand, title);
  if (data.meta.subject) left.append(el('div', 'k-subject', data.meta.subject));
  const dl = el('dl', 'k-facts');
  for (const [k, v] of facts(data)) {
    const item = el('div', 'k-fact');
    item.append(el('dt', '', k), el('dd', '', v));
    dl.append(item);
  }
  left.append(dl);
  const actions = el('div', 'k-exports');
  actions.append(el('span', 'k-field-label', 'Export'));
  for (const [label, action] of exports) actions.append(button(label, action, 'k-button k-export'));
  header.append(left, actions);
  return header;
}
