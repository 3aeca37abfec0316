// The top table: one row per function with self and total (or, for a diff,
// baseline, comparison and change), sortable by any column, filterable by
// name; picking a row calls back with the function's name index.

import { formatValue, formatShare, formatChange } from './format.js';
import { diffPercent, diffColor } from './colors.js';

const MAX_ROWS = 1000;

/**
 * @typedef {Object} Column
 * @property {string} key
 * @property {string} label
 * @property {(r: import('./top.js').TopRow) => number | string} value  sort key
 * @property {(r: import('./top.js').TopRow, td: HTMLTableCellElement) => void} cell
 */

export class TopTable {
  /**
   * @param {HTMLElement} host
   * @param {(nameIdx: number) => void} onPick
   */
  constructor(host, onPick) {
    this.host = host;
    this.onPick = onPick;
    /** @type {import('./top.js').TopRow[]} */
    this.rows = [];
    /** @type {import('./graph.js').Graph | null} */
    this.graph = null;
    this.unit = '';
    this.sortKey = 'self';
    this.sortDesc = true;
    this.filter = '';
    this.picked = -1;
    this.palette = /** @type {import('./colors.js').PaletteName} */ ('default');
    this.diffMode = /** @type {'normalized' | 'absolute'} */ ('normalized');
    /** @type {number[]} name indices in the order shown */
    this.order = [];
    this.table = document.createElement('table');
    this.table.className = 'k-table';
    this.note = document.createElement('div');
    this.note.className = 'k-table-note';
    host.append(this.table, this.note);
  }

  /**
   * @param {import('./graph.js').Graph} g
   * @param {import('./top.js').TopRow[]} rows
   * @param {string} unit
   */
  setRows(g, rows, unit) {
    this.graph = g;
    this.table.classList.toggle('k-diff', g.diff);
    this.rows = rows;
    this.unit = unit;
    if (g.diff && this.sortKey === 'self') this.sortKey = 'diff';
    this.render();
  }

  /** @returns {Column[]} */
  columns() {
    const g = /** @type {import('./graph.js').Graph} */ (this.graph);
    const name = (/** @type {import('./top.js').TopRow} */ r) => g.names[r.name];
    /** @type {Column} */
    const sym = { key: 'name', label: 'Symbol', value: name, cell: (r, td) => { td.textContent = name(r); td.title = name(r); } };
    if (!g.diff) {
      const whole = g.total[0];
      return [
        sym,
        { key: 'self', label: 'Self', value: (r) => r.self, cell: (r, td) => this.valueCell(td, r.self, whole) },
        { key: 'total', label: 'Total', value: (r) => r.total, cell: (r, td) => this.valueCell(td, r.total, whole) },
      ];
    }
    const pct = (/** @type {import('./top.js').TopRow} */ r) => diffPercent(r.lt, r.rt, g.leftTicks, g.rightTicks, this.diffMode);
    return [
      sym,
      { key: 'left', label: 'Baseline', value: (r) => r.lt, cell: (r, td) => this.valueCell(td, r.lt, g.leftTicks) },
      { key: 'right', label: 'Comparison', value: (r) => r.rt, cell: (r, td) => this.valueCell(td, r.rt, g.rightTicks) },
      {
        key: 'diff',
        label: 'Diff',
        value: (r) => { const p = pct(r); return p === Infinity ? 1e12 : p; },
        cell: (r, td) => {
          const p = pct(r);
          const chip = document.createElement('span');
          chip.className = 'k-chip';
          chip.textContent = formatChange(p);
          chip.style.background = diffColor(p, this.palette);
          td.append(chip);
        },
      },
    ];
  }

  /**
   * A value with its share of the whole, over a bar of that share.
   * @param {HTMLTableCellElement} td
   * @param {number} v
   * @param {number} whole
   */
  valueCell(td, v, whole) {
    td.className = 'k-num';
    const share = whole ? Math.max(0, Math.min(1, v / whole)) : 0;
    td.style.setProperty('--share', `${(share * 100).toFixed(2)}%`);
    const value = document.createElement('span');
    value.textContent = formatValue(v, this.unit);
    td.append(value);
    if (this.graph && this.graph.diff) {
      td.title = `${formatShare(v, whole)} of its side`;
      return;
    }
    const pct = document.createElement('span');
    pct.className = 'k-share';
    pct.textContent = formatShare(v, whole);
    td.append(pct);
  }

  /** Rebuilds the table body from the rows, sort and filter. */
  render() {
    const g = this.graph;
    if (!g) return;
    const cols = this.columns();
    const col = cols.find((c) => c.key === this.sortKey) || cols[1];
    const q = this.filter.toLowerCase();
    let rows = q ? this.rows.filter((r) => g.names[r.name].toLowerCase().includes(q)) : this.rows.slice();
    const dir = this.sortDesc ? -1 : 1;
    rows.sort((a, b) => {
      const va = col.value(a);
      const vb = col.value(b);
      return (va < vb ? -1 : va > vb ? 1 : 0) * dir || a.name - b.name;
    });
    const shown = rows.slice(0, MAX_ROWS);
    this.order = shown.map((r) => r.name);
    this.table.replaceChildren(this.head(cols, col), this.body(cols, shown));
    this.note.textContent = rows.length > MAX_ROWS ? `Showing ${MAX_ROWS} of ${rows.length} functions; filter to narrow.` : '';
  }

  /**
   * @param {Column[]} cols
   * @param {Column} sorted
   */
  head(cols, sorted) {
    const thead = document.createElement('thead');
    const tr = thead.insertRow();
    for (const c of cols) {
      const th = document.createElement('th');
      th.textContent = c.label;
      th.dataset.key = c.key;
      th.className = c === sorted ? (this.sortDesc ? 'k-sorted k-desc' : 'k-sorted k-asc') : '';
      th.setAttribute('aria-sort', c === sorted ? (this.sortDesc ? 'descending' : 'ascending') : 'none');
      th.addEventListener('click', () => {
        this.sortDesc = c.key === this.sortKey ? !this.sortDesc : c.key !== 'name';
        this.sortKey = c.key;
        this.render();
      });
      tr.append(th);
    }
    return thead;
  }

  /**
   * @param {Column[]} cols
   * @param {import('./top.js').TopRow[]} rows
   */
  body(cols, rows) {
    const tbody = document.createElement('tbody');
    for (const r of rows) {
      const tr = tbody.insertRow();
      tr.dataset.name = String(r.name);
      if (r.name === this.picked) tr.className = 'k-picked';
      for (const c of cols) c.cell(r, tr.insertCell());
      tr.addEventListener('click', () => this.onPick(r.name));
    }
    return tbody;
  }
}
