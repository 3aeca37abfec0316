// The timeline: totals over time as SVG lines, one per series. Dragging
// selects a sub-range, a click picks the nearest bucket. Also the small
// sparkline of the services overview.

import { formatValue } from '../format.js';
import { formatTime } from './time.js';

const NS = 'http://www.w3.org/2000/svg';
/** Series colours, readable on both themes. */
export const SERIES_COLORS = ['#e8590c', '#1c7ed6', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#e03131', '#5c940d', '#868e96'];
const M = { left: 70, right: 12, top: 10, bottom: 22 };

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @returns {SVGElement}
 */
function svg(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/**
 * @typedef {Object} Line
 * @property {string} name
 * @property {import('./api.js').Point[]} points
 */

/**
 * @typedef {Object} TimelineHandlers
 * @property {(start: number, end: number) => void} onSelect  a dragged range, ms
 * @property {(t: number) => void} onPoint                     the clicked bucket's time, ms
 */

export class Timeline {
  /**
   * @param {HTMLElement} host
   * @param {string} unit
   * @param {string} tz
   * @param {TimelineHandlers} on
   */
  constructor(host, unit, tz, on) {
    this.host = host;
    this.unit = unit;
    this.tz = tz;
    this.on = on;
    /** @type {Line[]} */
    this.lines = [];
    this.start = 0;
    this.end = 1;
    this.step = 1;
    this.height = 160;
    /** @type {number | null} */
    this.marker = null;
    this.root = /** @type {SVGSVGElement} */ (svg('svg', { height: this.height, role: 'img', 'aria-label': 'Timeline' }));
    host.append(this.root);
    this.root.addEventListener('pointerdown', (ev) => this.down(ev));
    new ResizeObserver(() => this.draw()).observe(host);
  }

  /**
   * @param {Line[]} lines
   * @param {number} start
   * @param {number} end
   * @param {number} step ms between buckets: lines break where buckets are missing
   */
  setData(lines, start, end, step) {
    this.lines = lines;
    this.start = start;
    this.end = end;
    this.step = step;
    this.draw();
  }

  get width() {
    return Math.max(200, this.host.clientWidth - 16);
  }

  /** @param {number} t */
  xOf(t) {
    return M.left + ((t - this.start) / (this.end - this.start)) * (this.width - M.left - M.right);
  }

  /** @param {number} x */
  tOf(x) {
    const f = (x - M.left) / (this.width - M.left - M.right);
    return this.start + Math.min(1, Math.max(0, f)) * (this.end - this.start);
  }

  draw() {
    const w = this.width;
    this.root.setAttribute('width', String(w));
    this.root.setAttribute('viewBox', `0 0 ${w} ${this.height}`);
    let max = 0;
    for (const l of this.lines) for (const p of l.points) max = Math.max(max, p.v);
    const y = (/** @type {number} */ v) => M.top + (1 - v / (max || 1)) * (this.height - M.top - M.bottom);
    const parts = [...this.axes(max, y)];
    this.lines.forEach((l, i) => parts.push(...this.series(l, SERIES_COLORS[i % SERIES_COLORS.length], y)));
    if (this.marker !== null) {
      const x = this.xOf(this.marker);
      parts.push(svg('line', { class: 'k-marker', x1: x, x2: x, y1: M.top, y2: this.height - M.bottom }));
    }
    this.root.replaceChildren(...parts);
  }

  /**
   * Grid lines and labels of both axes.
   * @param {number} max
   * @param {(v: number) => number} y
   */
  axes(max, y) {
    const out = [];
    for (const v of [0, max / 2, max]) {
      out.push(svg('line', { class: 'k-grid', x1: M.left, x2: this.width - M.right, y1: y(v), y2: y(v) }));
      const label = svg('text', { class: 'k-axis', x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' });
      label.textContent = formatValue(v, this.unit);
      out.push(label);
    }
    const span = this.end - this.start;
    const ticks = Math.max(2, Math.floor(this.width / 140));
    for (let k = 0; k <= ticks; k++) {
      const t = this.start + (span * k) / ticks;
      const text = span > 864e5 ? formatTime(t, this.tz).slice(5, 16) : formatTime(t, this.tz, false).slice(0, 5);
      const label = svg('text', { class: 'k-axis', x: this.xOf(t), y: this.height - 6, 'text-anchor': k === 0 ? 'start' : k === ticks ? 'end' : 'middle' });
      label.textContent = text;
      out.push(label);
    }
    return out;
  }

  /**
   * One series: its line, and its area when it is the only one.
   * @param {Line} l
   * @param {string} color
   * @param {(v: number) => number} y
   */
  series(l, color, y) {
    const filled = withZeros(l.points, this.step);
    const pts = filled.map((p) => `${this.xOf(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
    if (!pts.length) return [];
    const out = [svg('path', { class: 'k-series', d: `M${pts.join('L')}`, stroke: color })];
    if (this.lines.length === 1) {
      const base = y(0).toFixed(1);
      const first = this.xOf(filled[0].t).toFixed(1);
      const last = this.xOf(filled[filled.length - 1].t).toFixed(1);
      out.push(svg('path', { class: 'k-area', d: `M${first},${base}L${pts.join('L')}L${last},${base}Z`, fill: color }));
    }
    if (l.points.length < 80) {
      for (const p of l.points) out.push(svg('circle', { cx: this.xOf(p.t), cy: y(p.v), r: 2.5, fill: color }));
    }
    return out;
  }

  /** @param {PointerEvent} ev */
  down(ev) {
    const box = this.root.getBoundingClientRect();
    const x0 = ev.clientX - box.left;
    const brush = svg('rect', { class: 'k-brush', x: x0, y: M.top, width: 0, height: this.height - M.top - M.bottom });
    this.root.append(brush);
    const move = (/** @type {PointerEvent} */ e) => {
      const x = e.clientX - box.left;
      brush.setAttribute('x', String(Math.min(x, x0)));
      brush.setAttribute('width', String(Math.abs(x - x0)));
    };
    const up = (/** @type {PointerEvent} */ e) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      brush.remove();
      const x = e.clientX - box.left;
      if (Math.abs(x - x0) > 5) this.on.onSelect(Math.round(this.tOf(Math.min(x, x0))), Math.round(this.tOf(Math.max(x, x0))));
      else this.pick(this.tOf(x));
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  /** @param {number} t the bucket nearest to t, if any */
  pick(t) {
    let best = null;
    for (const l of this.lines) for (const p of l.points) if (best === null || Math.abs(p.t - t) < Math.abs(best - t)) best = p.t;
    if (best !== null) this.on.onPoint(best);
  }
}

/**
 * The points with the empty buckets between them as zeros (SelectSeries
 * leaves them out), so a line drops to zero where nothing was stored.
 * @param {import('./api.js').Point[]} points
 * @param {number} step ms
 * @returns {Array<{t: number, v: number}>}
 */
function withZeros(points, step) {
  /** @type {Array<{t: number, v: number}>} */
  const out = [];
  points.forEach((p, i) => {
    const prev = points[i - 1];
    if (prev && p.t - prev.t > step * 1.5) {
      out.push({ t: prev.t + step, v: 0 });
      if (p.t - prev.t > step * 2.5) out.push({ t: p.t - step, v: 0 });
    }
    out.push(p);
  });
  return out;
}

/**
 * A small bar per point over a range, for the services overview.
 * @param {import('./api.js').Point[]} points
 * @param {number} start
 * @param {number} end
 * @returns {SVGElement}
 */
export function sparkline(points, start, end) {
  const w = 160;
  const h = 28;
  const root = svg('svg', { class: 'k-spark', width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': 'CPU over the range' });
  const max = Math.max(1, ...points.map((p) => p.v));
  const bars = points.filter((p) => p.v > 0).map((p) => {
    const x = (((p.t - start) / (end - start)) * (w - 2) + 1).toFixed(1);
    return `M${x},${h}V${(h - 2 - (p.v / max) * (h - 4)).toFixed(1)}`;
  });
  if (bars.length) root.append(svg('path', { d: bars.join('') }));
  return root;
}
