// The tag explorer: group by a label; the timeline shows one series per
// value (the top values plus "other"), the table each value's total, share,
// mean and spread over the range. Clicking a value narrows the selector.

import { el, labelledSelect } from '../../ui.js';
import { formatValue, formatShare } from '../../format.js';
import { selectSeries, labelNames, quote } from '../api.js';
import { update } from '../state.js';
import { Timeline, SERIES_COLORS } from '../timeline.js';
import { stepOf } from '../time.js';

/** Values drawn as their own series; the rest are summed into "other". */
const TOP = 8;

/**
 * @typedef {Object} Group
 * @property {string} value
 * @property {import('../api.js').Point[]} points
 * @property {number} total
 * @property {number} mean     per bucket
 * @property {number} spread   standard deviation per bucket
 */

/**
 * @param {HTMLElement} host
 * @param {import('../shell.js').Context} ctx
 */
export async function render(host, ctx) {
  const names = await labelNames(ctx.selector, ctx.range.start, ctx.range.end);
  const candidates = names.filter((n) => n !== 'service_name');
  const groupBy = ctx.route.params.get('groupBy') || candidates[0] || '';
  if (!groupBy) return host.append(el('p', 'k-busy', 'This selection has no label to group by.'));
  const bar = el('div', 'k-explore-bar');
  bar.append(labelledSelect('Group by', candidates.map((n) => [n, n]), groupBy, (v) => update({ groupBy: v })).wrap);
  host.append(bar);
  const unit = ctx.type.split(':')[2] || '';
  const step = stepOf(ctx.range, 120);
  const series = await selectSeries({
    type: ctx.type, selector: ctx.selector, start: ctx.range.start, end: ctx.range.end, step, groupBy: [groupBy],
  });
  const groups = series.map((s) => group(s.labels.find((l) => l.name === groupBy)?.value ?? '', s.points));
  groups.sort((a, b) => b.total - a.total);
  const tl = el('div', 'k-timeline');
  host.append(tl);
  const shown = topWithOther(groups);
  const timeline = new Timeline(tl, unit, ctx.tz, {
    onSelect: (a, b) => update({ from: String(a), until: String(b) }),
    onPoint: () => {},
  });
  timeline.setData(shown.map((g) => ({ name: g.value, points: g.points })), ctx.range.start, ctx.range.end, step * 1000);
  tl.append(legend(shown));
  host.append(valueTable(groups, groupBy, ctx, unit));
}

/**
 * @param {string} value
 * @param {import('../api.js').Point[]} points
 * @returns {Group}
 */
function group(value, points) {
  const total = points.reduce((a, p) => a + p.v, 0);
  const mean = points.length ? total / points.length : 0;
  const variance = points.length ? points.reduce((a, p) => a + (p.v - mean) ** 2, 0) / points.length : 0;
  return { value, points, total, mean, spread: Math.sqrt(variance) };
}

/**
 * The TOP largest groups, and the others summed point by point.
 * @param {Group[]} groups sorted by total, largest first
 * @returns {Group[]}
 */
function topWithOther(groups) {
  if (groups.length <= TOP + 1) return groups;
  const sums = new Map();
  for (const g of groups.slice(TOP)) for (const p of g.points) sums.set(p.t, (sums.get(p.t) || 0) + p.v);
  const points = [...sums].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v, exemplars: [] }));
  return [...groups.slice(0, TOP), group('other', points)];
}

/** @param {Group[]} shown */
function legend(shown) {
  const row = el('div', 'k-legend-row');
  shown.forEach((g, i) => {
    const item = el('span', 'k-legend-item');
    const sw = el('span', 'k-swatch');
    sw.style.background = SERIES_COLORS[i % SERIES_COLORS.length];
    item.append(sw, document.createTextNode(g.value || '(empty)'));
    row.append(item);
  });
  return row;
}

/**
 * @param {Group[]} groups
 * @param {string} groupBy
 * @param {import('../shell.js').Context} ctx
 * @param {string} unit
 */
function valueTable(groups, groupBy, ctx, unit) {
  const all = groups.reduce((a, g) => a + g.total, 0);
  const table = el('table', 'k-tag-table');
  const head = el('tr');
  for (const h of [groupBy, 'Total', 'Share', 'Mean per bucket', 'Spread (std dev)']) head.append(el('th', '', h));
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  for (const g of groups) {
    const tr = el('tr');
    tr.dataset.value = g.value;
    tr.append(el('td', '', g.value || '(empty)'), el('td', '', formatValue(g.total, unit)), el('td', '', formatShare(g.total, all)),
      el('td', '', formatValue(g.mean, unit)), el('td', '', formatValue(g.spread, unit)));
    tr.title = 'Narrow the selector to this value';
    tr.addEventListener('click', () => update({ query: narrowed(ctx.matchers, groupBy, g.value) }));
    body.append(tr);
  }
  table.append(thead, body);
  return table;
}

/**
 * The user's matchers with `name="value"` added.
 * @param {string} matchers
 * @param {string} name
 * @param {string} value
 */
function narrowed(matchers, name, value) {
  const inner = matchers.trim().replace(/^\{/, '').replace(/\}$/, '').trim();
  const m = `${name}=${quote(value)}`;
  return `{${inner ? `${inner}, ${m}` : m}}`;
}
