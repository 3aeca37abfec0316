// Comparison: two selections side by side (left and right), each with its
// own selector, range and timeline, and its own flame graph; the totals of
// both and their change on top. Presets set both sides at once.

import { el } from '../../ui.js';
import { formatValue, formatChange } from '../../format.js';
import { mergeStacktraces } from '../api.js';
import { update } from '../state.js';
import { describeRange } from '../time.js';
import { mountBeside } from '../flame.js';
import { sidesOf, presetBar, sideColumn } from '../sides.js';

const VIEWS = ['flamegraph', 'table', 'both', 'sandwich'];

/**
 * @param {HTMLElement} host
 * @param {import('../shell.js').Context} ctx
 */
export async function render(host, ctx) {
  const unit = ctx.type.split(':')[2] || '';
  const sides = sidesOf(ctx);
  const summary = el('div', 'k-busy k-compare-summary');
  const grid = el('div', 'k-sides');
  const cols = sides.map((s) => sideColumn(s, ctx, unit));
  grid.append(...cols.map((c) => c.box));
  host.append(presetBar(ctx, 'diff', 'Open as diff'), summary, grid);
  const v = ctx.route.params.get('view') || '';
  const view = /** @type {any} */ (VIEWS.includes(v) ? v : 'flamegraph');
  const graphs = await Promise.all(sides.map(async (side, i) => {
    const fg = await mergeStacktraces({
      type: ctx.type, selector: side.selector, start: side.range.start, end: side.range.end, maxNodes: 8192,
    });
    await cols[i].drawn;
    const title = `${side.title}: ${ctx.service}`;
    const subject = `${side.selector}  ${describeRange(side.range, ctx.tz)}`;
    mountBeside(cols[i].content, fg, { title, subject, profileType: ctx.type, unit }, {
      view, onView: (next) => update({ view: next }, { replace: true }),
    });
    return fg;
  }));
  const [l, r] = graphs.map((g) => g.total);
  summary.textContent = `Baseline ${formatValue(l, unit)}, comparison ${formatValue(r, unit)}: ${l ? formatChange(((r - l) / l) * 100) : 'new'}`;
}
