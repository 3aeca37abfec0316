// Diff: the two selections of the comparison as one diff flame graph (the
// querier's Diff) and a table sorted by change, with the report's colour
// legend; each side keeps its selector, range and timeline above.

import { el, labelledSelect } from '../../ui.js';
import { formatValue } from '../../format.js';
import { update } from '../state.js';
import { describeRange } from '../time.js';
import { mountFlame } from '../flame.js';
import { sidesOf, presetBar, sideColumn, diffOf } from '../sides.js';

const VIEWS = ['flamegraph', 'table', 'both', 'sandwich'];
const MAX_NODES = ['1024', '4096', '8192', '16384', '65536'];

/**
 * @param {HTMLElement} host
 * @param {import('../shell.js').Context} ctx
 */
export async function render(host, ctx) {
  const p = ctx.route.params;
  const unit = ctx.type.split(':')[2] || '';
  const maxNodes = MAX_NODES.includes(p.get('maxNodes') || '') ? /** @type {string} */ (p.get('maxNodes')) : '8192';
  const sides = sidesOf(ctx);
  const grid = el('div', 'k-sides');
  const cols = sides.map((s) => sideColumn(s, ctx, unit));
  grid.append(...cols.map((c) => c.box));
  const bar = presetBar(ctx, 'compare', 'Open side by side');
  bar.append(labelledSelect('Max nodes', MAX_NODES.map((n) => [n, n]), maxNodes, (v) => update({ maxNodes: v })).wrap);
  const summary = el('div', 'k-busy k-compare-summary');
  const graph = el('div', 'k-graph-host');
  host.append(bar, grid, summary, graph);
  const [fg] = await Promise.all([diffOf(ctx, sides, Number(maxNodes)), ...cols.map((c) => c.drawn)]);
  summary.textContent = `Baseline ${formatValue(fg.leftTicks, unit)} (${describeRange(sides[0].range, ctx.tz)}), `
    + `comparison ${formatValue(fg.rightTicks, unit)} (${describeRange(sides[1].range, ctx.tz)})`;
  const v = p.get('view') || '';
  mountFlame(graph, fg, {
    title: `Diff: ${ctx.service}`, subject: `${sides[0].selector} \u2192 ${sides[1].selector}`, profileType: ctx.type, unit,
  }, {
    view: /** @type {any} */ (VIEWS.includes(v) ? v : 'both'),
    onView: (view) => update({ view }, { replace: true }),
  });
}
