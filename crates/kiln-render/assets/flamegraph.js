// The flame graph on a <canvas>: draws a graph (zoomed to one node, icicle
// or flame orientation, crisp at any devicePixelRatio), hit-tests the
// mouse, and moves a keyboard selection. What a click or key means is left
// to the handlers the app passes in.

import { nameColor, diffPercent, diffColor } from './colors.js';

const ROW = 20;
const LABEL_FONT = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';
const MAX_CANVAS_PX = 32000;
const FADED = '#eceef1';
const FADED_TEXT = '#a3a9b2';
const TEXT = '#1f2329';

/**
 * @typedef {Object} FlameOptions
 * @property {'icicle' | 'flame'} orientation  icicle: root at the top
 * @property {import('./colors.js').PaletteName} palette
 * @property {'tail' | 'head'} truncate         which end of a long label is cut
 * @property {'normalized' | 'absolute'} diffMode
 */

/**
 * @typedef {Object} FlameHandlers
 * @property {(i: number) => void} [onZoom]
 * @property {(i: number, ev: MouseEvent) => void} [onContext]
 * @property {(i: number, ev: MouseEvent | null) => void} [onHover]  i = -1 when leaving
 * @property {(i: number) => void} [onSelect]  keyboard selection moved
 * @property {() => void} [onDraw]
 */

/**
 * Cuts `name` to at most `max` characters, with an ellipsis at the cut end.
 * @param {string} name
 * @param {number} max
 * @param {'tail' | 'head'} end
 * @returns {string}
 */
export function truncateLabel(name, max, end) {
  if (name.length <= max) return name;
  if (max < 3) return '';
  return end === 'head' ? `…${name.slice(name.length - max + 1)}` : `${name.slice(0, max - 1)}…`;
}

export class FlameGraph {
  /**
   * @param {HTMLElement} host
   * @param {FlameHandlers} handlers
   * @param {string} label accessible name of the canvas
   */
  constructor(host, handlers, label) {
    this.host = host;
    this.handlers = handlers;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'k-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', label);
    host.append(this.canvas);
    this.ctx = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext('2d'));
    /** @type {import('./graph.js').Graph | null} */
    this.graph = null;
    this.zoom = 0;
    this.selected = -1;
    /** @type {Uint8Array | null} */
    this.mask = null;
    /** @type {FlameOptions} */
    this.opts = { orientation: 'icicle', palette: 'default', truncate: 'tail', diffMode: 'normalized' };
    /** @type {Map<string, string[]>} */
    this.nameColors = new Map();
    this.width = 0;
    this.hostWidth = 0;
    this.charWidth = 7.2;
    this.listen();
    new ResizeObserver(() => {
      if (this.graph && this.host.clientWidth !== this.hostWidth) this.render();
    }).observe(host);
  }

  /** @param {import('./graph.js').Graph} g */
  setGraph(g) {
    this.graph = g;
    this.zoom = 0;
    this.selected = -1;
    this.mask = null;
    this.nameColors.clear();
  }

  /** @param {Partial<FlameOptions>} o */
  setOptions(o) {
    Object.assign(this.opts, o);
    this.render();
  }

  /** The number of rows drawn. */
  rows() {
    const g = this.graph;
    if (!g) return 0;
    const cap = Math.floor(MAX_CANVAS_PX / (window.devicePixelRatio || 1) / ROW);
    return Math.min(g.depth, cap);
  }

  /**
   * The top of a level's row, in CSS pixels.
   * @param {number} d
   */
  rowY(d) {
    return this.opts.orientation === 'flame' ? (this.rows() - 1 - d) * ROW : d * ROW;
  }

  /** The zoomed range [x0, span] in ticks and pixels per tick. */
  range() {
    const g = /** @type {import('./graph.js').Graph} */ (this.graph);
    const x0 = g.x[this.zoom];
    const span = g.total[this.zoom] || 1;
    return { x0, span, scale: this.width / span };
  }

  /**
   * The fill colour of node `i`, as drawn.
   * @param {number} i
   * @returns {string}
   */
  colorOf(i) {
    const g = /** @type {import('./graph.js').Graph} */ (this.graph);
    if (this.mask && !this.mask[i]) return FADED;
    if (g.diff) {
      const pct = diffPercent(g.lt[i], g.rt[i], g.leftTicks, g.rightTicks, this.opts.diffMode);
      return diffColor(pct, this.opts.palette);
    }
    let cache = this.nameColors.get(this.opts.palette);
    if (!cache) {
      cache = new Array(g.names.length);
      this.nameColors.set(this.opts.palette, cache);
    }
    const f = g.name[i];
    return cache[f] || (cache[f] = nameColor(g.names[f], this.opts.palette));
  }

  /** Sizes the canvas for the host's width and the device pixel ratio, then draws. */
  render() {
    const g = this.graph;
    if (!g || g.n === 0) return;
    const dpr = window.devicePixelRatio || 1;
    const pad = getComputedStyle(this.host);
    this.width = Math.max(100, Math.floor(this.host.clientWidth - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight)));
    const height = this.rows() * ROW;
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${height}px`;
    this.hostWidth = this.host.clientWidth;
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, height);
    ctx.font = LABEL_FONT;
    ctx.textBaseline = 'middle';
    this.charWidth = ctx.measureText('0123456789abcdef').width / 16 || 7.2;
    this.drawAncestors();
    this.drawZoomed();
    this.drawSelection();
    if (this.handlers.onDraw) this.handlers.onDraw();
  }

  /** The zoomed node's ancestors, full width and dimmed. */
  drawAncestors() {
    const g = /** @type {import('./graph.js').Graph} */ (this.graph);
    this.ctx.globalAlpha = 0.55;
    for (let j = g.parent[this.zoom]; j >= 0; j = g.parent[j]) {
      if (g.level[j] < this.rows()) this.drawNode(j, 0, this.width);
    }
    this.ctx.globalAlpha = 1;
  }

  /** Every node inside the zoomed range, level by level. */
  drawZoomed() {
    const g = /** @type {import('./graph.js').Graph} */ (this.graph);
    const { x0, span, scale } = this.range();
    const x1 = x0 + span;
    for (let d = g.level[this.zoom]; d < this.rows(); d++) {
      const end = g.levelStart[d + 1];
      for (let i = firstEndingAfter(g, d, x0); i < end && g.x[i] < x1; i++) {
        const w = g.total[i] * scale;
        if (w >= 0.4) this.drawNode(i, (g.x[i] - x0) * scale, w);
      }
    }
  }

  /**
   * @param {number} i
   * @param {number} px
   * @param {number} w
   */
  drawNode(i, px, w) {
    const g = /** @type {import('./graph.js').Graph} */ (this.graph);
    const ctx = this.ctx;
    const y = this.rowY(g.level[i]);
    const fill = this.colorOf(i);
    ctx.fillStyle = fill;
    ctx.fillRect(px, y, w >= 3 ? w - 1 : w, ROW - 1);
    if (w < 24) return;
    const max = Math.floor((w - 8) / this.charWidth);
    let text = truncateLabel(g.names[g.name[i]], max, this.opts.truncate);
    if (/[^\x20-\x7e]/.test(text)) text = this.fitWide(text, w - 8);
    if (!text) return;
    ctx.fillStyle = fill === FADED ? FADED_TEXT : TEXT;
    ctx.fillText(text, px + 4, y + ROW / 2 + 0.5);
  }

  /**
   * Shortens a label with wide characters (emoji, CJK) until it fits.
   * @param {string} text
   * @param {number} room
   */
  fitWide(text, room) {
    let t = text;
    let max = t.length;
    while (t && this.ctx.measureText(t).width > room) {
      max = Math.floor(max * 0.8);
      t = truncateLabel(text, max, this.opts.truncate);
    }
    return t;
  }

  /** An outline around the keyboard selection. */
  drawSelection() {
    const r = this.selected >= 0 ? this.nodeRect(this.selected) : null;
    if (!r) return;
    this.ctx.strokeStyle = '#1f2329';
    this.ctx.lineWidth = 2;
    this.ctx.strokeRect(r.x + 1, r.y + 1, Math.max(2, r.w - 3), ROW - 3);
  }

  /**
   * Where node `i` is drawn, in CSS pixels within the canvas; null if not drawn.
   * @param {number} i
   * @returns {{x: number, y: number, w: number, h: number} | null}
   */
  nodeRect(i) {
    const g = this.graph;
    if (!g || i < 0 || i >= g.n || g.level[i] >= this.rows()) return null;
    const y = this.rowY(g.level[i]);
    if (g.level[i] < g.level[this.zoom]) {
      let j = g.parent[this.zoom];
      while (j >= 0 && j !== i) j = g.parent[j];
      return j === i ? { x: 0, y, w: this.width, h: ROW } : null;
    }
    const { x0, span, scale } = this.range();
    if (g.x[i] + g.total[i] <= x0 || g.x[i] >= x0 + span) return null;
    return { x: (g.x[i] - x0) * scale, y, w: g.total[i] * scale, h: ROW };
  }

  /**
   * The node under a point in CSS pixels within the canvas, or -1.
   * @param {number} px
   * @param {number} py
   * @returns {number}
   */
  nodeAt(px, py) {
    const g = this.graph;
    if (!g) return -1;
    const row = Math.floor(py / ROW);
    const d = this.opts.orientation === 'flame' ? this.rows() - 1 - row : row;
    if (d < 0 || d >= this.rows()) return -1;
    if (d < g.level[this.zoom]) {
      let j = this.zoom;
      while (j >= 0 && g.level[j] > d) j = g.parent[j];
      return j;
    }
    const { x0, scale } = this.range();
    const x = x0 + px / scale;
    const i = firstEndingAfter(g, d, x);
    return i < g.levelStart[d + 1] && g.x[i] <= x && this.nodeRect(i) ? i : -1;
  }

  /** Mouse and keyboard. */
  listen() {
    const c = this.canvas;
    const at = (/** @type {MouseEvent} */ ev) => {
      const r = c.getBoundingClientRect();
      return this.nodeAt(ev.clientX - r.left, ev.clientY - r.top);
    };
    c.addEventListener('click', (ev) => {
      const i = at(ev);
      if (i >= 0 && this.handlers.onZoom) this.handlers.onZoom(i);
    });
    c.addEventListener('mousemove', (ev) => {
      const i = at(ev);
      c.style.cursor = i >= 0 ? 'pointer' : 'default';
      if (this.handlers.onHover) this.handlers.onHover(i, ev);
    });
    c.addEventListener('mouseleave', () => this.handlers.onHover && this.handlers.onHover(-1, null));
    c.addEventListener('contextmenu', (ev) => {
      const i = at(ev);
      if (i < 0 || !this.handlers.onContext) return;
      ev.preventDefault();
      this.handlers.onContext(i, ev);
    });
    c.addEventListener('keydown', (ev) => this.onKey(ev));
  }

  /** @param {KeyboardEvent} ev */
  onKey(ev) {
    const g = this.graph;
    if (!g) return;
    const s = this.selected >= 0 ? this.selected : this.zoom;
    const leafward = this.opts.orientation === 'flame' ? 'ArrowUp' : 'ArrowDown';
    const rootward = this.opts.orientation === 'flame' ? 'ArrowDown' : 'ArrowUp';
    let next = -1;
    if (ev.key === leafward) next = widestChild(g, s);
    else if (ev.key === rootward) next = g.parent[s];
    else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowRight') next = this.sibling(s, ev.key === 'ArrowLeft' ? -1 : 1);
    else if (ev.key === 'Enter' || ev.key === ' ') {
      if (this.handlers.onZoom) this.handlers.onZoom(s);
    } else return;
    ev.preventDefault();
    if (next >= 0) this.select(next);
  }

  /**
   * The nearest visible node on the same level in direction `dir`.
   * @param {number} i
   * @param {number} dir
   */
  sibling(i, dir) {
    const g = /** @type {import('./graph.js').Graph} */ (this.graph);
    const d = g.level[i];
    for (let j = i + dir; j >= g.levelStart[d] && j < g.levelStart[d + 1]; j += dir) {
      const r = this.nodeRect(j);
      if (r && r.w >= 1) return j;
    }
    return -1;
  }

  /** @param {number} i */
  select(i) {
    this.selected = i;
    this.render();
    if (this.handlers.onSelect) this.handlers.onSelect(i);
  }
}

/**
 * The first node of level `d` whose right edge is past `x` (levels are
 * sorted by x and do not overlap).
 * @param {import('./graph.js').Graph} g
 * @param {number} d
 * @param {number} x
 * @returns {number}
 */
function firstEndingAfter(g, d, x) {
  let lo = g.levelStart[d];
  let hi = g.levelStart[d + 1];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (g.x[mid] + g.total[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * @param {import('./graph.js').Graph} g
 * @param {number} i
 * @returns {number}
 */
export function widestChild(g, i) {
  let best = -1;
  for (let c = g.childStart[i]; c < g.childEnd[i]; c++) if (best < 0 || g.total[c] > g.total[best]) best = c;
  return best;
}
