// The two selections of the comparison and diff pages. Each side has its
// own matchers and time range in the URL (`leftQuery`, `leftFrom`,
// `leftUntil`, and the same for `right`); without them the left side is
// the first half of the page's range and the right side the second.
// Presets set both sides at once.

import { el, button } from '../ui.js';
import { querier, selectorOf, selectSeries, labelNames, labelValues } from './api.js';
import { navigate, route, update } from './state.js';
import { rangeOf, stepOf, toInput, fromInput } from './time.js';
import { rangePicker } from './range.js';
import { SelectorInput } from './selector.js';
import { Timeline } from './timeline.js';

/**
 * @typedef {Object} Side
 * @property {'left' | 'right'} name
 * @property {string} title
 * @property {string} matchers
 * @property {string} selector
 * @property {import('./time.js').Range} range
 */

/** The URL parameters of the sides. */
const SIDE_PARAMS = ['leftQuery', 'leftFrom', 'leftUntil', 'rightQuery', 'rightFrom', 'rightUntil'];

/**
 * Both sides of the current URL.
 * @param {import('./shell.js').Context} ctx
 * @returns {[Side, Side]}
 */
export function sidesOf(ctx) {
  return [sideOf(ctx, 'left'), sideOf(ctx, 'right')];
}

/**
 * @param {import('./shell.js').Context} ctx
 * @param {'left' | 'right'} name
 * @returns {Side}
 */
function sideOf(ctx, name) {
  const p = ctx.route.params;
  const matchers = p.get(`${name}Query`) ?? ctx.matchers;
  const from = p.get(`${name}From`);
  const until = p.get(`${name}Until`);
  const range = from && until ? rangeOf(new URLSearchParams({ from, until })) : half(ctx.range, name);
  const title = name === 'left' ? 'Baseline' : 'Comparison';
  return { name, title, matchers, selector: selectorOf(ctx.service, matchers), range };
}

/**
 * @param {import('./time.js').Range} r
 * @param {'left' | 'right'} name
 * @returns {import('./time.js').Range}
 */
function half(r, name) {
  const mid = Math.round((r.start + r.end) / 2);
  const [start, end] = name === 'left' ? [r.start, mid] : [mid, r.end];
  return { start, end, from: String(start), until: String(end), preset: '' };
}

/**
 * The URL parameters that set both sides, for presets.
 * @param {import('./shell.js').Context} ctx
 * @param {string} kind
 * @param {number} at the point in time of `before-after`
 * @returns {Record<string, string | null>}
 */
export function presetPatch(ctx, kind, at) {
  const r = ctx.range;
  const sides = (/** @type {string[]} */ [lf, lu, rf, ru]) => ({ leftFrom: lf, leftUntil: lu, rightFrom: rf, rightUntil: ru });
  if (kind === 'yesterday') return sides(['now-25h', 'now-24h', 'now-1h', 'now']);
  if (kind === 'week') return sides(['now-169h', 'now-168h', 'now-1h', 'now']);
  if (kind === 'before-after') return sides([String(r.start), String(at), String(at), String(r.end)]);
  if (kind === 'labels') return sides([r.from, r.until, r.from, r.until]);
  if (kind === 'custom') return {};
  return { leftFrom: null, leftUntil: null, rightFrom: null, rightUntil: null };
}

/**
 * The preset bar: a preset select, the point in time of "before vs after",
 * and a link to the other page (compare <-> diff) with the same sides.
 * @param {import('./shell.js').Context} ctx
 * @param {string} other the page to offer
 * @param {string} otherTitle
 */
export function presetBar(ctx, other, otherTitle) {
  const bar = el('div', 'k-explore-bar k-presets');
  const at = /** @type {HTMLInputElement} */ (el('input'));
  at.type = 'datetime-local';
  at.step = '1';
  at.setAttribute('aria-label', 'Point in time');
  const current = presetOf(ctx.route.params);
  const point = current === 'before-after' ? Number(ctx.route.params.get('leftUntil')) : Math.round((ctx.range.start + ctx.range.end) / 2);
  at.value = toInput(point, ctx.tz);
  const pick = /** @type {HTMLSelectElement} */ (el('select'));
  pick.setAttribute('aria-label', 'Comparison preset');
  for (const [v, t] of PRESETS) {
    const o = /** @type {HTMLOptionElement} */ (el('option', '', t));
    o.value = v;
    pick.append(o);
  }
  pick.value = current;
  const apply = button('Apply preset', () => update(presetPatch(ctx, pick.value, fromInput(at.value, ctx.tz))), 'k-button k-apply-preset');
  const open = button(otherTitle, () => navigate(other, sideParams()), 'k-button k-other-page');
  bar.append(el('span', 'k-field-label', 'Preset'), pick, el('span', 'k-field-label', 'at'), at, apply, open);
  return bar;
}

/** @type {Array<[string, string]>} */
const PRESETS = [
  ['halves', 'First half vs second half of the range'],
  ['before-after', 'Before vs after a point in time'],
  ['yesterday', 'This hour vs the same hour yesterday'],
  ['week', 'This hour vs the same hour last week'],
  ['labels', 'The whole range on both sides (two label sets)'],
  ['custom', 'Custom (each side\u2019s own range)'],
];

/**
 * The preset the sides of the URL match, or `custom`.
 * @param {URLSearchParams} p
 */
function presetOf(p) {
  const [lf, lu, rf, ru] = ['leftFrom', 'leftUntil', 'rightFrom', 'rightUntil'].map((k) => p.get(k));
  if (!lf && !lu && !rf && !ru) return 'halves';
  if (lf === 'now-25h' && lu === 'now-24h' && rf === 'now-1h' && ru === 'now') return 'yesterday';
  if (lf === 'now-169h' && lu === 'now-168h' && rf === 'now-1h' && ru === 'now') return 'week';
  if (lf === rf && lu === ru) return 'labels';
  if (lu === rf && /^\d+$/.test(lu || '')) return 'before-after';
  return 'custom';
}

/** The side parameters of the current URL, to carry to the other page. */
function sideParams() {
  const p = route().params;
  /** @type {Record<string, string | null>} */
  const out = { view: null };
  for (const k of SIDE_PARAMS) out[k] = p.get(k);
  return out;
}

/**
 * One side's controls: its title, selector, range picker and timeline
 * (drag to narrow the side's range); returns the column and a host below
 * them for the page's content.
 * @param {Side} side
 * @param {import('./shell.js').Context} ctx
 * @param {string} unit
 */
export function sideColumn(side, ctx, unit) {
  const box = el('section', `k-side k-side-${side.name}`);
  box.append(el('h2', 'k-side-title', `${side.title} (${side.name})`));
  const key = (/** @type {string} */ k) => `${side.name}${k}`;
  const scope = selectorOf(ctx.service, '');
  const input = new SelectorInput(side.matchers, {
    names: () => labelNames(scope, side.range.start, side.range.end),
    values: (name) => labelValues(name, scope, side.range.start, side.range.end),
  }, (text) => update({ [key('Query')]: text }));
  input.input.setAttribute('aria-label', `${side.title} label selector`);
  input.wrap.append(button('Run', () => update({ [key('Query')]: input.input.value.trim() }), 'k-button'));
  const picker = rangePicker(side.range, ctx.tz, (patch) => {
    if (patch.from && patch.until) update({ [key('From')]: patch.from, [key('Until')]: patch.until });
    else update(patch);
  });
  const tl = el('div', 'k-timeline k-side-timeline');
  const content = el('div', 'k-side-content');
  box.append(input.wrap, picker, tl, content);
  const timeline = new Timeline(tl, unit, ctx.tz, {
    onSelect: (a, b) => update({ [key('From')]: String(a), [key('Until')]: String(b) }),
    onPoint: () => {},
  });
  timeline.height = 110;
  timeline.root.setAttribute('height', '110');
  const step = stepOf(side.range, 80);
  const drawn = selectSeries({
    type: ctx.type, selector: side.selector, start: side.range.start, end: side.range.end, step,
  }).then((lines) => timeline.setData(lines.map((s) => ({ name: side.title, points: s.points })), side.range.start, side.range.end, step * 1000));
  return { box, content, drawn };
}

/**
 * The querier's Diff of the two sides, as the report's `double` payload.
 * @param {import('./shell.js').Context} ctx
 * @param {[Side, Side]} sides
 * @param {number} maxNodes
 */
export async function diffOf(ctx, sides, maxNodes) {
  const req = (/** @type {Side} */ s) => ({
    profile_typeID: ctx.type, label_selector: s.selector, start: s.range.start, end: s.range.end, max_nodes: maxNodes,
  });
  const r = await querier('Diff', { left: req(sides[0]), right: req(sides[1]) });
  const fg = r.flamegraph || {};
  return {
    format: 'double',
    names: fg.names || [],
    levels: (fg.levels || []).map((/** @type {any} */ l) => (l.values || []).map(Number)),
    total: Number(fg.total || 0),
    maxSelf: Number(fg.maxSelf || 0),
    leftTicks: Number(fg.leftTicks || 0),
    rightTicks: Number(fg.rightTicks || 0),
  };
}
