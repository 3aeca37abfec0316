// Numbers in the profile's units: nanoseconds as ms/s, bytes as KiB/MiB,
// counts with thousands separators; shares as percentages.

const TIME_STEPS = [[60e9, 'min'], [1e9, 's'], [1e6, 'ms'], [1e3, 'µs'], [1, 'ns']];
const BYTE_STEPS = [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB'], [1, 'B']];

/**
 * @param {number} v
 * @returns {string}
 */
function trimmed(v) {
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  const s = v.toFixed(digits);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * @param {number} v
 * @param {Array<[number, string]>} steps
 * @returns {string}
 */
function scaled(v, steps) {
  for (const [size, name] of steps) {
    if (Math.abs(v) >= size) return `${trimmed(v / size)} ${name}`;
  }
  return `${trimmed(v)} ${steps[steps.length - 1][1]}`;
}

/**
 * Formats a value of `unit` for people.
 * @param {number} v
 * @param {string} unit
 * @returns {string}
 */
export function formatValue(v, unit) {
  const u = (unit || '').toLowerCase();
  if (u === 'nanoseconds' || u === 'ns') return scaled(v, /** @type {any} */ (TIME_STEPS));
  if (u === 'microseconds') return scaled(v * 1e3, /** @type {any} */ (TIME_STEPS));
  if (u === 'milliseconds') return scaled(v * 1e6, /** @type {any} */ (TIME_STEPS));
  if (u === 'seconds') return scaled(v * 1e9, /** @type {any} */ (TIME_STEPS));
  if (u === 'bytes') return scaled(v, /** @type {any} */ (BYTE_STEPS));
  const n = Math.round(v).toLocaleString('en-US');
  return u && u !== 'count' ? `${n} ${u}` : n;
}

/**
 * A share of a whole as a percentage.
 * @param {number} part
 * @param {number} whole
 * @returns {string}
 */
export function formatShare(part, whole) {
  if (!whole) return '0%';
  const p = (100 * part) / whole;
  if (p === 0) return '0%';
  if (Math.abs(p) < 0.01) return '<0.01%';
  return `${p >= 10 ? p.toFixed(1) : p.toFixed(2)}%`;
}

/**
 * A signed relative change in percent; infinite for something new.
 * @param {number} pct
 * @returns {string}
 */
export function formatChange(pct) {
  if (pct === Infinity) return 'new';
  if (pct === -Infinity || pct <= -100) return 'removed';
  const sign = pct > 0 ? '+' : '';
  return `${sign}${Math.abs(pct) >= 10 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/**
 * A duration in nanoseconds, for the header.
 * @param {number} ns
 * @returns {string}
 */
export function formatDuration(ns) {
  return scaled(ns, /** @type {any} */ (TIME_STEPS));
}
