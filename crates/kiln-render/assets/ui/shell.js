// The app shell: header with navigation, the session's tenant and sign
// out (when signed in), service and profile type pickers, the label
// selector, the time range picker, the theme switch, and the error line
// next to the selector. Pages draw below it.

import { el, button } from '../ui.js';
import { navigate, update, hrefOf, sharedParams } from './state.js';
import { rangePicker } from './range.js';
import { SelectorInput } from './selector.js';
import { labelNames, labelValues, selectorOf } from './api.js';
import { sessionControls } from './auth.js';

/** The pages in the navigation: page name and title. */
export const NAV = [['overview', 'Services'], ['explore', 'Explore'], ['tags', 'Tag explorer'], ['compare', 'Compare'], ['diff', 'Diff'], ['adhoc', 'Adhoc & uploads']];

/**
 * @typedef {Object} Catalog
 * @property {Map<string, string[]>} types   profile type ids of each service
 */

/**
 * @typedef {Object} Context
 * @property {import('./state.js').Route} route
 * @property {import('./time.js').Range} range
 * @property {string} tz
 * @property {string} service
 * @property {string} type
 * @property {string} matchers      the user's selector text
 * @property {string} selector      service and matchers as one selector
 * @property {Catalog} catalog
 * @property {(e: unknown) => void} showError
 */

/**
 * Draws the shell in `root`; returns the element pages draw into.
 * @param {HTMLElement} root
 * @param {Context} ctx
 * @param {{pickers: boolean, range?: boolean}} opts whether the page uses the service, type and selector pickers, and the range picker (unless false)
 */
export function drawShell(root, ctx, opts) {
  const top = el('header', 'k-shell-top');
  const logo = /** @type {HTMLAnchorElement} */ (el('a', 'k-logo', 'KILN'));
  logo.href = '/';
  const nav = el('nav', 'k-nav');
  for (const [page, title] of NAV) nav.append(link(page, title, ctx.route.page === page));
  top.append(logo, nav, ...sessionControls(), themeSwitch());
  const controls = el('div', 'k-controls');
  if (opts.pickers) controls.append(...pickers(ctx));
  if (opts.range !== false) controls.append(rangePicker(ctx.range, ctx.tz, (patch) => update(patch)));
  const error = el('div', 'k-error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  ctx.showError = (e) => {
    error.textContent = e instanceof Error ? e.message : String(e);
    error.hidden = false;
  };
  const page = el('div', 'k-page');
  root.replaceChildren(top, controls, error, page);
  return page;
}

/**
 * @param {string} page
 * @param {string} title
 * @param {boolean} on
 */
function link(page, title, on) {
  const a = /** @type {HTMLAnchorElement} */ (el('a', on ? 'k-on' : '', title));
  a.href = hrefOf(page, sharedParams());
  a.addEventListener('click', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    navigate(page, {});
  });
  return a;
}

/**
 * Service and profile type selects and the selector input.
 * @param {Context} ctx
 * @returns {HTMLElement[]}
 */
function pickers(ctx) {
  const services = [...ctx.catalog.types.keys()].sort();
  const service = select('Service', services, ctx.service, (v) => update({ service: v, query: null }));
  const types = select('Profile type', ctx.catalog.types.get(ctx.service) || [], ctx.type, (v) => update({ type: v }));
  const scope = selectorOf(ctx.service, '');
  const input = new SelectorInput(ctx.matchers, {
    names: () => labelNames(scope, ctx.range.start, ctx.range.end),
    values: (name) => labelValues(name, scope, ctx.range.start, ctx.range.end),
  }, (text) => update({ query: text || null }));
  input.wrap.append(button('Run', () => update({ query: input.input.value.trim() || null }), 'k-button'));
  return [service, types, input.wrap];
}

/**
 * A labelled select whose option texts are set as text.
 * @param {string} label
 * @param {string[]} values
 * @param {string} value
 * @param {(v: string) => void} onChange
 */
function select(label, values, value, onChange) {
  const wrap = el('label', 'k-field');
  const s = /** @type {HTMLSelectElement} */ (el('select'));
  s.setAttribute('aria-label', label);
  for (const v of values) {
    const o = /** @type {HTMLOptionElement} */ (el('option', '', v));
    o.value = v;
    s.append(o);
  }
  s.value = value;
  s.addEventListener('change', () => onChange(s.value));
  wrap.append(el('span', 'k-field-label', label), s);
  return wrap;
}

/** The stored theme choice: `auto` follows prefers-color-scheme. */
function themeChoice() {
  return localStorage.getItem('kiln-theme') || 'auto';
}

/** Sets `data-theme` on the document from the choice and the system's scheme. */
export function applyTheme() {
  const choice = themeChoice();
  const dark = choice === 'dark' || (choice === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

function themeSwitch() {
  const s = /** @type {HTMLSelectElement} */ (el('select', 'k-theme'));
  s.setAttribute('aria-label', 'Theme');
  for (const [v, t] of [['auto', 'Theme: system'], ['light', 'Theme: light'], ['dark', 'Theme: dark']]) {
    const o = /** @type {HTMLOptionElement} */ (el('option', '', t));
    o.value = v;
    s.append(o);
  }
  s.value = themeChoice();
  s.addEventListener('change', () => {
    localStorage.setItem('kiln-theme', s.value);
    applyTheme();
    window.dispatchEvent(new Event('kiln:theme'));
  });
  return s;
}
