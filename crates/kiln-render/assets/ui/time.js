// Time ranges: Pyroscope's `from`/`until` forms (`now-1h`, `now`, epoch
// milliseconds or seconds), and times shown in the browser's zone or UTC.

const UNITS = /** @type {Record<string, number>} */ ({ s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 });

/** The relative presets of the range picker. */
export const PRESETS = ['5m', '15m', '30m', '1h', '3h', '6h', '12h', '24h', '2d', '7d', '30d'];

/**
 * Milliseconds since the epoch of a `from`/`until` value, or NaN.
 * @param {string} text
 * @param {number} now
 * @returns {number}
 */
function parseTime(text, now) {
  const t = text.trim();
  if (t === 'now') return now;
  const rel = /^now-(\d+)([smhdw])$/.exec(t);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]];
  if (/^\d+$/.test(t)) return t.length <= 10 ? Number(t) * 1e3 : Number(t);
  return NaN;
}

/**
 * @typedef {Object} Range
 * @property {number} start    ms
 * @property {number} end      ms
 * @property {string} from     as in the URL
 * @property {string} until    as in the URL
 * @property {string} preset   e.g. `1h` when relative to now, else ''
 */

/**
 * The range of URL parameters, defaulting to the last hour.
 * @param {URLSearchParams} params
 * @returns {Range}
 */
export function rangeOf(params) {
  const now = Date.now();
  let from = params.get('from') || 'now-1h';
  let until = params.get('until') || 'now';
  let start = parseTime(from, now);
  let end = parseTime(until, now);
  if (!(start < end)) [from, until, start, end] = ['now-1h', 'now', now - UNITS.h, now];
  const m = /^now-(\d+[smhdw])$/.exec(from);
  return { start, end, from, until, preset: m && until === 'now' ? m[1] : '' };
}

/**
 * A step for `points` buckets over a range, in whole seconds (at least 10).
 * @param {Range} r
 * @param {number} points
 * @returns {number}
 */
export function stepOf(r, points) {
  return Math.max(10, Math.round((r.end - r.start) / 1e3 / points));
}

/**
 * A time for people, in UTC or the browser's zone.
 * @param {number} ms
 * @param {string} tz `utc` or anything else for local
 * @param {boolean} [withDate]
 * @returns {string}
 */
export function formatTime(ms, tz, withDate = true) {
  const d = new Date(ms);
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  const utc = tz === 'utc';
  const [Y, M, D, h, m, s] = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  const clock = `${p(h)}:${p(m)}:${p(s)}`;
  return withDate ? `${Y}-${p(M)}-${p(D)} ${clock}${utc ? ' UTC' : ''}` : clock;
}

/**
 * The value of a datetime-local input for `ms`, in the zone `tz`.
 * @param {number} ms
 * @param {string} tz
 * @returns {string}
 */
export function toInput(ms, tz) {
  return formatTime(ms, tz).slice(0, 19).replace(' ', 'T');
}

/**
 * Milliseconds of a datetime-local input's value read in the zone `tz`.
 * @param {string} value
 * @param {string} tz
 * @returns {number}
 */
export function fromInput(value, tz) {
  return tz === 'utc' ? Date.parse(`${value}Z`) : new Date(value).getTime();
}

/**
 * A range for people: `Last 1h` or two times.
 * @param {Range} r
 * @param {string} tz
 * @returns {string}
 */
export function describeRange(r, tz) {
  if (r.preset) return `Last ${r.preset}`;
  return `${formatTime(r.start, tz)} \u2192 ${formatTime(r.end, tz)}`;
}
