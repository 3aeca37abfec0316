// The time range picker: relative presets (5m ... 30d) and absolute times,
// shown and typed in the browser's zone or UTC.

import { el, button } from '../ui.js';
import { PRESETS, toInput, fromInput } from './time.js';

/**
 * Builds the picker for a range; `onChange` gets new URL parameters.
 * @param {import('./time.js').Range} range
 * @param {string} tz
 * @param {(patch: Record<string, string | null>) => void} onChange
 * @returns {HTMLElement}
 */
export function rangePicker(range, tz, onChange) {
  const wrap = el('div', 'k-range');
  const select = /** @type {HTMLSelectElement} */ (el('select'));
  select.setAttribute('aria-label', 'Time range');
  for (const p of PRESETS) select.append(option(`now-${p}`, `Last ${p}`));
  select.append(option('custom', 'Absolute\u2026'));
  select.value = range.preset ? `now-${range.preset}` : 'custom';
  const custom = customInputs(range, tz, onChange);
  custom.hidden = !!range.preset;
  select.addEventListener('change', () => {
    if (select.value === 'custom') custom.hidden = false;
    else onChange({ from: select.value, until: 'now' });
  });
  const zone = /** @type {HTMLSelectElement} */ (el('select'));
  zone.setAttribute('aria-label', 'Time zone');
  zone.append(option('local', 'Local time'), option('utc', 'UTC'));
  zone.value = tz === 'utc' ? 'utc' : 'local';
  zone.addEventListener('change', () => onChange({ tz: zone.value === 'utc' ? 'utc' : null }));
  wrap.append(select, custom, zone);
  return wrap;
}

/**
 * @param {string} value
 * @param {string} text
 */
function option(value, text) {
  const o = /** @type {HTMLOptionElement} */ (el('option', '', text));
  o.value = value;
  return o;
}

/**
 * From and until inputs and an Apply button.
 * @param {import('./time.js').Range} range
 * @param {string} tz
 * @param {(patch: Record<string, string | null>) => void} onChange
 */
function customInputs(range, tz, onChange) {
  const box = el('span', 'k-range-custom');
  const mk = (/** @type {number} */ ms, /** @type {string} */ label) => {
    const i = /** @type {HTMLInputElement} */ (el('input'));
    i.type = 'datetime-local';
    i.step = '1';
    i.value = toInput(ms, tz);
    i.setAttribute('aria-label', label);
    return i;
  };
  const from = mk(range.start, 'From');
  const until = mk(range.end, 'Until');
  const apply = button('Apply', () => {
    const a = fromInput(from.value, tz);
    const b = fromInput(until.value, tz);
    if (a < b) onChange({ from: String(a), until: String(b) });
  });
  box.append(from, el('span', 'k-field-label', 'to'), until, apply);
  return box;
}
