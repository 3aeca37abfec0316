// Explore: the timeline of the total over time (drag selects a sub-range,
// a click lists the profiles of that bucket), and the merged flame graph,
// top table, sandwich or both, with a max-nodes control. An opened
// exemplar (`profile=`) shows that one profile's flame graph instead.

import { el, button, labelledSelect } from '../../ui.js';
import { formatValue } from '../../format.js';
import { selectSeries, labelNames } from '../api.js';
import { update } from '../state.js';
import { Timeline } from '../timeline.js';
import { formatTime, describeRange } from '../time.js';
import { mountFlame } from '../flame.js';
import { exploreQueries, bucket, MAX_NODES } from '../queries.js';
const VIEWS = ['flamegraph', 'table', 'both', 'sandwich'];

/**
 * @param {HTMLElement} host
 * @param {import('../shell.js').Context} ctx
 */
export async function render(host, ctx) {
  const q = exploreQueries(ctx);
  const { maxNodes, step, at } = q;
  const unit = ctx.type.split(':')[2] || '';
  const bar = el('div', 'k-explore-bar');
  bar.append(labelledSelect('Max nodes', MAX_NODES.map((n) => [n, n]), maxNodes, (v) => update({ maxNodes: v })).wrap);
  const tl = el('div', 'k-timeline');
  tl.hidden = true;
  const exemplars = el('div', 'k-exemplars');
  exemplars.hidden = true;
  const graph = el('div', 'k-graph-host k-explore-graph');
  host.append(bar, tl, exemplars, graph);
  const timeline = new Timeline(tl, unit, ctx.tz, {
    onSelect: (a, b) => update({ from: String(a), until: String(b), at: null, profile: null }),
    onPoint: (t) => update({ at: String(t), profile: null }),
  });
  if (at) timeline.marker = at;
  /** @type {any} */ (window).kilnUi = { timeline };
  // The timeline, the bucket's profiles and the flame graph load side by side.
  const drawTimeline = q.series().then((lines) => {
    tl.hidden = false;
    timeline.setData(lines.map((s) => ({ name: 'total', points: s.points })), ctx.range.start, ctx.range.end, step * 1000);
  });
  const listed = at ? listExemplars(exemplars, ctx, at, step) : null;
  await Promise.all([drawTimeline, listed, drawGraph(graph, ctx, unit, q)]);
}

/**
 * The merged flame graph of the range, or the opened profile's.
 * @param {HTMLElement} host
 * @param {import('../shell.js').Context} ctx
 * @param {string} unit
 * @param {ReturnType<typeof exploreQueries>} q
 */
async function drawGraph(host, ctx, unit, q) {
  const id = q.id;
  const fg = await q.graph();
  const v = ctx.route.params.get('view') || '';
  const title = id ? `Profile ${id}` : ctx.service;
  mountFlame(host, fg, { title, subject: ctx.selector, profileType: ctx.type, unit }, {
    view: /** @type {any} */ (VIEWS.includes(v) ? v : undefined),
    onView: (view) => update({ view }, { replace: true, quiet: true }),
  });
  const what = id ? 'This profile' : `Merged over ${describeRange(ctx.range, ctx.tz)}`;
  const total = el('div', 'k-busy', `${what}: ${formatValue(fg.total, unit)}`);
  (host.querySelector('.k-heading') || host).prepend(total);
}

/**
 * Lists the profiles stored in the bucket at `at`: one row per profile
 * (SelectSeries exemplars over the bucket, per series and second).
 * @param {HTMLElement} box
 * @param {import('../shell.js').Context} ctx
 * @param {number} at
 * @param {number} step
 */
async function listExemplars(box, ctx, at, step) {
  const w = bucket(at, step);
  const groupBy = await labelNames(ctx.selector, w.start, w.end);
  const series = await selectSeries({ type: ctx.type, selector: ctx.selector, start: w.start, end: w.end, step: 1, groupBy, exemplars: true });
  const rows = series.flatMap((s) => s.points.flatMap((p) => p.exemplars.map((e) => ({ ...e, labels: s.labels }))));
  rows.sort((a, b) => a.t - b.t);
  const head = el('div', 'k-section-head');
  head.append(el('span', '', `Profiles from ${formatTime(w.start, ctx.tz)} to ${formatTime(w.end, ctx.tz, false)} (${rows.length})`));
  head.append(button('Close', () => update({ at: null, profile: null }), 'k-button'));
  const table = el('table');
  const thead = el('thead');
  const tr = el('tr');
  for (const h of ['Time', 'Labels', 'Total', 'Profile id']) tr.append(el('th', '', h));
  thead.append(tr);
  const body = el('tbody');
  const unit = ctx.type.split(':')[2] || '';
  for (const r of rows) body.append(exemplarRow(r, ctx, unit));
  table.append(thead, body);
  box.append(head, table);
  box.hidden = false;
}

/**
 * @param {{profileId: string, t: number, value: number, labels: Array<{name: string, value: string}>}} r
 * @param {import('../shell.js').Context} ctx
 * @param {string} unit
 */
function exemplarRow(r, ctx, unit) {
  const tr = el('tr', ctx.route.params.get('profile') === r.profileId ? 'k-on' : '');
  tr.dataset.profile = r.profileId;
  const labels = r.labels.filter((l) => !l.name.startsWith('__')).map((l) => `${l.name}=${l.value}`).join(', ');
  tr.append(el('td', '', formatTime(r.t, ctx.tz)), el('td', '', labels), el('td', '', formatValue(r.value, unit)), el('td', '', r.profileId));
  tr.addEventListener('click', () => update({ profile: r.profileId }));
  return tr;
}
