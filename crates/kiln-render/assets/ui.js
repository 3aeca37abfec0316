// Small DOM helpers: elements, selects, the tooltip and the context menu.
// Text always goes in through textContent, never as markup.

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A labelled <select>.
 * @param {string} label
 * @param {Array<[string, string]>} options value and text
 * @param {string} value
 * @param {(v: string) => void} onChange
 * @returns {{wrap: HTMLElement, select: HTMLSelectElement}}
 */
export function labelledSelect(label, options, value, onChange) {
  const wrap = el('label', 'k-field');
  wrap.append(el('span', 'k-field-label', label));
  const select = /** @type {HTMLSelectElement} */ (el('select'));
  for (const [v, text] of options) {
    const o = /** @type {HTMLOptionElement} */ (el('option', '', text));
    o.value = v;
    select.append(o);
  }
  select.value = value;
  select.addEventListener('change', () => onChange(select.value));
  wrap.append(select);
  return { wrap, select };
}

/**
 * A button.
 * @param {string} text
 * @param {() => void} onClick
 * @param {string} [className]
 * @returns {HTMLButtonElement}
 */
export function button(text, onClick, className) {
  const b = /** @type {HTMLButtonElement} */ (el('button', className || 'k-button', text));
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

export class Tooltip {
  constructor() {
    this.box = el('div', 'k-tooltip');
    this.box.setAttribute('role', 'tooltip');
    this.box.hidden = true;
    document.body.append(this.box);
  }

  /**
   * Shows a title and rows of [label, value] near a point (client pixels).
   * @param {string} title
   * @param {Array<[string, string]>} rows
   * @param {number} x
   * @param {number} y
   */
  show(title, rows, x, y) {
    const dl = el('dl');
    for (const [k, v] of rows) dl.append(el('dt', '', k), el('dd', '', v));
    this.box.replaceChildren(el('div', 'k-tooltip-title', title), dl);
    this.box.hidden = false;
    const w = this.box.offsetWidth;
    const h = this.box.offsetHeight;
    const left = x + 16 + w > window.innerWidth ? Math.max(4, x - w - 12) : x + 16;
    const top = y + 16 + h > window.innerHeight ? Math.max(4, y - h - 12) : y + 16;
    this.box.style.left = `${left}px`;
    this.box.style.top = `${top}px`;
  }

  hide() {
    this.box.hidden = true;
  }
}

export class Menu {
  /** @param {AbortSignal} [signal] ends the menu's document listeners */
  constructor(signal) {
    this.box = el('ul', 'k-menu');
    this.box.setAttribute('role', 'menu');
    this.box.hidden = true;
    document.body.append(this.box);
    document.addEventListener('mousedown', (ev) => {
      if (!this.box.contains(/** @type {Node} */ (ev.target))) this.hide();
    }, { signal });
    window.addEventListener('blur', () => this.hide(), { signal });
  }

  /**
   * Opens a menu of [label, action] items at a point (client pixels).
   * @param {Array<[string, () => void]>} items
   * @param {number} x
   * @param {number} y
   */
  open(items, x, y) {
    this.box.replaceChildren(
      ...items.map(([label, action]) => {
        const li = el('li');
        li.setAttribute('role', 'none');
        const b = button(label, () => {
          this.hide();
          action();
        }, 'k-menu-item');
        b.setAttribute('role', 'menuitem');
        li.append(b);
        return li;
      }),
    );
    this.box.hidden = false;
    this.box.style.left = `${Math.min(x, window.innerWidth - this.box.offsetWidth - 4)}px`;
    this.box.style.top = `${Math.min(y, window.innerHeight - this.box.offsetHeight - 4)}px`;
    /** @type {HTMLElement | null} */ (this.box.querySelector('button'))?.focus();
  }

  hide() {
    this.box.hidden = true;
  }
}
