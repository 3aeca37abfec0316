// The label selector input, `{env="prod", pod=~"api-.*"}`, with completion:
// label names where a name is typed, that label's values inside quotes.
// Suggestions come from the querier's LabelNames and LabelValues.

import { el } from '../ui.js';

/**
 * @typedef {Object} SelectorSource
 * @property {() => Promise<string[]>} names
 * @property {(name: string) => Promise<string[]>} values
 */

/**
 * What the text before the caret is completing.
 * @param {string} before
 * @returns {{kind: 'name', prefix: string} | {kind: 'value', name: string, prefix: string} | null}
 */
function completionAt(before) {
  const v = /([A-Za-z_][\w.]*)\s*(?:=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)$/.exec(before);
  if (v) return { kind: 'value', name: v[1], prefix: v[2] };
  const n = /(?:^|[{,])\s*([A-Za-z_][\w.]*)?$/.exec(before);
  if (n) return { kind: 'name', prefix: n[1] || '' };
  return null;
}

export class SelectorInput {
  /**
   * @param {string} value
   * @param {SelectorSource} source
   * @param {(text: string) => void} onSubmit
   */
  constructor(value, source, onSubmit) {
    this.source = source;
    this.onSubmit = onSubmit;
    this.wrap = el('div', 'k-selector');
    this.input = /** @type {HTMLInputElement} */ (el('input'));
    this.input.value = value;
    this.input.placeholder = '{label="value"}  label selector';
    this.input.setAttribute('aria-label', 'Label selector');
    this.input.spellcheck = false;
    this.list = el('ul', 'k-suggest');
    this.list.setAttribute('role', 'listbox');
    this.list.hidden = true;
    /** @type {string[]} */
    this.items = [];
    this.active = 0;
    this.asked = 0;
    this.input.addEventListener('input', () => this.suggest());
    this.input.addEventListener('focus', () => this.suggest());
    this.input.addEventListener('keydown', (ev) => this.onKey(ev));
    this.input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    this.wrap.append(this.input, this.list);
  }

  /** Looks up suggestions for the text before the caret. */
  async suggest() {
    const before = this.input.value.slice(0, this.input.selectionStart ?? this.input.value.length);
    const at = completionAt(before);
    const ask = ++this.asked;
    if (!at) return this.close();
    let all;
    try {
      all = at.kind === 'name' ? await this.source.names() : await this.source.values(at.name);
    } catch {
      all = [];
    }
    if (ask !== this.asked) return;
    const items = all.filter((s) => s.startsWith(at.prefix) && s !== at.prefix).slice(0, 50);
    this.show(items, at);
  }

  /**
   * @param {string[]} items
   * @param {{kind: string, prefix: string}} at
   */
  show(items, at) {
    this.items = items;
    this.at = at;
    this.active = 0;
    this.list.replaceChildren(...items.map((s, i) => {
      const li = el('li', i === 0 ? 'k-active' : '', s);
      li.setAttribute('role', 'option');
      li.addEventListener('mousedown', (ev) => {
        ev.preventDefault();
        this.accept(i);
      });
      return li;
    }));
    this.list.hidden = items.length === 0 || document.activeElement !== this.input;
  }

  close() {
    this.list.hidden = true;
  }

  /** @param {number} i inserts suggestion i in place of the prefix typed */
  accept(i) {
    const at = this.at;
    if (!at) return;
    const caret = this.input.selectionStart ?? this.input.value.length;
    const head = this.input.value.slice(0, caret - at.prefix.length);
    const tail = this.input.value.slice(caret);
    const text = at.kind === 'name' ? `${this.items[i]}="` : `${this.items[i].replace(/["\\]/g, '\\$&')}"`;
    const closing = at.kind === 'value' && !tail.includes('}') && head.includes('{') ? '}' : '';
    this.input.value = head + text + closing + tail;
    const pos = head.length + text.length;
    this.input.setSelectionRange(pos, pos);
    this.close();
    if (at.kind === 'name') this.suggest();
  }

  /** @param {KeyboardEvent} ev */
  onKey(ev) {
    const open = !this.list.hidden && this.items.length > 0;
    if (open && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
      ev.preventDefault();
      this.active = (this.active + (ev.key === 'ArrowDown' ? 1 : this.items.length - 1)) % this.items.length;
      [...this.list.children].forEach((c, i) => c.classList.toggle('k-active', i === this.active));
    } else if (open && (ev.key === 'Tab' || ev.key === 'Enter')) {
      ev.preventDefault();
      this.accept(this.active);
    } else if (ev.key === 'Enter') {
      this.close();
      this.onSubmit(this.input.value.trim());
    } else if (ev.key === 'Escape') {
      this.close();
    }
  }
}
