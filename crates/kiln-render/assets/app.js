// The report application: header, toolbar, breadcrumb, and the views
// (flame graph, top table, both, sandwich) over one embedded profile.
// `start(root, data)` is the entry point; the standalone HTML calls it with
// the embedded JSON, the server's UI imports it as a module.

import { formatValue, formatShare, formatChange } from './format.js';
import { diffPercent, diffLegendColors } from './colors.js';
import { graphFromLevels, pathTo, widestNode } from './graph.js';
import { collapseAbove, focusOn, calleesOf, callersOf } from './derive.js';
import { searchGraph, markFunction } from './search.js';
import { topRows } from './top.js';
import { FlameGraph, widestChild } from './flamegraph.js';
import { TopTable } from './table.js';
import { toFolded, toFlamebearer, download, downloadPng, fileStem } from './export.js';
import { el, labelledSelect, button, Tooltip, Menu } from './ui.js';
import { buildHeader } from './header.js';

/** @typedef {import('./graph.js').Graph} Graph */
/** @typedef {'flamegraph' | 'table' | 'both' | 'sandwich'} View */
/**
 * @typedef {Object} StartOptions
 * @property {View} [view]                   the first view (default: by window width)
 * @property {(v: View) => void} [onView]    told when the user picks another view
 * @property {Array<[string, (data: any, graph: Graph) => void]>} [exports] more export buttons, given the data and the whole graph
 */

/** @type {Array<[View, string]>} */
const VIEWS = [['flamegraph', 'Flame graph'], ['table', 'Top table'], ['both', 'Both'], ['sandwich', 'Sandwich']];

class App {
  /**
   * @param {HTMLElement} root
   * @param {any} data
   * @param {{start: number, firstPaint: number, ready: number}} marks
   * @param {StartOptions} options
   */
  constructor(root, data, marks, options) {
    this.marks = marks;
    this.root = root;
    this.data = data;
    this.unit = data.meta.unit || '';
    this.base = graphFromLevels(data.names, data.levels, data.format === 'double');
    this.base.leftTicks = data.format === 'double' ? data.leftTicks : data.total;
    this.base.rightTicks = data.format === 'double' ? data.rightTicks : 0;
    /** @type {Graph} */
    this.graph = this.base;
    /** @type {{kind: string, name: string} | null} */
    this.derived = null;
    /** @type {View} */
    this.view = options.view || (window.innerWidth >= 1100 ? 'both' : 'flamegraph');
    this.onView = options.onView || null;
    this.moreExports = options.exports || [];
    /** Ends the document listeners when the app is disposed of. */
    this.listeners = new AbortController();
    this.query = '';
    /** @type {import('./search.js').SearchResult | null} */
    this.found = null;
    this.picked = -1;
    this.sandwichName = -1;
    this.copied = '';
    /** @type {import('./top.js').TopRow[] | null} */
    this.rows = null;
    this.tooltip = new Tooltip();
    this.menu = new Menu(this.listeners.signal);
    this.build();
  }

  /** Creates the page: header, toolbar, crumbs, panes. */
  build() {
    const stem = fileStem(this.data.meta.title || this.data.meta.subject);
    this.root.replaceChildren(
      buildHeader(this.data, [
        ['PNG', () => downloadPng(this.fg.canvas, `${stem}.png`)],
        ['Folded', () => download(new Blob([toFolded(this.base)], { type: 'text/plain' }), `${stem}.folded.txt`)],
        ['JSON', () => download(new Blob([toFlamebearer(this.data)], { type: 'application/json' }), `${stem}.json`)],
        ...this.moreExports.map(([label, f]) => /** @type {[string, () => void]} */ ([label, () => f(this.data, this.base)])),
      ]),
      this.buildToolbar(),
    );
    this.crumbs = el('nav', 'k-crumbs');
    this.crumbs.setAttribute('aria-label', 'Zoom path');
    this.root.append(this.crumbs);
    if (this.base.diff) this.root.append(this.buildLegend());
    this.main = el('main', 'k-main');
    this.tablePane = el('section', 'k-pane k-table-pane');
    this.graphPane = el('section', 'k-pane k-graph-pane');
    this.sandwichPane = el('section', 'k-pane k-sandwich-pane');
    this.main.append(this.tablePane, this.graphPane, this.sandwichPane);
    this.root.append(this.main);
    this.fg = new FlameGraph(this.graphPane, this.graphHandlers(() => this.fg), 'Flame graph');
    this.table = new TopTable(this.tablePane, (f) => this.pick(f));
    this.buildSandwich();
    this.fg.setGraph(this.graph);
    this.applyView();
    document.addEventListener('keydown', (ev) => this.onKey(ev), { signal: this.listeners.signal });
  }

  buildToolbar() {
    const bar = el('div', 'k-toolbar');
    const views = el('div', 'k-segmented');
    views.setAttribute('role', 'tablist');
    this.viewButtons = VIEWS.map(([v, label]) => {
      const b = button(label, () => this.setView(v), 'k-seg');
      b.dataset.view = v;
      b.setAttribute('role', 'tab');
      views.append(b);
      return b;
    });
    const search = el('div', 'k-search');
    this.searchInput = /** @type {HTMLInputElement} */ (el('input'));
    this.searchInput.type = 'search';
    this.searchInput.placeholder = 'Search functions  ( / )';
    this.searchInput.setAttribute('aria-label', 'Search functions');
    this.searchInput.addEventListener('input', () => this.search(this.searchInput.value));
    this.searchInfo = el('span', 'k-search-info');
    search.append(this.searchInput, this.searchInfo);
    const opts = el('div', 'k-options');
    opts.append(
      labelledSelect('Layout', [['icicle', 'Icicle'], ['flame', 'Flame']], 'icicle', (v) => this.setOption({ orientation: /** @type {any} */ (v) })).wrap,
      labelledSelect('Cut labels at', [['tail', 'End'], ['head', 'Start']], 'tail', (v) => this.setOption({ truncate: /** @type {any} */ (v) })).wrap,
    );
    this.paletteSelect = labelledSelect('Colours', [['default', 'Default'], ['colorblind', 'Colour-blind']], 'default', (v) => this.setPalette(v)).select;
    opts.append(/** @type {HTMLElement} */ (this.paletteSelect.parentElement));
    if (this.base.diff) {
      opts.append(labelledSelect('Diff', [['normalized', 'Normalised'], ['absolute', 'Absolute']], 'normalized', (v) => this.setDiffMode(v)).wrap);
    }
    opts.append(button('Reset view', () => this.reset(), 'k-button'));
    bar.append(views, search, opts);
    return bar;
  }

  buildLegend() {
    const legend = el('div', 'k-legend');
    this.legendBar = el('span', 'k-legend-bar');
    this.legendText = el('span', 'k-legend-text');
    legend.append(el('span', '', 'Faster'), this.legendBar, el('span', '', 'Slower'), this.legendText);
    this.paintLegend();
    return legend;
  }

  paintLegend() {
    if (!this.legendBar || !this.legendText) return;
    const c = diffLegendColors(/** @type {any} */ (this.fg ? this.fg.opts.palette : 'default'));
    this.legendBar.style.background = `linear-gradient(90deg, ${c.faster}, ${c.neutral}, ${c.slower})`;
    const mode = this.fg && this.fg.opts.diffMode === 'absolute' ? 'absolute values' : 'share of each side\u2019s total';
    this.legendText.textContent = `Colour: relative change from baseline to comparison (${mode}); full colour at \u00b1100%.`;
  }

  buildSandwich() {
    const mk = (/** @type {string} */ cls) => el('div', `k-sandwich-part ${cls}`);
    this.callersTitle = el('h2', 'k-sandwich-title');
    this.calleesTitle = el('h2', 'k-sandwich-title');
    const callers = mk('k-callers');
    const callees = mk('k-callees');
    this.sandwichPane.append(this.callersTitle, callers, this.calleesTitle, callees);
    this.callers = new FlameGraph(callers, this.graphHandlers(() => this.callers), 'Callers');
    this.callees = new FlameGraph(callees, this.graphHandlers(() => this.callees), 'Callees');
    this.callers.opts.orientation = 'flame';
  }

  /**
   * Mouse and keyboard handlers shared by every flame graph on the page.
   * @param {() => FlameGraph} which
   * @returns {import('./flamegraph.js').FlameHandlers}
   */
  graphHandlers(which) {
    return {
      onZoom: (i) => {
        const f = which();
        if (f !== this.fg) return this.openSandwich(/** @type {Graph} */ (f.graph).name[i]);
        this.zoomTo(i);
      },
      onHover: (i, ev) => (i < 0 || !ev ? this.tooltip.hide() : this.showTooltip(which(), i, ev.clientX, ev.clientY)),
      onContext: (i, ev) => this.showMenu(which(), i, ev.clientX, ev.clientY),
      onSelect: (i) => {
        const f = which();
        const r = f.nodeRect(i);
        const c = f.canvas.getBoundingClientRect();
        if (r) this.showTooltip(f, i, c.left + r.x + Math.min(r.w, 40), c.top + r.y + r.h);
      },
      onDraw: () => this.onDraw(which()),
    };
  }

  /** @param {FlameGraph} f */
  onDraw(f) {
    if (f === this.fg && !this.marks.firstPaint) {
      this.marks.firstPaint = performance.now();
      performance.mark('kiln-first-paint');
    }
  }

  /** @param {View} v */
  setView(v) {
    this.view = v;
    this.applyView();
    if (this.onView) this.onView(v);
  }

  /** Removes the app's listeners and floating boxes (the UI replaces apps). */
  dispose() {
    this.listeners.abort();
    this.tooltip.box.remove();
    this.menu.box.remove();
  }

  applyView() {
    this.main.className = `k-main k-view-${this.view}`;
    for (const b of this.viewButtons) {
      const on = b.dataset.view === this.view;
      b.classList.toggle('k-on', on);
      b.setAttribute('aria-selected', String(on));
    }
    if (this.view !== 'table' && this.view !== 'sandwich') this.fg.render();
    if (this.view === 'sandwich') this.openSandwich(this.sandwichName >= 0 ? this.sandwichName : this.topSelf());
    this.updateCrumbs();
    if (this.view === 'flamegraph') return;
    // The first time, let the graph reach the screen before the table is built.
    if (this.marks.ready) this.ensureTable();
    else setTimeout(() => this.ensureTable(), 0);
  }

  /** The table, filled in once the graph has painted. */
  ensureTable() {
    if (this.rows) return;
    this.rows = topRows(this.graph);
    this.table.setRows(this.graph, this.rows, this.unit);
  }

  /** The function with the largest self value. */
  topSelf() {
    const rows = this.rows || topRows(this.graph);
    let best = rows[0];
    for (const r of rows) if (r.self > best.self) best = r;
    return best ? best.name : -1;
  }

  /** @param {number} i */
  zoomTo(i) {
    this.fg.zoom = i;
    this.fg.selected = -1;
    this.fg.render();
    this.updateCrumbs();
  }

  updateCrumbs() {
    const g = this.graph;
    const items = [];
    if (this.derived) {
      const chip = el('span', 'k-chip-derived', `${this.derived.kind}: ${this.derived.name}`);
      chip.append(button('\u00d7', () => this.setGraph(this.base, null), 'k-chip-close'));
      items.push(chip);
    }
    if (this.view === 'sandwich') {
      items.push(el('span', 'k-crumb-note', 'Sandwich: pick a function in the table or click a frame.'));
    } else {
      pathTo(g, this.fg.zoom).forEach((j, k) => {
        if (k) items.push(el('span', 'k-crumb-sep', '\u203a'));
        const b = button(g.names[g.name[j]], () => this.zoomTo(j), j === this.fg.zoom ? 'k-crumb k-crumb-on' : 'k-crumb');
        items.push(b);
      });
    }
    this.crumbs.replaceChildren(...items);
  }

  /**
   * Shows a derived graph (focus, collapse) or the base graph again.
   * @param {Graph} g
   * @param {{kind: string, name: string} | null} derived
   */
  setGraph(g, derived) {
    this.graph = g;
    this.derived = derived;
    this.rows = null;
    this.fg.setGraph(g);
    this.remask();
    if (this.view === 'sandwich') this.setView('both');
    else this.applyView();
  }

  reset() {
    this.searchInput.value = '';
    this.query = '';
    this.picked = -1;
    this.table.picked = -1;
    if (this.graph !== this.base) this.setGraph(this.base, null);
    this.remask();
    this.zoomTo(0);
  }

  /** @param {string} q */
  search(q) {
    this.query = q.trim();
    this.picked = -1;
    this.table.picked = -1;
    this.table.filter = this.query.startsWith('/') ? '' : this.query;
    this.remask();
    if (this.rows) this.table.render();
  }

  /** Recomputes the highlight from the search or the picked row, then redraws. */
  remask() {
    const g = this.graph;
    this.found = this.picked >= 0 ? markFunction(g, this.picked) : this.query ? searchGraph(g, this.query) : null;
    this.fg.mask = this.found ? this.found.mask : null;
    const f = this.found;
    this.searchInfo.textContent = f
      ? `${f.nodes.toLocaleString('en-US')} ${f.nodes === 1 ? 'match' : 'matches'} \u00b7 ${formatShare(f.value, g.total[0])} of total`
      : '';
    this.searchInfo.classList.toggle('k-none', !!f && f.nodes === 0);
    this.fg.render();
  }

  /** @param {number} f a name index picked in the table */
  pick(f) {
    if (this.view === 'sandwich') return this.openSandwich(f);
    this.picked = this.picked === f ? -1 : f;
    this.table.picked = this.picked;
    this.table.render();
    this.remask();
  }

  /** @param {number} f */
  openSandwich(f) {
    if (f < 0) return;
    this.sandwichName = f;
    if (this.view !== 'sandwich') return this.setView('sandwich');
    const name = this.graph.names[f];
    this.callersTitle.textContent = `Callers of ${name}`;
    this.calleesTitle.textContent = `Callees of ${name}`;
    this.callers.setGraph(callersOf(this.graph, f));
    this.callees.setGraph(calleesOf(this.graph, f));
    this.callers.render();
    this.callees.render();
    this.table.picked = f;
    if (this.rows) this.table.render();
  }

  /** @param {Partial<import('./flamegraph.js').FlameOptions>} o */
  setOption(o) {
    for (const f of [this.fg, this.callees]) f.setOptions(o);
    if (!o.orientation) this.callers.setOptions(o);
  }

  /** @param {string} p */
  setPalette(p) {
    this.setOption({ palette: /** @type {any} */ (p) });
    this.table.palette = /** @type {any} */ (p);
    if (this.rows) this.table.render();
    this.paintLegend();
  }

  /** @param {string} m */
  setDiffMode(m) {
    this.setOption({ diffMode: /** @type {any} */ (m) });
    this.table.diffMode = /** @type {any} */ (m);
    if (this.rows) this.table.render();
    this.paintLegend();
  }

  /**
   * @param {FlameGraph} f
   * @param {number} i
   * @param {number} x
   * @param {number} y
   */
  showTooltip(f, i, x, y) {
    const g = /** @type {Graph} */ (f.graph);
    const whole = this.base.total[0];
    /** @type {Array<[string, string]>} */
    const rows = [];
    if (!g.diff) {
      rows.push(['Total', `${formatValue(g.total[i], this.unit)} (${formatShare(g.total[i], whole)})`]);
      rows.push(['Self', `${formatValue(g.self[i], this.unit)} (${formatShare(g.self[i], whole)})`]);
    } else {
      const pct = diffPercent(g.lt[i], g.rt[i], g.leftTicks, g.rightTicks, f.opts.diffMode);
      rows.push(['Baseline', `${formatValue(g.lt[i], this.unit)} (${formatShare(g.lt[i], g.leftTicks)})`]);
      rows.push(['Comparison', `${formatValue(g.rt[i], this.unit)} (${formatShare(g.rt[i], g.rightTicks)})`]);
      rows.push(['Change', formatChange(pct)]);
      rows.push(['Self', `${formatValue(g.ls[i], this.unit)} \u2192 ${formatValue(g.rs[i], this.unit)}`]);
    }
    this.tooltip.show(g.names[g.name[i]], rows, x, y);
  }

  /**
   * @param {FlameGraph} f
   * @param {number} i
   * @param {number} x
   * @param {number} y
   */
  showMenu(f, i, x, y) {
    this.tooltip.hide();
    const g = /** @type {Graph} */ (f.graph);
    const name = g.names[g.name[i]];
    /** @type {Array<[string, () => void]>} */
    const items = [];
    if (f === this.fg) {
      items.push(['Zoom in', () => this.zoomTo(i)]);
      items.push(['Focus on this function', () => this.setGraph(focusOn(g, g.name[i]), { kind: 'Focus', name })]);
      items.push(['Collapse nodes above', () => this.setGraph(collapseAbove(g, i), { kind: 'Collapsed above', name })]);
    }
    items.push(['Open in sandwich view', () => this.openSandwich(g.name[i])]);
    items.push(['Copy function name', () => this.copy(name)]);
    items.push(['Reset view', () => this.reset()]);
    this.menu.open(items, x, y);
  }

  /** @param {string} text */
  copy(text) {
    this.copied = text;
    const fallback = () => {
      const ta = /** @type {HTMLTextAreaElement} */ (el('textarea'));
      ta.value = text;
      document.body.append(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    };
    if (navigator.clipboard) navigator.clipboard.writeText(text).catch(fallback);
    else fallback();
  }

  /** @param {KeyboardEvent} ev */
  onKey(ev) {
    const typing = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement;
    if (ev.key === '/' && !typing) {
      ev.preventDefault();
      this.searchInput.focus();
    } else if (ev.key === 'Escape') {
      this.menu.hide();
      this.tooltip.hide();
      if (typing && this.query) this.searchInput.value = '';
      if (this.query) this.search('');
      else if (!typing) this.zoomTo(0);
    } else if ((ev.key === '[' || ev.key === ']') && !typing) {
      this.zoomStep(ev.key === ']');
    }
  }

  /**
   * `]` zooms in to the selected frame, else the widest child of the zoomed
   * one; `[` zooms out to the zoomed frame's caller.
   * @param {boolean} inward
   */
  zoomStep(inward) {
    const z = this.fg.zoom;
    const sel = this.fg.selected;
    const next = !inward ? this.graph.parent[z] : sel >= 0 && sel !== z ? sel : widestChild(this.graph, z);
    if (next >= 0) this.zoomTo(next);
  }

  /** The test hook: what is drawn, readable from outside. */
  hook() {
    const app = this;
    /** @param {FlameGraph} f @param {string} name */
    const widest = (f, name) => {
      const g = /** @type {Graph} */ (f.graph);
      return g ? widestNode(g, g.names.indexOf(name)) : -1;
    };
    return {
      marks: this.marks,
      get view() { return app.view; },
      setView: (/** @type {View} */ v) => app.setView(v),
      get palette() { return app.fg.opts.palette; },
      get zoomed() { return app.graph.names[app.graph.name[app.fg.zoom]]; },
      get search() {
        const f = app.found;
        return f ? { query: app.query, nodes: f.nodes, functions: f.functions, share: f.share } : null;
      },
      get highlighted() { return app.picked >= 0 ? app.graph.names[app.picked] : null; },
      get copied() { return app.copied; },
      get derived() { return app.derived; },
      tableOrder: () => app.table.order.map((f) => app.graph.names[f]),
      /** Client rectangle of the widest node named `name` in graph `which` (main, callers, callees). */
      nodeRect: (/** @type {string} */ name, which = 'main') => {
        const f = which === 'callers' ? app.callers : which === 'callees' ? app.callees : app.fg;
        const r = f.nodeRect(widest(f, name));
        const c = f.canvas.getBoundingClientRect();
        return r ? { x: c.left + r.x, y: c.top + r.y, w: r.w, h: r.h } : null;
      },
      nodeColor: (/** @type {string} */ name) => {
        const i = widest(app.fg, name);
        return i >= 0 ? app.fg.colorOf(i) : null;
      },
      sandwich: () => {
        const names = (/** @type {FlameGraph} */ f) => {
          const g = /** @type {Graph} */ (f.graph);
          const out = [];
          for (let c = g.childStart[0]; c < g.childEnd[0]; c++) out.push(g.names[g.name[c]]);
          return out;
        };
        return { name: app.graph.names[app.sandwichName], callers: names(app.callers), callees: names(app.callees) };
      },
    };
  }
}

/**
 * Starts the report in `root` with the embedded data.
 * @param {HTMLElement} root
 * @param {any} data
 * @param {StartOptions} [options]
 */
export function start(root, data, options = {}) {
  const marks = { start: performance.now(), firstPaint: 0, ready: 0 };
  const app = new App(root, data, marks, options);
  /** @type {any} */ (window).kiln = app.hook();
  marks.ready = performance.now();
  return app;
}
